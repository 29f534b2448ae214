// Hex strings to bytes and back, for the known-answer tests of the verification layer.
#pragma once

#include "smbsign/bytes.hpp"

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace testutil {

// Bytes of a hex string; a malformed string is a mistake in the test: it throws.
inline std::vector<std::uint8_t> from_hex(std::string_view hex) {
    auto nibble = [](char c) -> int {
        if (c >= '0' && c <= '9')
            return c - '0';
        if (c >= 'a' && c <= 'f')
            return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
            return c - 'A' + 10;
        throw std::invalid_argument("from_hex: not a hex digit");
    };
    if (hex.size() % 2 != 0)
        throw std::invalid_argument("from_hex: odd length");
    std::vector<std::uint8_t> out(hex.size() / 2);
    for (std::size_t i = 0; i < out.size(); ++i)
        out[i] = static_cast<std::uint8_t>(nibble(hex[2 * i]) << 4 | nibble(hex[2 * i + 1]));
    return out;
}

inline std::string hex_of(smbsign::Bytes b) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string s;
    s.reserve(2 * b.size());
    for (std::uint8_t x : b) {
        s.push_back(kDigits[x >> 4]);
        s.push_back(kDigits[x & 0xF]);
    }
    return s;
}

} // namespace testutil
