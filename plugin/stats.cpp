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

namespace glue {
namespace {

using namespace smbsign;

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

std::string consistent_text(const SessionView &v) {
    if (!v.consistent)
        return "-";
    return *v.consistent ? "yes" : "NO";
}

// The NTLM user as a JSON string body: ntlm_text left only the backslash between domain and
// user to escape.
std::string json_escaped(const char *s) {
    std::string out;
    for (; *s != '\0'; ++s) {
        if (*s == '\\' || *s == '"')
            out += '\\';
        out += *s;
    }
    return out;
}

// One JSON array of session objects; every value is a name from the core, a number or the
// NTLM user (escaped), so nothing else needs escaping.
void table_draw_json(const SessionTable &t) {
    std::printf("[");
    const char *sep = "\n";
    for (const auto &[number, r] : t.rows) {
        const SessionView &v = r.view;
        std::printf("%s  {\"session\": %u, \"session_id\": ", sep, number);
        if (v.id_known)
            std::printf("\"0x%llx\"", static_cast<unsigned long long>(v.id));
        else
            std::printf("null");
        std::printf(", \"client\": \"%s\", \"server\": \"%s\", \"dialect\": \"%s\", "
                    "\"client_policy\": \"%s\", \"server_policy\": \"%s\", "
                    "\"verdict\": \"%s\", \"predicted\": \"%s\", \"observed\": \"%s\", "
                    "\"consistent\": %s, \"integrity\": \"%s\", \"negotiate_frame\": %u, "
                    "\"setup_frame\": %u, \"outcome_frame\": %u",
                    r.client, r.server, to_string(v.dialect).data(), to_string(v.client).data(),
                    to_string(v.server).data(), to_string(v.verdict).data(),
                    to_string(v.predicted).data(), to_string(v.observed).data(),
                    v.consistent ? (*v.consistent ? "true" : "false") : "null",
                    verify::to_string(v.integrity).data(), v.negotiate_frame, v.setup_frame,
                    v.outcome_frame);
        std::printf(", \"relay_role\": \"%s\", \"relay_peer_frame\": %u, \"relay_signals\": "
                    "\"%s\", \"relay_outcome\": \"%s\", \"ntlm_user\": \"%s\", "
                    "\"ntlm_challenge\": \"%s\", \"ntlm_proof_fp\": \"%s\"}",
                    to_string(v.relay.role).data(), v.relay.peer_frame, relay_signals(v).c_str(),
                    to_string(v.relay.outcome).data(), json_escaped(r.ntlm_user).c_str(),
                    r.ntlm_challenge, r.ntlm_proof_fp);
        sep = ",\n";
    }
    std::printf("\n]\n");
}

void table_draw(void *data) {
    const auto *t = static_cast<const SessionTable *>(data);
    if (t->format == Format::Json) {
        table_draw_json(*t);
        return;
    }
    const bool csv = t->format == Format::Csv;
    if (csv) {
        std::printf("session,session_id,client,server,dialect,client_policy,server_policy,"
                    "verdict,predicted,observed,consistent,integrity,negotiate_frame,"
                    "setup_frame,outcome_frame,relay_role,relay_peer_frame,relay_signals,"
                    "relay_outcome,ntlm_user,ntlm_challenge,ntlm_proof_fp\n");
    } else {
        std::printf(
            "\n================================================================================"
            "==================================\nSMB signing sessions\n"
            "%-4s %-22s %-22s %-10s %-9s %-9s %-15s %-24s %-22s %-5s %-10s %-32s %s\n",
            "#", "Client", "Server", "Dialect", "Cli.pol", "Srv.pol", "Verdict", "Predicted",
            "Observed", "Cons.", "Integrity", "Frames (negotiate/setup/outcome)", "NTLM relay");
    }
    for (const auto &[number, r] : t->rows) {
        const SessionView &v = r.view;
        char id[24] = "-";
        if (v.id_known)
            std::snprintf(id, sizeof id, "0x%llx", static_cast<unsigned long long>(v.id));
        if (csv) {
            std::printf("%u,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%u,%u,%u,", number, id, r.client,
                        r.server, to_string(v.dialect).data(), to_string(v.client).data(),
                        to_string(v.server).data(), to_string(v.verdict).data(),
                        to_string(v.predicted).data(), to_string(v.observed).data(),
                        consistent_text(v).c_str(), verify::to_string(v.integrity).data(),
                        v.negotiate_frame, v.setup_frame, v.outcome_frame);
            std::printf("%s,%u,%s,%s,%s,%s,%s\n",
                        v.relay.role == RelayRole::None ? "" : to_string(v.relay.role).data(),
                        v.relay.peer_frame, relay_signals(v).c_str(),
                        v.relay.outcome == RelayOutcome::None ? ""
                                                              : to_string(v.relay.outcome).data(),
                        r.ntlm_user, r.ntlm_challenge, r.ntlm_proof_fp);
            continue;
        }
        char frames[40];
        std::snprintf(frames, sizeof frames, "%u/%u/%u", v.negotiate_frame, v.setup_frame,
                      v.outcome_frame);
        std::printf("%-4u %-22s %-22s %-10s %-9s %-9s %-15s %-24s %-22s %-5s %-10s %-32s %s\n",
                    number, r.client, r.server, to_string(v.dialect).data(),
                    to_string(v.client).data(), to_string(v.server).data(),
                    to_string(v.verdict).data(), to_string(v.predicted).data(),
                    to_string(v.observed).data(), consistent_text(v).c_str(),
                    verify::to_string(v.integrity).data(), frames, relay_text(v).c_str());
    }
    if (!csv)
        std::printf(
            "=================================================================================="
            "================================\n");
}

void table_finish(void *data) {
    delete static_cast<SessionTable *>(data);
}

compat::tap_init_result table_init(const char *opt_arg, void *) {
    auto *t = new SessionTable();
    t->format = glue::table_format(opt_arg);
    GString *err = register_tap_listener("smbsign", t, nullptr, TL_REQUIRES_NOTHING, table_reset,
                                         table_packet, table_draw, table_finish);
    if (err != nullptr) {
        std::fprintf(stderr, "smbsign: %s\n", err->str);
        g_string_free(err, TRUE);
        delete t;
        return compat::tap_init_ok(false);
    }
    return compat::tap_init_ok(true);
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

} // namespace glue
