#include "plugin/kdc.hpp"

#include "smbsign/bytes.hpp"
#include "smbsign/verify/verifier.hpp"

#include <epan/dissectors/packet-tcp.h>
#include <epan/expert.h>

#include <vector>

namespace smbsign::plugin::kdc {
namespace {

// RFC 4120 7.2.2: over TCP a 4-byte big-endian record mark whose high bit is reserved
// (RFC 5021) precedes each message.
constexpr unsigned kRecordMarkSize = 4;
constexpr std::uint32_t kRecordLengthMask = 0x7fffffffu;

verify::Verifier *verifier = nullptr;
dissector_handle_t kerberos_tcp = nullptr; // what the tables held before
dissector_handle_t kerberos_udp = nullptr;
dissector_handle_t our_tcp = nullptr;
dissector_handle_t our_udp = nullptr;
int proto_smbsign = -1;
expert_field *ei_limit = nullptr;
std::uint32_t limit_frame = 0; // the frame whose KDC message met the limit; 0: none yet

void read_kdc_message(tvbuff_t *tvb, packet_info *pinfo, unsigned offset) {
    const unsigned length = tvb_captured_length(tvb);
    if (length <= offset || tvb_reported_length(tvb) != length)
        return; // a truncated capture: not a whole message
    const auto *p = tvb_get_ptr(tvb, static_cast<int>(offset), static_cast<int>(length - offset));
    (void)verifier->kdc(Bytes(p, length - offset));
    if (limit_frame == 0 && verifier->kdc_path().overflowed())
        limit_frame = pinfo->num;
}

// The verifier reads each KDC message once, on the first pass; the limit's note shows on
// its frame on every pass.
void hand_over(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, unsigned offset) {
    if (verifier == nullptr)
        return;
    if (!PINFO_FD_VISITED(pinfo))
        read_kdc_message(tvb, pinfo, offset);
    if (limit_frame != 0 && limit_frame == pinfo->num && ei_limit != nullptr) {
        proto_item *item = proto_tree_add_item(tree, proto_smbsign, tvb, 0, -1, ENC_NA);
        expert_add_info(pinfo, item, ei_limit);
    }
}

unsigned record_length(packet_info *, tvbuff_t *tvb, int offset, void *) {
    return (tvb_get_ntohl(tvb, offset) & kRecordLengthMask) + kRecordMarkSize;
}

int one_record(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, void *data) {
    hand_over(tvb, pinfo, tree, kRecordMarkSize);
    return call_dissector_with_data(kerberos_tcp, tvb, pinfo, tree, data);
}

int on_tcp(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, void *data) {
    if (kerberos_tcp == nullptr)
        return 0;
    tcp_dissect_pdus(tvb, pinfo, tree, true, kRecordMarkSize, record_length, one_record, data);
    return static_cast<int>(tvb_captured_length(tvb));
}

int on_udp(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, void *data) {
    if (kerberos_udp == nullptr)
        return 0;
    hand_over(tvb, pinfo, tree, 0);
    return call_dissector_with_data(kerberos_udp, tvb, pinfo, tree, data);
}

// Every entry of a port table whose handle is Kerberos's: port 88, and any other port the
// user sent to Kerberos (Decode As, a profile's decode_as_entries).
struct KerberosEntries {
    int kerberos = -1; // Kerberos's protocol id
    dissector_handle_t ours = nullptr;
    dissector_handle_t theirs = nullptr;
    std::vector<unsigned> ports;
};

void collect(const char *, ftenum_t, void *key, void *value, void *user_data) {
    auto *found = static_cast<KerberosEntries *>(user_data);
    dissector_handle_t h = dtbl_entry_get_handle(static_cast<dtbl_entry_t *>(value));
    if (h == nullptr || h == found->ours ||
        dissector_handle_get_protocol_index(h) != found->kerberos)
        return;
    found->theirs = h;
    found->ports.push_back(GPOINTER_TO_UINT(key));
}

// Puts our handle on those entries (collected first: the table is not changed while it is
// walked); `theirs` keeps Kerberos's handle, which ours call.
void take(const char *table, dissector_handle_t ours, dissector_handle_t &theirs) {
    KerberosEntries found;
    found.kerberos = proto_get_id_by_filter_name("kerberos");
    found.ours = ours;
    if (found.kerberos < 0 || find_dissector_table(table) == nullptr)
        return;
    dissector_table_foreach(table, collect, &found);
    if (found.theirs == nullptr)
        return;
    theirs = found.theirs;
    for (unsigned port : found.ports)
        dissector_change_uint(table, port, ours);
}

} // namespace

void hook(int proto, expert_field *limit) {
    proto_smbsign = proto;
    ei_limit = limit;
    if (our_tcp == nullptr) {
        our_tcp = create_dissector_handle(on_tcp, proto);
        our_udp = create_dissector_handle(on_udp, proto);
    }
    take("tcp.port", our_tcp, kerberos_tcp);
    take("udp.port", our_udp, kerberos_udp);
}

void set_verifier(verify::Verifier *v) {
    verifier = v;
    limit_frame = 0;
}

} // namespace smbsign::plugin::kdc
