// Bounds-checked little-endian reading over borrowed bytes.
// Every read names its byte order and never advances on failure.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

namespace smbsign {

using Bytes = std::span<const std::uint8_t>;

// Why a parser gave up: it needs bytes that were not captured (Truncated), or
// the bytes that are there cannot be a valid message (Malformed).
enum class ParseError : std::uint8_t { None, Truncated, Malformed };

class Reader {
public:
    constexpr explicit Reader(Bytes data) noexcept : data_(data) {}

    [[nodiscard]] constexpr std::size_t offset() const noexcept { return pos_; }
    [[nodiscard]] constexpr std::size_t remaining() const noexcept { return data_.size() - pos_; }

    constexpr bool seek(std::size_t off) noexcept {
        if (off > data_.size())
            return false;
        pos_ = off;
        return true;
    }
    constexpr bool skip(std::size_t n) noexcept {
        if (n > remaining())
            return false;
        pos_ += n;
        return true;
    }
    constexpr bool read_u8(std::uint8_t &out) noexcept {
        if (remaining() < 1)
            return false;
        out = data_[pos_++];
        return true;
    }
    constexpr bool read_u16le(std::uint16_t &out) noexcept {
        if (remaining() < 2)
            return false;
        out = static_cast<std::uint16_t>(data_[pos_] | (data_[pos_ + 1] << 8));
        pos_ += 2;
        return true;
    }
    constexpr bool read_u32le(std::uint32_t &out) noexcept {
        if (remaining() < 4)
            return false;
        out = 0;
        for (std::size_t i = 0; i < 4; ++i)
            out |= static_cast<std::uint32_t>(data_[pos_ + i]) << (8 * i);
        pos_ += 4;
        return true;
    }
    constexpr bool read_u64le(std::uint64_t &out) noexcept {
        if (remaining() < 8)
            return false;
        out = 0;
        for (std::size_t i = 0; i < 8; ++i)
            out |= static_cast<std::uint64_t>(data_[pos_ + i]) << (8 * i);
        pos_ += 8;
        return true;
    }
    constexpr bool read_bytes(std::size_t n, Bytes &out) noexcept {
        if (n > remaining())
            return false;
        out = data_.subspan(pos_, n);
        pos_ += n;
        return true;
    }

private:
    Bytes data_;
    std::size_t pos_ = 0;
};

// ASCII case-insensitive equality (host, user, domain and realm names).
constexpr bool iequal(std::string_view a, std::string_view b) noexcept {
    const auto lower = [](char c) {
        return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
    };
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(),
                                              [&](char x, char y) { return lower(x) == lower(y); });
}

// FNV-1a 64 over `data`, continuing from `h` (the offset basis to start).
inline constexpr std::uint64_t kFnvOffsetBasis = 0xcbf29ce484222325ull;
constexpr std::uint64_t fnv1a64(Bytes data, std::uint64_t h = kFnvOffsetBasis) noexcept {
    constexpr std::uint64_t kPrime = 0x100000001b3ull;
    for (const std::uint8_t b : data)
        h = (h ^ b) * kPrime;
    return h;
}

// The sub-range [off, off+len) of data, or nothing if it is not all there.
constexpr bool slice(Bytes data, std::size_t off, std::size_t len, Bytes &out) noexcept {
    if (off > data.size() || len > data.size() - off)
        return false;
    out = data.subspan(off, len);
    return true;
}

constexpr bool all_zero(Bytes b) noexcept {
    for (auto c : b)
        if (c != 0)
            return false;
    return true;
}

// The value of one hex digit, -1 for any other character.
constexpr int hex_value(char c) noexcept {
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

// Hex digits (colons, dashes and spaces between bytes allowed) to bytes; nothing if a
// character is not hex or the count is odd or above max. The one hex decoder: secrets
// (NT hashes, session keys) and the tests' byte vectors both go through it.
inline std::optional<std::vector<std::uint8_t>> parse_hex(std::string_view s, std::size_t max) {
    std::vector<std::uint8_t> out;
    out.reserve(std::min(s.size() / 2, max));
    int high = -1;
    for (char c : s) {
        if (c == ':' || c == '-' || c == ' ')
            continue;
        const int v = hex_value(c);
        if (v < 0)
            return std::nullopt;
        if (high < 0) {
            high = v;
            continue;
        }
        if (out.size() == max)
            return std::nullopt;
        out.push_back(static_cast<std::uint8_t>(high << 4 | v));
        high = -1;
    }
    if (high >= 0)
        return std::nullopt;
    return out;
}

} // namespace smbsign
