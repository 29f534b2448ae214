// See whatif.hpp. The rules are the core's (include/smbsign/whatif.hpp); this file only
// reads the preference, adds the items and prints the table.

#include "plugin/whatif.hpp"

#include "plugin/compat.hpp"
#include "plugin/glue.hpp"
#include "smbsign/whatif.hpp"

#include <epan/epan_dissect.h>
#include <epan/prefs.h>
#include <epan/proto.h>
#include <epan/stat_tap_ui.h>
#include <epan/tap.h>

#include <array>
#include <cstdio>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <utility>

namespace smbsign::plugin::whatif {
namespace {

const char *whatif_pref = nullptr; // smbsign.whatif, as typed
WhatIfSpec spec;                   // parsed by on_init(); inactive when unset or invalid
std::string spec_label;            // what the smbsign.whatif item shows

int hf_whatif = -1;
int hf_outcome = -1;
int hf_change = -1;
int hf_reason = -1;
int hf_fix = -1;
int ett_whatif = -1;

// "client=required, server=required" or "windows11-24h2 (client=..., guest logons refused)".
std::string label_of(const WhatIfSpec &s) {
    std::string sides;
    auto side = [&sides](const char *name, Policy p) {
        if (p == Policy::Unknown)
            return;
        if (!sides.empty())
            sides += ", ";
        sides += std::string(name) + "=" + std::string(to_string(p));
    };
    side("client", s.client);
    side("server", s.server);
    if (s.refuse_guest)
        sides += ", guest logons refused";
    if (s.preset.empty())
        return sides;
    return std::string(s.preset) + " (" + sides + ")";
}

// Client and server of a tap record as hosts: "10.0.0.1:445" -> "10.0.0.1",
// "[fe80::1]:445" -> "fe80::1".
std::string host_of(const char *endpoint) {
    std::string e(endpoint);
    const auto colon = e.rfind(':');
    if (colon != std::string::npos)
        e.erase(colon);
    if (e.size() >= 2 && e.front() == '[' && e.back() == ']')
        e = e.substr(1, e.size() - 2);
    return e;
}

std::string csv_quoted(std::string_view s) {
    std::string out = "\"";
    for (const char c : s) {
        if (c == '"')
            out += '"';
        out += c;
    }
    return out + "\"";
}

std::string json_quoted(std::string_view s) {
    std::string out = "\"";
    for (const char c : s) {
        if (c == '"' || c == '\\')
            out += '\\';
        out += c;
    }
    return out + "\"";
}

// --- -z smbsign,whatif ------------------------------------------------------------

using glue::Format;

// The latest state of each session (as in -z smbsign,sessions).
struct Row {
    std::string client;
    std::string server;
    SessionView view;
};

struct Table {
    std::map<std::uint32_t, Row> sessions;
    // (client?, host address) -> names seen for it in that role
    std::map<std::pair<bool, std::string>, std::set<std::string>> names;
    Format format = Format::Text;
};

// Host names, from Wireshark's own fields in a session's frames: the client's from the
// NTLMSSP AUTHENTICATE message (its workstation name), the server's from the NTLMSSP
// CHALLENGE (its NetBIOS computer name) or from a TREE_CONNECT path \\NAME\share. The
// tap's filter names these fields, so Wireshark keeps them in the tree it hands the tap.
constexpr const char *kNameFilter =
    "smbsign || ntlmssp.auth.hostname || ntlmssp.challenge.target_info.nb_computer_name || "
    "smb2.tree || smb.path";

struct NameField {
    const char *name;
    bool client;   // names the client (else the server)
    bool unc_path; // \\HOST\share: the host part, if it is not an address
};
constexpr NameField kNameFields[] = {
    {"ntlmssp.auth.hostname", true, false},
    {"ntlmssp.challenge.target_info.nb_computer_name", false, false},
    {"smb2.tree", false, true},
    {"smb.path", false, true},
};

// The host of \\HOST\share, or "" when it is an address (any address: a scanner's paths name
// other hosts than the one it talks to).
std::string unc_host(std::string path) {
    const auto start = path.find_first_not_of('\\');
    if (start == std::string::npos)
        return {};
    path = path.substr(start, path.find('\\', start) - start);
    const bool ipv4 = path.find_first_not_of("0123456789.") == std::string::npos;
    return ipv4 || path.find(':') != std::string::npos ? std::string() : path;
}

void collect_names(Table &t, const Row &row, epan_dissect_t *edt) {
    if (edt == nullptr || edt->tree == nullptr)
        return;
    static const auto ids = [] {
        std::array<int, std::size(kNameFields)> out{};
        for (std::size_t i = 0; i < out.size(); ++i)
            out[i] = proto_registrar_get_id_byname(kNameFields[i].name);
        return out;
    }();
    for (std::size_t k = 0; k < ids.size(); ++k) {
        const NameField &f = kNameFields[k];
        const int hf = ids[k];
        GPtrArray *found = hf > 0 ? proto_get_finfo_ptr_array(edt->tree, hf) : nullptr;
        if (found == nullptr)
            continue;
        for (guint i = 0; i < found->len; ++i) {
            char label[ITEM_LABEL_LENGTH] = "";
            proto_item_fill_display_label(static_cast<field_info *>(g_ptr_array_index(found, i)),
                                          label, sizeof label);
            const std::string &host = f.client ? row.client : row.server;
            std::string name = f.unc_path ? unc_host(label) : std::string(label);
            name.erase(name.find_last_not_of(' ') + 1); // NetBIOS names come space-padded
            // Wireshark shows an empty NTLMSSP string as "NULL"; *SMBSERVER is NetBIOS's
            // name for "whichever server answers": neither names a host.
            if (!name.empty() && name != "NULL" && name.front() != '*')
                t.names[{f.client, host}].insert(name);
        }
    }
}

// The names seen for a host ("PC7", "PC7/PC8" behind one address), or "".
std::string names_of(const Table &t, const std::string &host, bool client) {
    std::string out;
    if (const auto it = t.names.find({client, host}); it != t.names.end())
        for (const auto &n : it->second)
            out += (out.empty() ? "" : "/") + n;
    return out;
}

// "10.0.0.2 (PC7)", or the address alone.
std::string host_label(const Table &t, const std::string &host, bool client) {
    const std::string names = names_of(t, host, client);
    return names.empty() ? host : host + " (" + names + ")";
}

// One group of the output: sessions of one client/server pair with the same change,
// today's and the what-if outcome, reason and fix.
using GroupKey = std::tuple<std::string, std::string, WhatIfChange, Predicted, Predicted,
                            std::string_view, std::string_view>;
constexpr std::size_t kChanges = static_cast<std::size_t>(WhatIfChange::BecomesUnsigned) + 1;

std::map<GroupKey, unsigned> groups_of(const Table &t) {
    std::map<GroupKey, unsigned> groups;
    for (const auto &[number, row] : t.sessions) {
        const SessionView &v = row.view;
        const WhatIfResult r =
            what_if(v.facts, v.guest, v.predicted, spec, v.verdict == Verdict::Signed);
        ++groups[{row.client, row.server, r.change, v.predicted, r.outcome, r.reason, r.fix}];
    }
    return groups;
}

void draw_csv(const Table &t, const std::map<GroupKey, unsigned> &groups) {
    std::printf("sessions,client,server,change,predicted,whatif,reason,fix,client_name,"
                "server_name\n");
    for (const auto &[k, n] : groups) {
        const auto &[client, server, change, today, then, reason, fix] = k;
        std::printf("%u,%s,%s,%s,%s,%s,%s,%s,%s,%s\n", n, client.c_str(), server.c_str(),
                    to_string(change).data(), to_string(today).data(), to_string(then).data(),
                    csv_quoted(reason).c_str(), csv_quoted(fix).c_str(),
                    csv_quoted(names_of(t, client, true)).c_str(),
                    csv_quoted(names_of(t, server, false)).c_str());
    }
}

void draw_json(const Table &t, const std::map<GroupKey, unsigned> &groups) {
    std::printf("[");
    const char *sep = "\n";
    for (const auto &[k, n] : groups) {
        const auto &[client, server, change, today, then, reason, fix] = k;
        std::printf("%s  {\"sessions\": %u, \"client\": %s, \"server\": %s, \"change\": \"%s\", "
                    "\"predicted\": \"%s\", \"whatif\": \"%s\", \"reason\": %s, \"fix\": %s, "
                    "\"client_name\": %s, \"server_name\": %s}",
                    sep, n, json_quoted(client).c_str(), json_quoted(server).c_str(),
                    to_string(change).data(), to_string(today).data(), to_string(then).data(),
                    json_quoted(reason).c_str(), json_quoted(fix).c_str(),
                    json_quoted(names_of(t, client, true)).c_str(),
                    json_quoted(names_of(t, server, false)).c_str());
        sep = ",\n";
    }
    std::printf("\n]\n");
}

// One line per client/server pair with its count of each change, then, under it, why
// its sessions break (and the fix) or cannot be judged.
void draw_text(const Table &t, const std::map<GroupKey, unsigned> &groups) {
    const std::string rule(142, '=');
    std::printf("\n%s\nSMB signing what-if: %s\n", rule.c_str(), spec_label.c_str());
    std::printf("%-30s %-30s %8s %7s %6s %15s %17s %10s %8s\n", "Client", "Server", "Sessions",
                "Breaks", "Fixed", "Becomes-signed", "Becomes-unsigned", "Unchanged", "Unknown");
    auto it = groups.begin();
    while (it != groups.end()) {
        const auto &client = std::get<0>(it->first);
        const auto &server = std::get<1>(it->first);
        std::array<unsigned, kChanges> counts{};
        std::string breaks, unknown; // why, breaking sessions first
        for (; it != groups.end() && std::get<0>(it->first) == client &&
               std::get<1>(it->first) == server;
             ++it) {
            const auto &[c, s, change, today, then, reason, fix] = it->first;
            counts[static_cast<std::size_t>(change)] += it->second;
            if (change != WhatIfChange::Breaks && change != WhatIfChange::Unknown)
                continue;
            std::string &details = change == WhatIfChange::Breaks ? breaks : unknown;
            details += "    " + std::to_string(it->second) + " " + std::string(to_string(change)) +
                       " (" + std::string(to_string(today)) + " -> " +
                       std::string(to_string(then)) + "): " + std::string(reason) + "\n";
            if (!fix.empty())
                details += "      fix: " + std::string(fix) + "\n";
        }
        unsigned total = 0;
        for (const unsigned n : counts)
            total += n;
        auto n = [&counts](WhatIfChange c) { return counts[static_cast<std::size_t>(c)]; };
        std::printf("%-30s %-30s %8u %7u %6u %15u %17u %10u %8u\n%s",
                    host_label(t, client, true).c_str(), host_label(t, server, false).c_str(),
                    total, n(WhatIfChange::Breaks), n(WhatIfChange::Fixed),
                    n(WhatIfChange::BecomesSigned), n(WhatIfChange::BecomesUnsigned),
                    n(WhatIfChange::Unchanged), n(WhatIfChange::Unknown),
                    (breaks + unknown).c_str());
    }
    std::printf("%s\n", rule.c_str());
}

void table_reset(void *data) {
    static_cast<Table *>(data)->sessions.clear();
    static_cast<Table *>(data)->names.clear();
}

tap_packet_status table_packet(void *data, packet_info *, epan_dissect_t *edt, const void *rec,
                               tap_flags_t) {
    const auto *r = static_cast<const glue::TapRecord *>(rec);
    auto *t = static_cast<Table *>(data);
    Row &row = t->sessions[r->view.number] = {host_of(r->client), host_of(r->server), r->view};
    collect_names(*t, row, edt);
    return TAP_PACKET_REDRAW;
}

void table_draw(void *data) {
    const auto *t = static_cast<const Table *>(data);
    if (!spec.active()) {
        std::printf("smbsign,whatif: no what-if policy; set one with -o smbsign.whatif:SPEC "
                    "(server=required, client=required, both, windows11-24h2 or "
                    "windows-server-2025)\n");
        return;
    }
    const auto groups = groups_of(*t);
    if (t->format == Format::Csv)
        draw_csv(*t, groups);
    else if (t->format == Format::Json)
        draw_json(*t, groups);
    else
        draw_text(*t, groups);
}

void table_finish(void *data) {
    delete static_cast<Table *>(data);
}

compat::tap_init_result table_init(const char *opt_arg, void *) {
    auto *t = new Table();
    t->format = glue::table_format(opt_arg);
    return glue::start_table(t, kNameFilter, TL_REQUIRES_PROTO_TREE, table_reset, table_packet,
                             table_draw, table_finish);
}

} // namespace

void register_fields(int proto) {
    static hf_register_info hf[] = {
        {&hf_whatif,
         {"What if", "smbsign.whatif", FT_STRING, BASE_NONE, nullptr, 0,
          "The hypothetical signing policy (preference smbsign.whatif)", HFILL}},
        {&hf_outcome,
         {"What-if outcome", "smbsign.whatif.outcome", FT_STRING, BASE_NONE, nullptr, 0,
          "The predicted outcome under the what-if policy (same rules and words as "
          "smbsign.outcome.predicted)",
          HFILL}},
        {&hf_change,
         {"What-if change", "smbsign.whatif.change", FT_STRING, BASE_NONE, nullptr, 0,
          "breaks, fixed, becomes-signed, becomes-unsigned, unchanged or unknown", HFILL}},
        {&hf_reason,
         {"What-if reason", "smbsign.whatif.reason", FT_STRING, BASE_NONE, nullptr, 0, nullptr,
          HFILL}},
        {&hf_fix,
         {"What-if fix", "smbsign.whatif.fix", FT_STRING, BASE_NONE, nullptr, 0,
          "What to change so that the session works under the what-if policy, keeping the "
          "stricter policy",
          HFILL}},
    };
    static gint *ett[] = {&ett_whatif};
    fields.add(proto, hf, G_N_ELEMENTS(hf));
    proto_register_subtree_array(ett, G_N_ELEMENTS(ett));
    module_t *module = prefs_find_module("smbsign");
    if (module == nullptr)
        return;
    prefs_register_string_preference(
        module, "whatif", "What-if signing policy",
        "Show, per session, what would happen under another signing policy: server=required, "
        "client=required (or enabled, disabled), both separated by a comma, or a preset: "
        "windows11-24h2 (client and server require signing, guest logons refused), "
        "windows-server-2025 (client requires signing). Empty: off.",
        &whatif_pref);
}

void on_init() {
    const std::string_view text = whatif_pref != nullptr ? whatif_pref : "";
    const auto parsed = parse_whatif(text);
    if (!parsed)
        std::fprintf(stderr,
                     "smbsign: the what-if policy '%.*s' is not understood (use "
                     "server=POLICY, client=POLICY, windows11-24h2 or "
                     "windows-server-2025; POLICY: required, enabled or disabled)\n",
                     static_cast<int>(text.size()), text.data());
    spec = parsed.value_or(WhatIfSpec{});
    spec_label = label_of(spec);
}

void add_items(const Items &add, const SessionView &v) {
    if (!spec.active())
        return;
    if (!add.want(hf_whatif) && !add.want(hf_outcome) && !add.want(hf_change) &&
        !add.want(hf_reason) && !add.want(hf_fix))
        return;
    const WhatIfResult r =
        what_if(v.facts, v.guest, v.predicted, spec, v.verdict == Verdict::Signed);
    Items sub = add; // the items go under smbsign.whatif where that item is wanted
    if (add.want(hf_whatif)) {
        proto_item *top = Items::generated(proto_tree_add_string_format_value(
            add.tree, hf_whatif, add.tvb, 0, 0, spec_label.c_str(), "%s: %s (%s)",
            spec_label.c_str(), to_string(r.change).data(), to_string(r.outcome).data()));
        sub.tree = proto_item_add_subtree(top, ett_whatif);
        sub.top = top;
    }
    sub.text(hf_outcome, to_string(r.outcome));
    sub.text(hf_change, to_string(r.change));
    sub.text(hf_reason, r.reason);
    sub.text(hf_fix, r.fix);
}

void register_stats() {
    static stat_tap_ui ui = {REGISTER_STAT_GROUP_GENERIC,
                             "SMB signing what-if",
                             "smbsign,whatif",
                             table_init,
                             0,
                             nullptr};
    register_stat_tap_ui(&ui, nullptr);
}

} // namespace smbsign::plugin::whatif
