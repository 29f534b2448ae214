// Small helpers shared by the unit tests: owning byte buffers, little-endian
// writes into them, and spans over them.
#pragma once

#include "smbsign/bytes.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <vector>

namespace testutil {

using Buf = std::vector<std::uint8_t>;

template <std::size_t N> Buf to_buf(const std::array<std::uint8_t, N> &a) {
    return Buf(a.begin(), a.end());
}

inline smbsign::Bytes span(const Buf &b) {
    return smbsign::Bytes(b.data(), b.size());
}

template <std::size_t N> smbsign::Bytes span(const std::array<std::uint8_t, N> &a) {
    return smbsign::Bytes(a.data(), a.size());
}

// A copy of the first n bytes of b. Asking for more than b holds is a mistake in the
// test (a "one byte past" case that silently became "exact end"): it throws.
inline Buf first(const Buf &b, std::size_t n) {
    if (n > b.size())
        throw std::out_of_range("testutil::first: buffer too short");
    return Buf(b.begin(), b.begin() + static_cast<std::ptrdiff_t>(n));
}

inline void put_u8(Buf &b, std::size_t off, std::uint8_t v) {
    b.at(off) = v;
}
inline void put_u16le(Buf &b, std::size_t off, std::uint16_t v) {
    b.at(off) = static_cast<std::uint8_t>(v & 0xFF);
    b.at(off + 1) = static_cast<std::uint8_t>(v >> 8);
}
inline void put_u32le(Buf &b, std::size_t off, std::uint32_t v) {
    for (std::size_t i = 0; i < 4; ++i)
        b.at(off + i) = static_cast<std::uint8_t>(v >> (8 * i));
}
inline void put_u64le(Buf &b, std::size_t off, std::uint64_t v) {
    for (std::size_t i = 0; i < 8; ++i)
        b.at(off + i) = static_cast<std::uint8_t>(v >> (8 * i));
}

inline void append_u8(Buf &b, std::uint8_t v) {
    b.push_back(v);
}
inline void append_u16le(Buf &b, std::uint16_t v) {
    b.push_back(static_cast<std::uint8_t>(v & 0xFF));
    b.push_back(static_cast<std::uint8_t>(v >> 8));
}
inline void append_u32le(Buf &b, std::uint32_t v) {
    for (std::size_t i = 0; i < 4; ++i)
        b.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}
inline void append_u64le(Buf &b, std::uint64_t v) {
    for (std::size_t i = 0; i < 8; ++i)
        b.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}
inline void append(Buf &b, const Buf &more) {
    b.insert(b.end(), more.begin(), more.end());
}
inline void append_zeros(Buf &b, std::size_t n) {
    b.insert(b.end(), n, 0);
}

inline std::uint16_t get_u16le(const Buf &b, std::size_t off) {
    return static_cast<std::uint16_t>(b.at(off) | (b.at(off + 1) << 8));
}

} // namespace testutil
