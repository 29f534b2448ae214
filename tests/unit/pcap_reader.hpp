// A minimal classic-pcap reader for the unit tests: Ethernet, IPv4, TCP, one NetBIOS
// session message per TCP segment (as in the lab samples, captured on loopback). Enough
// to feed the tracker the bytes the plugin would, without Wireshark.
#pragma once

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace pcap_reader {

struct Message {
    std::uint32_t frame = 0; // 1-based
    std::uint32_t conn = 0;  // by address/port pair, in order of appearance
    std::uint8_t side = 0;   // 0: the lower (address, port)
    std::size_t offset = 0;  // of the SMB message in the file's bytes
    std::size_t size = 0;
    std::uint32_t src_ip = 0; // IPv4 addresses of the sender and receiver, as on the wire
    std::uint32_t dst_ip = 0;
};

struct Capture {
    std::vector<std::uint8_t> bytes; // the whole file
    std::vector<Message> messages;
};

inline std::uint32_t le32(const std::uint8_t *p) {
    return p[0] | p[1] << 8 | p[2] << 16 | static_cast<std::uint32_t>(p[3]) << 24;
}
inline std::uint32_t be16(const std::uint8_t *p) {
    return p[0] << 8 | p[1];
}

// Empty when the file cannot be read.
inline Capture read(const std::string &path) {
    Capture c;
    std::ifstream in(path, std::ios::binary);
    c.bytes.assign(std::istreambuf_iterator<char>(in), {});
    const auto &b = c.bytes;
    if (b.size() < 24 || le32(b.data()) != 0xa1b2c3d4 || le32(b.data() + 20) != 1)
        return {};
    std::vector<std::uint64_t> conns;
    std::size_t off = 24;
    for (std::uint32_t frame = 1; off + 16 <= b.size(); ++frame) {
        const std::uint32_t caplen = le32(&b[off + 8]);
        const std::size_t pkt = off + 16;
        off = pkt + caplen;
        if (off > b.size() || caplen < 14 + 20 + 20 || be16(&b[pkt + 12]) != 0x0800)
            continue;
        const std::size_t ip = pkt + 14;
        const std::size_t ihl = (b[ip] & 0x0f) * 4u;
        if (b[ip + 9] != 6)
            continue;
        const std::size_t ip_end = ip + be16(&b[ip + 2]);
        const std::size_t tcp = ip + ihl;
        const std::size_t payload = tcp + (b[tcp + 12] >> 4) * 4u;
        if (ip_end > off || payload + 4 > ip_end || b[payload] != 0)
            continue;
        const std::uint64_t src =
            static_cast<std::uint64_t>(le32(&b[ip + 12])) << 16 | be16(&b[tcp]);
        const std::uint64_t dst =
            static_cast<std::uint64_t>(le32(&b[ip + 16])) << 16 | be16(&b[tcp + 2]);
        const std::uint64_t key = std::min(src, dst) * 1'000'003u ^ std::max(src, dst);
        auto it = std::find(conns.begin(), conns.end(), key);
        if (it == conns.end())
            it = conns.insert(conns.end(), key);
        const std::size_t len = (b[payload + 1] << 16) | be16(&b[payload + 2]);
        if (payload + 4 + len != ip_end || len == 0)
            continue;
        c.messages.push_back({frame, static_cast<std::uint32_t>(it - conns.begin()),
                              static_cast<std::uint8_t>(src < dst ? 0 : 1), payload + 4, len,
                              le32(&b[ip + 12]), le32(&b[ip + 16])});
    }
    return c;
}

} // namespace pcap_reader
