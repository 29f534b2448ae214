// See input.hpp. The pass-through changes nothing for Wireshark: it calls the entry's
// own dissector with the same arguments and returns its answer.

#include "plugin/input.hpp"
#include "plugin/compat.hpp"
#include "plugin/internals.hpp"

#include <epan/epan.h>
#include <epan/proto.h>
#include <wsutil/report_message.h>

#include <algorithm>
#include <array>
#include <bitset>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

namespace smbsign::plugin::input {
namespace {

protocol_t *our_protocol = nullptr;
int proto_smb = -1;
int proto_smb2 = -1;

struct Noted {
    static constexpr std::size_t kMax = 128; // messages per frame; more are not analysed
    std::uint32_t frame = 0;
    std::size_t count = 0;
    Pdu items[kMax];
};
Noted noted;

// Ports that carried SMB: frames on other ports cannot close a connection we track.
std::bitset<65536> smb_ports;

// Note an SMB message about to be dissected; false if it was not noted.
bool note(tvbuff_t *tvb, packet_info *pinfo) {
    if (PINFO_FD_VISITED(pinfo) || pinfo->ptype != PT_TCP || our_protocol == nullptr ||
        !proto_is_protocol_enabled(our_protocol))
        return false;
    const auto tcp = internals::tcp_connection(pinfo);
    if (!tcp)
        return false;
    if (noted.frame != pinfo->num) {
        noted.frame = pinfo->num;
        noted.count = 0;
    }
    if (noted.count == Noted::kMax)
        return false;
    noted.items[noted.count++] = {tvb, tcp->stream, side_of(pinfo)};
    smb_ports.set(pinfo->srcport & 0xffff);
    smb_ports.set(pinfo->destport & 0xffff);
    return true;
}

struct Hook {
    const char *short_name;
    heur_dissector_t original;
};
Hook hooks[] = {{"smb_netbios", nullptr}, {"smb2_netbios", nullptr}};

// No C++ object lives in this frame: Wireshark's exceptions (longjmp) may cross it.
template <std::size_t I>
compat::heur_result pass_through(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, void *data) {
    const bool was_noted = note(tvb, pinfo);
    const compat::heur_result accepted = hooks[I].original(tvb, pinfo, tree, data);
    if (!accepted && was_noted)
        --noted.count; // not SMB after all: leave it to the next heuristic
    return accepted;
}

template <std::size_t I> bool install() {
    const heur_dissector_t was =
        internals::replace_heuristic(hooks[I].short_name, &pass_through<I>);
    if (was == nullptr)
        return false;
    if (was != &pass_through<I>)
        hooks[I].original = was;
    return true;
}

// Delivery check: a TCP frame in which Wireshark dissected SMB although nothing was
// noted means this Wireshark hands SMB to smb/smb2 another way than we expect.
struct Delivery {
    bool recording = false;                                    // -z smbsign,input is on
    std::vector<std::pair<std::uint32_t, std::size_t>> frames; // (frame, messages) noted
    std::uint32_t missed = 0;
    std::uint32_t first_missed = 0;
    bool reported = false; // once per capture
};
Delivery delivery;

bool has_layer(const packet_info *pinfo, int proto) {
    if (proto == -1 || pinfo->layers == nullptr)
        return false;
    for (wmem_list_frame_t *f = wmem_list_head(pinfo->layers); f != nullptr;
         f = wmem_list_frame_next(f))
        if (GPOINTER_TO_INT(wmem_list_frame_data(f)) == proto)
            return true;
    return false;
}

} // namespace

void hook_smb_heuristics(int proto) {
    our_protocol = find_protocol_by_id(proto);
    proto_smb = proto_get_id_by_filter_name("smb");
    proto_smb2 = proto_get_id_by_filter_name("smb2");
    const bool smb1_ok = install<0>();
    const bool smb2_ok = install<1>();
    static bool reported = false; // init routines run for every capture file
    if ((smb1_ok && smb2_ok) || reported)
        return;
    reported = true;
    report_failure("smbsign %s cannot read SMB in this Wireshark %s: the NetBIOS heuristic "
                   "entry \"%s\" of %s is missing. smbsign will show no analysis for %s "
                   "sessions; please report this Wireshark version to the smbsign maintainers.",
                   SMBSIGN_VERSION, epan_get_version(),
                   smb1_ok ? hooks[1].short_name : hooks[0].short_name, smb1_ok ? "smb2" : "smb",
                   smb1_ok ? "SMB2/3" : "SMB1");
}

void check_delivery(packet_info *pinfo) {
    const std::size_t count = pdus_of(pinfo->num).size();
    if (count > 0) {
        if (delivery.recording)
            delivery.frames.emplace_back(pinfo->num, count);
        return;
    }
    if (pinfo->ptype != PT_TCP || our_protocol == nullptr ||
        !proto_is_protocol_enabled(our_protocol) ||
        !(has_layer(pinfo, proto_smb) || has_layer(pinfo, proto_smb2)))
        return;
    if (delivery.missed++ == 0)
        delivery.first_missed = pinfo->num;
    if (delivery.reported)
        return;
    delivery.reported = true;
    report_failure("smbsign %s: Wireshark %s dissected SMB in frame %u, but smbsign's input "
                   "did not receive it. This Wireshark delivers SMB in a way smbsign does not "
                   "know: its analysis of this capture is incomplete. Please report this "
                   "Wireshark version to the smbsign maintainers.",
                   SMBSIGN_VERSION, epan_get_version(), pinfo->num);
}

void record_delivery(bool on) {
    delivery.recording = on;
}

std::string delivery_report() {
    std::string out = "# smbsign input: frame<TAB>SMB messages received\n";
    char line[64];
    for (const auto &[frame, count] : delivery.frames) {
        std::snprintf(line, sizeof line, "%u\t%zu\n", frame, count);
        out += line;
    }
    std::snprintf(line, sizeof line, "# missed frames: %u (first: %u)\n", delivery.missed,
                  delivery.first_missed);
    out += line;
    return out;
}

std::span<const Pdu> pdus_of(std::uint32_t frame) {
    if (noted.frame != frame)
        return {};
    return {noted.items, noted.count};
}

void reset() {
    delivery.frames.clear();
    delivery.missed = 0;
    delivery.first_missed = 0;
    delivery.reported = false;
    noted.frame = 0;
    noted.count = 0;
    smb_ports.reset();
    internals::forget_tcp_connections();
}

std::uint8_t side_of(const packet_info *pinfo) {
    const int c = cmp_address(&pinfo->src, &pinfo->dst);
    if (c != 0)
        return c < 0 ? 0 : 1;
    return pinfo->srcport <= pinfo->destport ? 0 : 1;
}

std::optional<std::uint32_t> closed_connection(packet_info *pinfo) {
    if (pinfo->ptype != PT_TCP ||
        !(smb_ports.test(pinfo->srcport & 0xffff) || smb_ports.test(pinfo->destport & 0xffff)))
        return std::nullopt;
    const auto tcp = internals::tcp_connection(pinfo);
    if (!tcp || !tcp->closing)
        return std::nullopt;
    return tcp->stream;
}

} // namespace smbsign::plugin::input
