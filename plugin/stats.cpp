// Statistics over sessions: `-z smbsign,sessions[,csv]` prints one row per session,
// and the stats tree `-z smbsign,tree` (also Statistics > SMB Signing in the GUI)
// counts sessions by verdict, prediction, outcome and integrity.
//
// Both keep the latest record of each session: with `tshark -2` (and in the GUI)
// that is the final state; in a single pass it is the state at the session's last frame.

#include "plugin/compat.hpp"
#include "plugin/glue.hpp"
#include "plugin/input.hpp"

#include <epan/stat_tap_ui.h>
#include <epan/stats_tree.h>
#include <epan/tap.h>

#include <array>
#include <cstdio>
#include <iterator>
#include <map>
#include <string>

namespace smbsign::plugin::glue {
namespace {

struct SessionTable {
    std::map<std::uint32_t, TapRecord> rows;
    Format format = Format::Text;
};

void table_reset(void *data) {
    static_cast<SessionTable *>(data)->rows.clear();
}

tap_packet_status table_packet(void *data, packet_info *, epan_dissect_t *, const void *rec,
                               tap_flags_t) {
    const auto *r = static_cast<const TapRecord *>(rec);
    auto &rows = static_cast<SessionTable *>(data)->rows;
    rows[r->view.number] = *r;
    // A single pass showed the other leg of a relay as it stood at that leg's last frame: what
    // this leg brings about the pair (its AUTHENTICATE, the shared signals, the relayed
    // session's fate) is given to it too, so that the table ends as with two passes.
    const RelayView &now = r->view.relay;
    if (now.peer_session == kNoSession)
        return TAP_PACKET_REDRAW;
    auto peer = rows.find(now.peer_session + 1);
    if (peer == rows.end() || peer->second.view.relay.peer_session + 1 != r->view.number)
        return TAP_PACKET_REDRAW;
    RelayView &other = peer->second.view.relay;
    if (now.frame != kNoFrame)
        other.peer_frame = now.frame;
    other.signals |= static_cast<RelaySignals>(now.signals & ~bit(RelaySignal::TargetName));
    if (now.role == RelayRole::Relayed)
        other.outcome = now.outcome;
    return TAP_PACKET_REDRAW;
}

// The relay column: "-", or the role, the other leg's session and the relayed session's fate.
std::string relay_text(const SessionView &v) {
    const RelayView &r = v.relay;
    if (r.role == RelayRole::None)
        return "-";
    std::string out(to_string(r.role));
    if (r.peer_session != kNoSession)
        out += "(#" + std::to_string(r.peer_session + 1) + ")";
    if (r.outcome != RelayOutcome::None)
        out += std::string(":") + std::string(to_string(r.outcome));
    return out;
}

// The relay signals, separated by spaces (no comma: CSV).
std::string relay_signals(const SessionView &v) {
    std::string out;
    for (unsigned i = 0; i < static_cast<unsigned>(RelaySignal::Count); ++i) {
        if ((v.relay.signals & bit(static_cast<RelaySignal>(i))) == 0)
            continue;
        if (!out.empty())
            out += ' ';
        out += to_string(static_cast<RelaySignal>(i));
    }
    return out;
}

// The NTLM user as a JSON string: only the backslash between domain and user (and a quote,
// which ntlm facts never hold) needs escaping.
std::string json_string(const char *s) {
    std::string out = "\"";
    for (; *s != '\0'; ++s) {
        if (*s == '\\' || *s == '"')
            out += '\\';
        out += *s;
    }
    return out + '"';
}

// The session table's columns, in order: one list for the text, CSV and JSON tables.
// Every value is a name from the core, an address or a number (nothing needs escaping), but
// the NTLM user (JSON-escaped).
struct Row {
    std::uint32_t number;
    const TapRecord &r;
};
enum class Json : std::uint8_t {
    String, // quoted
    Raw,    // a number, true/false or null as it is
};
struct Column {
    std::string_view name;    // CSV heading and JSON key; empty: the text table's only
    std::string_view heading; // text heading; empty: CSV and JSON only
    int width;                // text width
    Json json;
    std::string (*value)(const Row &);
    std::string (*json_value)(const Row &) = nullptr; // where JSON says it otherwise
};

std::string number_text(std::uint32_t n) {
    return std::to_string(n);
}
std::string session_id_text(const Row &row) {
    const SessionView &v = row.r.view;
    if (!v.id_known)
        return "-";
    char id[24];
    std::snprintf(id, sizeof id, "0x%llx", static_cast<unsigned long long>(v.id));
    return id;
}

// The session's encrypted messages: checked valid / invalid / unverifiable, of counted
// ("-" when none was counted).
std::string encrypted_text(const SessionView &v) {
    if (v.counted_encrypted == 0)
        return "-";
    const auto &s = v.signatures;
    return std::to_string(s.encrypted_valid) + "/" + std::to_string(s.encrypted_invalid) + "/" +
           std::to_string(s.encrypted_unverifiable) + " of " + std::to_string(v.counted_encrypted);
}
std::string encrypted_json(const SessionView &v) {
    const auto &s = v.signatures;
    return "{\"messages\": " + std::to_string(v.counted_encrypted) +
           ", \"valid\": " + std::to_string(s.encrypted_valid) +
           ", \"invalid\": " + std::to_string(s.encrypted_invalid) +
           ", \"unverifiable\": " + std::to_string(s.encrypted_unverifiable) + "}";
}

const Column kColumns[] = {
    {"session", "#", 4, Json::Raw, [](const Row &row) { return number_text(row.number); }},
    {"session_id", "", 0, Json::Raw, session_id_text,
     [](const Row &row) {
         return row.r.view.id_known ? '"' + session_id_text(row) + '"' : std::string("null");
     }},
    {"client", "Client", 22, Json::String,
     [](const Row &row) { return std::string(row.r.client); }},
    {"server", "Server", 22, Json::String,
     [](const Row &row) { return std::string(row.r.server); }},
    {"dialect", "Dialect", 10, Json::String,
     [](const Row &row) { return std::string(to_string(row.r.view.dialect)); }},
    {"client_policy", "Cli.pol", 9, Json::String,
     [](const Row &row) { return std::string(to_string(row.r.view.client)); }},
    {"server_policy", "Srv.pol", 9, Json::String,
     [](const Row &row) { return std::string(to_string(row.r.view.server)); }},
    {"verdict", "Verdict", 15, Json::String,
     [](const Row &row) { return std::string(to_string(row.r.view.verdict)); }},
    {"predicted", "Predicted", 24, Json::String,
     [](const Row &row) { return std::string(to_string(row.r.view.predicted)); }},
    {"observed", "Observed", 22, Json::String,
     [](const Row &row) { return std::string(to_string(row.r.view.observed)); }},
    {"consistent", "Cons.", 5, Json::Raw,
     [](const Row &row) {
         const auto &c = row.r.view.consistent;
         return std::string(!c ? "-" : *c ? "yes" : "NO");
     },
     [](const Row &row) {
         const auto &c = row.r.view.consistent;
         return std::string(!c ? "null" : *c ? "true" : "false");
     }},
    {"integrity", "Integrity", 10, Json::String,
     [](const Row &row) { return std::string(verify::to_string(row.r.view.integrity)); }},
    {"negotiate_frame", "", 0, Json::Raw,
     [](const Row &row) { return number_text(row.r.view.negotiate_frame); }},
    {"setup_frame", "", 0, Json::Raw,
     [](const Row &row) { return number_text(row.r.view.setup_frame); }},
    {"outcome_frame", "", 0, Json::Raw,
     [](const Row &row) { return number_text(row.r.view.outcome_frame); }},
    {"", "Frames (negotiate/setup/outcome)", 32, Json::Raw,
     [](const Row &row) {
         const SessionView &v = row.r.view;
         return number_text(v.negotiate_frame) + '/' + number_text(v.setup_frame) + '/' +
                number_text(v.outcome_frame);
     }},
    {"encrypted", "Encrypted (valid/invalid/unverif.)", 34, Json::Raw,
     [](const Row &row) { return encrypted_text(row.r.view); },
     [](const Row &row) { return encrypted_json(row.r.view); }},
    {"", "NTLM relay", 0, Json::Raw, [](const Row &row) { return relay_text(row.r.view); }},
    {"relay_role", "", 0, Json::String,
     [](const Row &row) {
         const RelayRole role = row.r.view.relay.role;
         return role == RelayRole::None ? std::string() : std::string(to_string(role));
     }},
    {"relay_peer_frame", "", 0, Json::Raw,
     [](const Row &row) { return number_text(row.r.view.relay.peer_frame); }},
    {"relay_signals", "", 0, Json::String,
     [](const Row &row) { return relay_signals(row.r.view); }},
    {"relay_outcome", "", 0, Json::String,
     [](const Row &row) {
         const RelayOutcome outcome = row.r.view.relay.outcome;
         return outcome == RelayOutcome::None ? std::string() : std::string(to_string(outcome));
     }},
    {"ntlm_user", "", 0, Json::Raw, [](const Row &row) { return std::string(row.r.ntlm_user); },
     [](const Row &row) { return json_string(row.r.ntlm_user); }},
    {"ntlm_challenge", "", 0, Json::String,
     [](const Row &row) { return std::string(row.r.ntlm_challenge); }},
    {"ntlm_proof_fp", "", 0, Json::String,
     [](const Row &row) { return std::string(row.r.ntlm_proof_fp); }},
};

constexpr std::string_view kRule = "=========================================================="
                                   "========================================================";

void table_draw_json(const SessionTable &t) {
    std::printf("[");
    const char *sep = "\n";
    for (const auto &[number, r] : t.rows) {
        const Row row{number, r};
        std::string line = "  {";
        for (const Column &c : kColumns) {
            if (c.name.empty())
                continue;
            const std::string value = c.json_value != nullptr ? c.json_value(row) : c.value(row);
            line.append(line.size() > 3 ? ", \"" : "\"").append(c.name).append("\": ");
            line.append(c.json == Json::String ? '"' + value + '"' : value);
        }
        std::printf("%s%s}", sep, line.c_str());
        sep = ",\n";
    }
    std::printf("\n]\n");
}

void table_draw_csv(const SessionTable &t) {
    std::string line;
    for (const Column &c : kColumns)
        if (!c.name.empty())
            line.append(line.empty() ? "" : ",").append(c.name);
    std::printf("%s\n", line.c_str());
    for (const auto &[number, r] : t.rows) {
        line.clear();
        bool first = true;
        for (const Column &c : kColumns) {
            if (c.name.empty())
                continue;
            line.append(first ? "" : ",").append(c.value({number, r}));
            first = false;
        }
        std::printf("%s\n", line.c_str());
    }
}

// One text line: each column padded to its width, the last one as it is.
template <class Cell> void text_line(Cell cell) {
    std::string line;
    for (const Column &c : kColumns) {
        if (c.heading.empty())
            continue;
        if (!line.empty())
            line.push_back(' ');
        const std::string text = cell(c);
        line.append(text);
        if (text.size() < static_cast<std::size_t>(c.width))
            line.append(static_cast<std::size_t>(c.width) - text.size(), ' ');
    }
    while (!line.empty() && line.back() == ' ')
        line.pop_back();
    std::printf("%s\n", line.c_str());
}

void table_draw(void *data) {
    const auto *t = static_cast<const SessionTable *>(data);
    if (t->format != Format::Text) {
        t->format == Format::Json ? table_draw_json(*t) : table_draw_csv(*t);
        return;
    }
    std::printf("\n%s\nSMB signing sessions\n", kRule.data());
    text_line([](const Column &c) { return std::string(c.heading); });
    for (const auto &[number, r] : t->rows) {
        const Row row{number, r};
        text_line([&row](const Column &c) { return c.value(row); });
    }
    std::printf("%s\n", kRule.data());
}

void table_finish(void *data) {
    delete static_cast<SessionTable *>(data);
}

compat::tap_init_result table_init(const char *opt_arg, void *) {
    auto *t = new SessionTable();
    t->format = glue::table_format(opt_arg);
    return glue::start_table(t, nullptr, TL_REQUIRES_NOTHING, table_reset, table_packet, table_draw,
                             table_finish);
}

// `-z smbsign,input`: which frames brought how many SMB messages to smbsign (see
// input::delivery_report), for the test that proves every SMB message arrives.
void input_draw(void *) {
    std::fputs(input::delivery_report().c_str(), stdout);
}
void input_finish(void *) {
    input::record_delivery(false);
}
tap_packet_status input_packet(void *, packet_info *, epan_dissect_t *, const void *, tap_flags_t) {
    return TAP_PACKET_DONT_REDRAW;
}

int input_listener_tag; // a listener is known by its data pointer

compat::tap_init_result input_init(const char *, void *) {
    input::record_delivery(true);
    GString *err =
        register_tap_listener("smbsign", &input_listener_tag, nullptr, TL_REQUIRES_NOTHING, nullptr,
                              input_packet, input_draw, input_finish);
    if (err != nullptr) {
        std::fprintf(stderr, "smbsign: %s\n", err->str);
        g_string_free(err, TRUE);
        input::record_delivery(false);
        return compat::tap_init_ok(false);
    }
    return compat::tap_init_ok(true);
}

// --- Stats tree -----------------------------------------------------------------

const char *const kTreeRoot = "SMB signing sessions";

// The number of values of an enum, from its last enumerator (the core's enums have no
// Count sentinel); every group's categories must fit kMaxCategories.
template <auto Last> constexpr std::size_t kValues = static_cast<std::size_t>(Last) + 1;
constexpr std::size_t kMaxCategories = 8;

// One counter per category of each group, kept up to date as sessions change state,
// so that every session counts once, in its latest state, at O(1) cost per frame.
struct Group {
    const char *name;
    std::size_t size;
    std::uint8_t (*of)(const SessionView &);
    std::array<gint, kMaxCategories> counts{};
    std::string_view (*label)(std::size_t);
};

template <typename Enum> std::string_view label_of(std::size_t i) {
    return to_string(static_cast<Enum>(i));
}

std::uint8_t consistency(const SessionView &v) {
    return v.consistent ? (*v.consistent ? 0 : 1) : 2;
}

constexpr std::string_view kConsistencyLabels[] = {"yes", "no", "not judged"};

std::string_view consistency_label(std::size_t i) {
    return kConsistencyLabels[i];
}

constexpr std::size_t kVerdicts = kValues<Verdict::NotEstablished>;
constexpr std::size_t kPolicies = kValues<Policy::Required>;
constexpr std::size_t kPredicted = kValues<Predicted::SigningFailure>;
constexpr std::size_t kObserved = kValues<Observed::SigningFailure>;
constexpr std::size_t kConsistency = std::size(kConsistencyLabels);
constexpr std::size_t kIntegrity = kValues<verify::Integrity::Invalid>;
constexpr std::size_t kRelayRoles = kValues<RelayRole::Suspected>;
static_assert(kVerdicts <= kMaxCategories && kPolicies <= kMaxCategories &&
                  kPredicted <= kMaxCategories && kObserved <= kMaxCategories &&
                  kConsistency <= kMaxCategories && kIntegrity <= kMaxCategories &&
                  kRelayRoles <= kMaxCategories,
              "a stats-tree group has more categories than counters");

std::array<Group, 8> groups = {{
    {"Verdict",
     kVerdicts,
     [](const SessionView &v) { return static_cast<std::uint8_t>(v.verdict); },
     {},
     label_of<Verdict>},
    {"Server policy",
     kPolicies,
     [](const SessionView &v) { return static_cast<std::uint8_t>(v.server); },
     {},
     label_of<Policy>},
    {"Client policy",
     kPolicies,
     [](const SessionView &v) { return static_cast<std::uint8_t>(v.client); },
     {},
     label_of<Policy>},
    {"Predicted outcome",
     kPredicted,
     [](const SessionView &v) { return static_cast<std::uint8_t>(v.predicted); },
     {},
     label_of<Predicted>},
    {"Observed outcome",
     kObserved,
     [](const SessionView &v) { return static_cast<std::uint8_t>(v.observed); },
     {},
     label_of<Observed>},
    {"Consistent with prediction", kConsistency, consistency, {}, consistency_label},
    {"Integrity",
     kIntegrity,
     [](const SessionView &v) { return static_cast<std::uint8_t>(v.integrity); },
     {},
     label_of<verify::Integrity>},
    {"NTLM relay role",
     kRelayRoles,
     [](const SessionView &v) { return static_cast<std::uint8_t>(v.relay.role); },
     {},
     label_of<RelayRole>},
}};

std::map<std::uint32_t, SessionView> tree_sessions;

void tree_init(stats_tree *st) {
    tree_sessions.clear();
    const int root = stats_tree_create_node(st, kTreeRoot, 0, STAT_DT_INT, TRUE);
    for (auto &g : groups) {
        g.counts.fill(0);
        const int gid = stats_tree_create_node(st, g.name, root, STAT_DT_INT, TRUE);
        for (std::size_t i = 0; i < g.size; ++i)
            stats_tree_create_node(st, g.label(i).data(), gid, STAT_DT_INT, FALSE);
    }
}

tap_packet_status tree_packet(stats_tree *st, packet_info *, epan_dissect_t *, const void *p,
                              tap_flags_t) {
    const auto *r = static_cast<const TapRecord *>(p);
    auto [it, added] = tree_sessions.try_emplace(r->view.number, r->view);
    const gint total = static_cast<gint>(tree_sessions.size());
    const int root = set_stat_node(st, kTreeRoot, 0, TRUE, total);
    for (auto &g : groups) {
        const int gid = set_stat_node(st, g.name, root, TRUE, total);
        const std::uint8_t now = g.of(r->view);
        if (!added) {
            const std::uint8_t before = g.of(it->second);
            if (before == now)
                continue;
            g.counts[before]--;
            set_stat_node(st, g.label(before).data(), gid, FALSE, g.counts[before]);
        }
        g.counts[now]++;
        set_stat_node(st, g.label(now).data(), gid, FALSE, g.counts[now]);
    }
    it->second = r->view;
    return TAP_PACKET_REDRAW;
}

void tree_cleanup(stats_tree *) {
    tree_sessions.clear();
}

} // namespace

void register_stats() {
    static stat_tap_ui sessions_ui = {REGISTER_STAT_GROUP_GENERIC,
                                      "SMB signing sessions",
                                      "smbsign,sessions",
                                      table_init,
                                      0,
                                      nullptr};
    register_stat_tap_ui(&sessions_ui, nullptr);
    static stat_tap_ui input_ui = {REGISTER_STAT_GROUP_GENERIC,
                                   "smbsign input check",
                                   "smbsign,input",
                                   input_init,
                                   0,
                                   nullptr};
    register_stat_tap_ui(&input_ui, nullptr);
    stats_tree_register_plugin("smbsign", "smbsign", "SMB Signing/Sessions", 0, tree_packet,
                               tree_init, tree_cleanup);
}

} // namespace smbsign::plugin::glue
