// A minimal classic-pcap reader for the unit tests: Ethernet, IPv4, TCP on ports 445 and
// 139, NetBIOS session messages reassembled per direction in capture order (the lab's veth
// captures lose and reorder nothing). A message within one segment points into the file's
// bytes; one spread over several segments (a Kerberos SESSION_SETUP) is copied after them.
// Enough to feed the tracker the bytes the plugin would, without Wireshark.
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

constexpr std::uint32_t kPortSmb = 445;
constexpr std::uint32_t kPortNetbios = 139;

// One direction of a connection: bytes of an unfinished NetBIOS message.
struct Stream {
    std::uint64_t key = 0;
    std::vector<std::uint8_t> pending;
};

// The NetBIOS session messages (type 0) a segment completes, appended to `c`.
inline void take_messages(Capture &c, std::vector<std::uint8_t> &extra, std::size_t file_size,
                          Stream &st, std::size_t payload, std::size_t payload_end, Message m) {
    const auto &b = c.bytes;
    if (st.pending.empty()) { // the common case: whole messages inside this segment
        std::size_t at = payload;
        while (at + 4 <= payload_end) {
            const std::size_t len = (b[at + 1] << 16) | be16(&b[at + 2]);
            if (at + 4 + len > payload_end)
                break;
            if (b[at] == 0 && len > 0)
                c.messages.push_back({m.frame, m.conn, m.side, at + 4, len, m.src_ip, m.dst_ip});
            at += 4 + len;
        }
        payload = at;
    }
    st.pending.insert(st.pending.end(), b.begin() + static_cast<std::ptrdiff_t>(payload),
                      b.begin() + static_cast<std::ptrdiff_t>(payload_end));
    while (st.pending.size() >= 4) {
        const std::size_t len = (st.pending[1] << 16) | be16(&st.pending[2]);
        if (st.pending.size() < 4 + len)
            break;
        if (st.pending[0] == 0 && len > 0) {
            c.messages.push_back(
                {m.frame, m.conn, m.side, file_size + extra.size(), len, m.src_ip, m.dst_ip});
            extra.insert(extra.end(), st.pending.begin() + 4, st.pending.begin() + 4 + len);
        }
        st.pending.erase(st.pending.begin(),
                         st.pending.begin() + static_cast<std::ptrdiff_t>(4 + len));
    }
}

// Empty when the file cannot be read.
inline Capture read(const std::string &path) {
    Capture c;
    std::ifstream in(path, std::ios::binary);
    c.bytes.assign(std::istreambuf_iterator<char>(in), {});
    const auto &b = c.bytes;
    if (b.size() < 24 || le32(b.data()) != 0xa1b2c3d4 || le32(b.data() + 20) != 1)
        return {};
    const std::size_t file_size = b.size();
    std::vector<std::uint64_t> conns;
    std::vector<Stream> streams;
    std::vector<std::uint8_t> extra;
    std::size_t off = 24;
    for (std::uint32_t frame = 1; off + 16 <= file_size; ++frame) {
        const std::uint32_t caplen = le32(&b[off + 8]);
        const std::size_t pkt = off + 16;
        off = pkt + caplen;
        if (off > file_size || caplen < 14 + 20 + 20 || be16(&b[pkt + 12]) != 0x0800)
            continue;
        const std::size_t ip = pkt + 14;
        const std::size_t ihl = (b[ip] & 0x0f) * 4u;
        if (b[ip + 9] != 6)
            continue;
        const std::size_t ip_end = ip + be16(&b[ip + 2]);
        const std::size_t tcp = ip + ihl;
        const std::size_t payload = tcp + (b[tcp + 12] >> 4) * 4u;
        const std::uint32_t sport = be16(&b[tcp]), dport = be16(&b[tcp + 2]);
        const bool smb_port = sport == kPortSmb || dport == kPortSmb || sport == kPortNetbios ||
                              dport == kPortNetbios;
        if (ip_end > off || payload >= ip_end || !smb_port)
            continue;
        const std::uint64_t src = static_cast<std::uint64_t>(le32(&b[ip + 12])) << 16 | sport;
        const std::uint64_t dst = static_cast<std::uint64_t>(le32(&b[ip + 16])) << 16 | dport;
        const std::uint64_t key = std::min(src, dst) * 1'000'003u ^ std::max(src, dst);
        auto it = std::find(conns.begin(), conns.end(), key);
        if (it == conns.end())
            it = conns.insert(conns.end(), key);
        const std::uint64_t skey = src * 1'000'003u ^ dst;
        auto st = std::find_if(streams.begin(), streams.end(),
                               [&](const Stream &x) { return x.key == skey; });
        if (st == streams.end())
            st = streams.insert(streams.end(), Stream{skey, {}});
        take_messages(c, extra, file_size, *st, payload, ip_end,
                      {frame, static_cast<std::uint32_t>(it - conns.begin()),
                       static_cast<std::uint8_t>(src < dst ? 0 : 1), 0, 0, le32(&b[ip + 12]),
                       le32(&b[ip + 16])});
    }
    c.bytes.insert(c.bytes.end(), extra.begin(), extra.end());
    return c;
}

} // namespace pcap_reader
