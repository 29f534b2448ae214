// Glue between Wireshark's tree and the core: borrowing the SMB bytes that the
// smb/smb2 dissectors located, and the per-session record handed to the taps.
#pragma once

#include "smbsign/tracker.hpp"

#include <epan/packet.h>
#include <epan/proto.h>
#include <epan/to_str.h>

#include <algorithm>

namespace glue {

struct Pdu {
    tvbuff_t *tvb = nullptr;
    gint start = 0;
    gint captured = 0; // bytes we may read
    gint reported = 0; // bytes the PDU has on the wire
};

struct PduList {
    static constexpr std::size_t kMax = 128;
    Pdu items[kMax];
    std::size_t count = 0;
};

// Every item of protocol `hf` in this frame's tree: one per SMB PDU.
inline void collect(proto_tree *tree, int hf, PduList &out) {
    GPtrArray *arr = hf == -1 ? nullptr : proto_get_finfo_ptr_array(tree, hf);
    if (arr == nullptr)
        return;
    for (guint i = 0; i < arr->len && out.count < PduList::kMax; ++i) {
        const auto *fi = static_cast<const field_info *>(g_ptr_array_index(arr, i));
        if (fi->ds_tvb == nullptr || fi->start < 0)
            continue;
        const gint avail = tvb_captured_length_remaining(fi->ds_tvb, fi->start);
        const gint on_wire = tvb_reported_length_remaining(fi->ds_tvb, fi->start);
        if (avail <= 0)
            continue;
        Pdu &p = out.items[out.count++];
        p.tvb = fi->ds_tvb;
        p.start = fi->start;
        p.reported = fi->length > 0 ? std::min(fi->length, on_wire) : on_wire;
        p.captured = std::min(p.reported, avail);
    }
}

// The PDU's captured bytes; within tvb bounds, so tvb_get_ptr cannot throw.
inline smbsign::Bytes borrow(const Pdu &p) {
    const guint8 *ptr = tvb_get_ptr(p.tvb, p.start, p.captured);
    return {ptr, static_cast<std::size_t>(p.captured)};
}

// What the taps get for each session shown in a frame (trivially destructible:
// it lives in packet-scoped wmem memory).
struct TapRecord {
    smbsign::SessionView view;
    char client[64];
    char server[64];
};

inline void fill_tap_record(TapRecord &rec, const smbsign::SessionView &v, const packet_info *pinfo,
                            bool sender_is_server) {
    rec.view = v;
    char src[64], dst[64];
    address_to_str_buf(&pinfo->src, src, sizeof src);
    address_to_str_buf(&pinfo->dst, dst, sizeof dst);
    const bool v6 = pinfo->src.type == AT_IPv6;
    auto endpoint = [v6](char *out, const char *addr, guint32 port) {
        g_snprintf(out, 64, v6 ? "[%s]:%u" : "%s:%u", addr, port);
    };
    endpoint(sender_is_server ? rec.server : rec.client, src, pinfo->srcport);
    endpoint(sender_is_server ? rec.client : rec.server, dst, pinfo->destport);
}

void register_stats();

} // namespace glue
