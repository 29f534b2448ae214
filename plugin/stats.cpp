// Statistics over sessions: `-z smbsign,sessions[,csv]` prints one row per session,
// and the stats tree `-z smbsign,tree` (also Statistics > SMB Signing in the GUI)
// counts sessions by verdict, prediction and outcome.
//
// Both keep the latest record of each session: with `tshark -2` (and in the GUI)
// that is the final state; in a single pass it is the state at the session's last frame.

#include "plugin/glue.hpp"

#include <epan/stat_tap_ui.h>
#include <epan/stats_tree.h>
#include <epan/tap.h>

#include <cstdio>
#include <map>
#include <string>

namespace glue {
namespace {

using namespace smbsign;

enum class Format { Text, Csv, Json };

struct SessionTable {
    std::map<std::uint32_t, TapRecord> rows;
    Format format = Format::Text;
};

void table_reset(void *data) { static_cast<SessionTable *>(data)->rows.clear(); }

tap_packet_status table_packet(void *data, packet_info *, epan_dissect_t *, const void *rec,
                               tap_flags_t) {
    const auto *r = static_cast<const TapRecord *>(rec);
    static_cast<SessionTable *>(data)->rows[r->view.number] = *r;
    return TAP_PACKET_REDRAW;
}

std::string consistent_text(const SessionView &v) {
    if (!v.consistent)
        return "-";
    return *v.consistent ? "yes" : "NO";
}

// One JSON array of session objects; every value is a name from the core or a number,
// so nothing needs escaping.
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
                    "\"consistent\": %s, \"negotiate_frame\": %u, \"setup_frame\": %u, "
                    "\"outcome_frame\": %u}",
                    r.client, r.server, to_string(v.dialect).data(), to_string(v.client).data(),
                    to_string(v.server).data(), to_string(v.verdict).data(),
                    to_string(v.predicted).data(), to_string(v.observed).data(),
                    v.consistent ? (*v.consistent ? "true" : "false") : "null", v.negotiate_frame,
                    v.setup_frame, v.outcome_frame);
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
                    "verdict,predicted,observed,consistent,negotiate_frame,setup_frame,"
                    "outcome_frame\n");
    } else {
        std::printf("\n================================================================================"
                    "==================================\nSMB signing sessions\n"
                    "%-4s %-22s %-22s %-10s %-9s %-9s %-15s %-24s %-22s %-5s %s\n",
                    "#", "Client", "Server", "Dialect", "Cli.pol", "Srv.pol", "Verdict",
                    "Predicted", "Observed", "Cons.", "Frames (negotiate/setup/outcome)");
    }
    for (const auto &[number, r] : t->rows) {
        const SessionView &v = r.view;
        char id[24] = "-";
        if (v.id_known)
            std::snprintf(id, sizeof id, "0x%llx", static_cast<unsigned long long>(v.id));
        if (csv) {
            std::printf("%u,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%u,%u,%u\n", number, id, r.client,
                        r.server, to_string(v.dialect).data(), to_string(v.client).data(),
                        to_string(v.server).data(), to_string(v.verdict).data(),
                        to_string(v.predicted).data(), to_string(v.observed).data(),
                        consistent_text(v).c_str(), v.negotiate_frame, v.setup_frame,
                        v.outcome_frame);
            continue;
        }
        std::printf("%-4u %-22s %-22s %-10s %-9s %-9s %-15s %-24s %-22s %-5s %u/%u/%u\n", number,
                    r.client, r.server, to_string(v.dialect).data(), to_string(v.client).data(),
                    to_string(v.server).data(), to_string(v.verdict).data(),
                    to_string(v.predicted).data(), to_string(v.observed).data(),
                    consistent_text(v).c_str(), v.negotiate_frame, v.setup_frame,
                    v.outcome_frame);
    }
    if (!csv)
        std::printf("=================================================================================="
                    "================================\n");
}

void table_finish(void *data) { delete static_cast<SessionTable *>(data); }

void table_init(const char *opt_arg, void *) {
    auto *t = new SessionTable();
    const std::string arg(opt_arg);
    if (arg.find(",csv") != std::string::npos)
        t->format = Format::Csv;
    else if (arg.find(",json") != std::string::npos)
        t->format = Format::Json;
    GString *err = register_tap_listener("smbsign", t, nullptr, TL_REQUIRES_NOTHING, table_reset,
                                         table_packet, table_draw, table_finish);
    if (err != nullptr) {
        std::fprintf(stderr, "smbsign: %s\n", err->str);
        g_string_free(err, TRUE);
        delete t;
    }
}

// --- Stats tree -----------------------------------------------------------------

std::map<std::uint32_t, SessionView> tree_sessions;

const char *const kTreeRoot = "SMB signing sessions";

void tree_init(stats_tree *st) {
    tree_sessions.clear();
    stats_tree_create_node(st, kTreeRoot, 0, STAT_DT_INT, TRUE);
}

template <typename Enum, std::size_t N>
void set_group(stats_tree *st, int root, const char *group, std::size_t total,
               Enum (*of)(const SessionView &)) {
    const int gid = set_stat_node(st, group, root, TRUE, static_cast<gint>(total));
    for (std::size_t i = 0; i < N; ++i) {
        const auto value = static_cast<Enum>(i);
        gint n = 0;
        for (const auto &entry : tree_sessions)
            n += of(entry.second) == value ? 1 : 0;
        set_stat_node(st, to_string(value).data(), gid, FALSE, n);
    }
}

// Recounts the sessions after each update so that every session counts once, in
// its latest state; every category is listed, also when it has no session.
tap_packet_status tree_packet(stats_tree *st, packet_info *, epan_dissect_t *, const void *p,
                              tap_flags_t) {
    const auto *r = static_cast<const TapRecord *>(p);
    tree_sessions[r->view.number] = r->view;
    const std::size_t total = tree_sessions.size();
    const int root = set_stat_node(st, kTreeRoot, 0, TRUE, static_cast<gint>(total));
    set_group<Verdict, 5>(st, root, "Verdict", total, [](const SessionView &v) { return v.verdict; });
    set_group<Policy, 4>(st, root, "Server policy", total,
                         [](const SessionView &v) { return v.server; });
    set_group<Policy, 4>(st, root, "Client policy", total,
                         [](const SessionView &v) { return v.client; });
    set_group<Predicted, 6>(st, root, "Predicted outcome", total,
                            [](const SessionView &v) { return v.predicted; });
    set_group<Observed, 6>(st, root, "Observed outcome", total,
                           [](const SessionView &v) { return v.observed; });
    const int cid = set_stat_node(st, "Consistent with prediction", root, TRUE,
                                  static_cast<gint>(total));
    gint yes = 0, no = 0;
    for (const auto &entry : tree_sessions) {
        yes += entry.second.consistent == true ? 1 : 0;
        no += entry.second.consistent == false ? 1 : 0;
    }
    set_stat_node(st, "yes", cid, FALSE, yes);
    set_stat_node(st, "no", cid, FALSE, no);
    set_stat_node(st, "not judged", cid, FALSE, static_cast<gint>(total) - yes - no);
    return TAP_PACKET_REDRAW;
}

void tree_cleanup(stats_tree *) { tree_sessions.clear(); }

} // namespace

void register_stats() {
    static stat_tap_ui sessions_ui = {REGISTER_STAT_GROUP_GENERIC, "SMB signing sessions",
                                      "smbsign,sessions", table_init, 0, nullptr};
    register_stat_tap_ui(&sessions_ui, nullptr);
    stats_tree_register_plugin("smbsign", "smbsign", "SMB Signing/Sessions", 0, tree_packet,
                               tree_init, tree_cleanup);
}

} // namespace glue
