// Where the plugin's input comes from, without asking Wireshark for a protocol tree.
//
// SMB messages: Wireshark's NetBIOS session dissector hands every SMB message it framed
// (TCP reassembly done) to the "netbios" heuristic entries of smb and smb2. We put a
// pass-through in front of those two entries and note each message's bytes, TCP
// connection and direction on the first pass; the postdissector then reads the notes.
// Connection and close: the TCP dissector's per-connection record (tcp.stream and
// tcp.completeness), found the way the TCP dissector finds it.
//
// Naming wanted fields instead (set_postdissector_wanted_hfids) would make Wireshark
// build a protocol tree for every frame of every capture, which costs more than all of
// our own work together (see bench/).
#pragma once

#include <epan/packet.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>

namespace smbsign::plugin::input {

// One SMB message as NetBIOS framed it: the whole NBSS payload (an SMB2 compound
// chain stays one message). The tvb lives until the frame's dissection ends.
struct Pdu {
    tvbuff_t *tvb;
    std::uint32_t conn; // tcp.stream
    std::uint8_t side;  // see side_of()
};

// Put the pass-through in front of smb's and smb2's NetBIOS heuristics (once;
// later calls do nothing). `proto` is ours: nothing is noted while it is disabled.
// A Wireshark without those entries gets a failure report (a dialog in the GUI, a
// message on stderr in tshark) instead of an analysis that silently shows nothing.
void hook_smb_heuristics(int proto);

// Call once per frame on the first pass, after the frame's messages were noted: a TCP
// frame where Wireshark dissected SMB but nothing was noted is reported (once per
// capture), like a missing hook, as this Wireshark delivering SMB in another way.
void check_delivery(packet_info *pinfo);

// `-z smbsign,input`: record which frames delivered how many messages, and the report
// (one "frame<TAB>messages" line each, then the count of missed frames) for the test
// that compares it with tshark's own count of SMB messages.
void record_delivery(bool on);
std::string delivery_report();

// The messages noted in `frame` (empty on later passes), in the order NetBIOS
// found them; valid until the next frame is dissected.
std::span<const Pdu> pdus_of(std::uint32_t frame);

// Forget what was noted (a new capture starts again at frame 1).
void reset();

// Which endpoint sent this frame: 0 for the lower (address, port), 1 for the other.
std::uint8_t side_of(const packet_info *pinfo);

// The TCP connection (tcp.stream) of this frame if it has seen a FIN or RST by now.
std::optional<std::uint32_t> closed_connection(packet_info *pinfo);

} // namespace smbsign::plugin::input
