// The KDC messages of a classic pcap for the unit tests: Ethernet, IPv4, TCP or UDP on port
// 88. TCP messages (RFC 4120 7.2.2: a 4-byte big-endian record mark, then the message) are
// reassembled per direction in capture order (the lab's veth captures lose and reorder
// nothing); a UDP datagram is one message (7.2.1).
#pragma once

#include "pcap_reader.hpp"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace kdc_reader {

struct Message {
    std::uint32_t frame = 0; // 1-based, the frame that completes it
    std::vector<std::uint8_t> bytes;
};

constexpr std::uint32_t kPortKerberos = 88;

inline std::vector<Message> read(const std::string &path) {
    using pcap_reader::be16;
    using pcap_reader::le32;
    std::vector<Message> out;
    const auto cap = pcap_reader::read(path);
    const auto &b = cap.bytes;
    if (b.size() < 24)
        return out;
    std::map<std::uint64_t, std::vector<std::uint8_t>> pending;
    std::size_t off = 24;
    for (std::uint32_t frame = 1; off + 16 <= b.size(); ++frame) {
        const std::uint32_t caplen = le32(&b[off + 8]);
        const std::size_t pkt = off + 16;
        off = pkt + caplen;
        if (off > b.size() || caplen < 14 + 20 + 8 || be16(&b[pkt + 12]) != 0x0800)
            continue;
        const std::size_t ip = pkt + 14;
        const std::size_t ip_end = ip + be16(&b[ip + 2]);
        const std::size_t l4 = ip + (b[ip] & 0x0f) * 4u;
        const std::uint8_t proto = b[ip + 9];
        if (ip_end > off || (proto != 6 && proto != 17))
            continue;
        const std::uint32_t sport = be16(&b[l4]), dport = be16(&b[l4 + 2]);
        if (sport != kPortKerberos && dport != kPortKerberos)
            continue;
        const std::size_t payload = proto == 17 ? l4 + 8 : l4 + (b[l4 + 12] >> 4) * 4u;
        if (payload >= ip_end)
            continue;
        if (proto == 17) {
            out.push_back({frame,
                           {b.begin() + static_cast<std::ptrdiff_t>(payload),
                            b.begin() + static_cast<std::ptrdiff_t>(ip_end)}});
            continue;
        }
        const std::uint64_t key = static_cast<std::uint64_t>(le32(&b[ip + 12])) << 16 | sport;
        auto &st = pending[key];
        st.insert(st.end(), b.begin() + static_cast<std::ptrdiff_t>(payload),
                  b.begin() + static_cast<std::ptrdiff_t>(ip_end));
        while (st.size() >= 4) {
            const std::size_t len = static_cast<std::size_t>(st[0] & 0x7f) << 24 |
                                    static_cast<std::size_t>(st[1]) << 16 | be16(&st[2]);
            if (st.size() < 4 + len)
                break;
            out.push_back(
                {frame, {st.begin() + 4, st.begin() + 4 + static_cast<std::ptrdiff_t>(len)}});
            st.erase(st.begin(), st.begin() + 4 + static_cast<std::ptrdiff_t>(len));
        }
    }
    return out;
}

} // namespace kdc_reader
