// Hex strings to bytes and back, for the known-answer tests of the verification layer.
// Decoding goes through the core's own decoder (smbsign::parse_hex).
#pragma once

#include "smbsign/bytes.hpp"

#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace testutil {

// Bytes of a hex string; a malformed string is a mistake in the test: it throws.
inline std::vector<std::uint8_t> from_hex(std::string_view hex) {
    auto bytes = smbsign::parse_hex(hex, std::numeric_limits<std::size_t>::max());
    if (!bytes)
        throw std::invalid_argument("from_hex: not hex digits in pairs");
    return std::move(*bytes);
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
