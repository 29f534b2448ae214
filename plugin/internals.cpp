// See internals.hpp.
#include "plugin/internals.hpp"

// The public headers first: the internal ones use their types.
#include <epan/conversation.h>
#include <epan/dissectors/packet-tcp.h>
#include <epan/prefs.h>
#include <epan/uat.h>

#include <epan/prefs-int.h>
#include <epan/uat-int.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <vector>

namespace smbsign::plugin::internals {
namespace {

// tcp.completeness bits (Wireshark's TCP dissector sets them on FIN+ACK and on RST).
constexpr guint8 kCompletenessFin = 0x10;
constexpr guint8 kCompletenessRst = 0x20;

// Recent answers of tcp_connection(), by port pair. find_conversation() tries several
// keys and costs about a thousand instructions, once per frame; a cached conversation is
// the right one when the TCP dissector has moved its last_frame to this frame, which it
// does (first pass) for the conversation of every segment it dissects.
struct CachedTcp {
    const conversation_t *conv = nullptr;
    const tcp_analysis *tcp = nullptr;
    std::uint32_t port_lo = 0, port_hi = 0;
};
std::array<CachedTcp, 256> tcp_cache;

const tcp_analysis *tcp_of(packet_info *pinfo) {
    static const int proto_tcp = proto_get_id_by_filter_name("tcp");
    const std::uint32_t lo = std::min(pinfo->srcport, pinfo->destport);
    const std::uint32_t hi = std::max(pinfo->srcport, pinfo->destport);
    CachedTcp &slot = tcp_cache[(lo * 31u + hi) % tcp_cache.size()];
    if (slot.conv != nullptr && slot.port_lo == lo && slot.port_hi == hi &&
        slot.conv->last_frame == pinfo->num)
        return slot.tcp;
    conversation_t *conv = find_conversation(pinfo->num, &pinfo->src, &pinfo->dst, CONVERSATION_TCP,
                                             pinfo->srcport, pinfo->destport, 0);
    if (conv == nullptr || proto_tcp == -1)
        return nullptr;
    const auto *tcp =
        static_cast<const tcp_analysis *>(conversation_get_proto_data(conv, proto_tcp));
    slot = {conv, tcp, lo, hi};
    return tcp;
}

} // namespace

std::optional<TcpConnection> tcp_connection(packet_info *pinfo) {
    const tcp_analysis *tcp = tcp_of(pinfo);
    if (tcp == nullptr)
        return std::nullopt;
    return TcpConnection{
        tcp->stream, (tcp->conversation_completeness & (kCompletenessFin | kCompletenessRst)) != 0};
}

void forget_tcp_connections() {
    tcp_cache.fill({});
}

heur_dissector_t replace_heuristic(const char *short_name, heur_dissector_t with) {
    heur_dtbl_entry_t *entry = find_heur_dissector_by_unique_short_name(short_name);
    if (entry == nullptr || entry->dissector == nullptr)
        return nullptr;
    const heur_dissector_t was = entry->dissector;
    entry->dissector = with;
    return was;
}

std::string string_pref(const char *module_name, const char *pref_name) {
    module_t *module = prefs_find_module(module_name);
    pref_t *pref = module != nullptr ? prefs_find_preference(module, pref_name) : nullptr;
    const char *value = pref != nullptr ? prefs_get_string_value(pref, pref_current) : nullptr;
    return value != nullptr ? value : "";
}

namespace {
struct UatVisit {
    const char *filename;
    unsigned columns;
    const std::function<void(std::span<const char *const>)> *row;
};

void visit_uat(void *table, void *data) {
    const auto *visit = static_cast<const UatVisit *>(data);
    const auto *uat = static_cast<const uat_t *>(table);
    if (uat->filename == nullptr || std::strcmp(uat->filename, visit->filename) != 0 ||
        uat->user_data == nullptr || uat->fields == nullptr)
        return;
    std::vector<char *> texts(visit->columns, nullptr);
    for (guint i = 0; i < uat->user_data->len; ++i) {
        void *rec = uat->user_data->data + i * uat->record_size;
        for (guint c = 0; c < visit->columns && c < uat->ncols; ++c)
            texts[c] = uat_fld_tostr(rec, &uat->fields[c]);
        (*visit->row)(std::span<const char *const>(texts.data(), texts.size()));
        for (char *&t : texts) {
            if (t != nullptr)
                std::memset(t, 0, std::strlen(t)); // keys: wiped before they are freed
            g_free(t);
            t = nullptr;
        }
    }
}
} // namespace

void each_uat_row(const char *filename, unsigned columns,
                  const std::function<void(std::span<const char *const>)> &row) {
    UatVisit visit{filename, columns, &row};
    uat_foreach_table(visit_uat, &visit);
}

} // namespace smbsign::plugin::internals
