// A bounded reader of ASN.1 DER (X.690 8.1, 10.1): one tag-length-value at a time over
// borrowed bytes, for the few Kerberos and SPNEGO structures smbsign reads (kerberos.hpp).
// Definite lengths only (DER forbids the indefinite form, X.690 10.1), lengths of at most
// four bytes, tag numbers below 2^21; every value must lie inside its parent. A read that
// fails does not advance. "Truncated" (the value runs past the captured bytes) stays
// apart from "malformed" (no valid encoding looks like this).
#pragma once

#include "smbsign/bytes.hpp"

#include <cstdint>
#include <optional>

namespace smbsign::der {

// X.690 8.1.2.2: the class bits of the identifier octet.
enum class Class : std::uint8_t { Universal = 0, Application = 1, Context = 2, Private = 3 };

// Universal tag numbers (X.680 8.4) smbsign meets.
inline constexpr std::uint32_t kTagInteger = 2;
inline constexpr std::uint32_t kTagBitString = 3;
inline constexpr std::uint32_t kTagOctetString = 4;
inline constexpr std::uint32_t kTagOid = 6;
inline constexpr std::uint32_t kTagEnumerated = 10;
inline constexpr std::uint32_t kTagSequence = 16;

inline constexpr std::uint8_t kClassShift = 6;
inline constexpr std::uint8_t kConstructedBit = 0x20;
inline constexpr std::uint8_t kLowTagMask = 0x1F;
inline constexpr std::uint8_t kHighTagForm = 0x1F; // X.690 8.1.2.4: tag number follows
inline constexpr std::uint8_t kMoreBit = 0x80;
inline constexpr std::uint8_t kLongLengthBit = 0x80;
inline constexpr std::size_t kMaxLengthOctets = 4;
inline constexpr std::size_t kMaxTagOctets = 3; // 21 bits of tag number

// One element: its identifier and its contents (inside the parent's bytes).
struct Tlv {
    Class cls = Class::Universal;
    bool constructed = false;
    std::uint32_t number = 0;
    Bytes value;

    [[nodiscard]] constexpr bool is(Class c, std::uint32_t n) const noexcept {
        return cls == c && number == n;
    }
};

class Reader {
public:
    constexpr explicit Reader(Bytes data) noexcept : data_(data) {}

    [[nodiscard]] constexpr bool empty() const noexcept { return pos_ >= data_.size(); }
    [[nodiscard]] constexpr std::size_t offset() const noexcept { return pos_; }

    // The next element; on failure the position stays where it was.
    constexpr ParseError next(Tlv &out) noexcept {
        smbsign::Reader r(data_);
        r.seek(pos_);
        if (const auto e = read_identifier(r, out); e != ParseError::None)
            return e;
        std::size_t length = 0;
        if (const auto e = read_length(r, length); e != ParseError::None)
            return e;
        if (!r.read_bytes(length, out.value))
            return ParseError::Truncated;
        pos_ = r.offset();
        return ParseError::None;
    }

private:
    // X.690 8.1.2: identifier octets, the high-tag-number form included.
    static constexpr ParseError read_identifier(smbsign::Reader &r, Tlv &out) noexcept {
        std::uint8_t id = 0;
        if (!r.read_u8(id))
            return ParseError::Truncated;
        out.cls = static_cast<Class>(id >> kClassShift);
        out.constructed = (id & kConstructedBit) != 0;
        out.number = id & kLowTagMask;
        if (out.number != kHighTagForm)
            return ParseError::None;
        out.number = 0;
        for (std::size_t i = 0; i < kMaxTagOctets; ++i) {
            std::uint8_t b = 0;
            if (!r.read_u8(b))
                return ParseError::Truncated;
            if (i == 0 && b == kMoreBit) // X.690 8.1.2.4.2 c: no leading zero septet
                return ParseError::Malformed;
            out.number = out.number << 7 | (b & ~kMoreBit & 0xFFu);
            if ((b & kMoreBit) == 0)
                return ParseError::None;
        }
        return ParseError::Malformed;
    }

    // X.690 8.1.3 with DER's 10.1: the definite form only, in the fewest octets.
    static constexpr ParseError read_length(smbsign::Reader &r, std::size_t &length) noexcept {
        std::uint8_t first = 0;
        if (!r.read_u8(first))
            return ParseError::Truncated;
        if ((first & kLongLengthBit) == 0) {
            length = first;
            return ParseError::None;
        }
        const std::size_t octets = first & ~kLongLengthBit & 0xFFu;
        if (octets == 0 || octets > kMaxLengthOctets) // indefinite, or beyond any capture
            return ParseError::Malformed;
        length = 0;
        for (std::size_t i = 0; i < octets; ++i) {
            std::uint8_t b = 0;
            if (!r.read_u8(b))
                return ParseError::Truncated;
            length = length << 8 | b;
        }
        return ParseError::None;
    }

    Bytes data_;
    std::size_t pos_ = 0;
};

// The one element `data` holds (trailing bytes allowed: a GSS token may be padded).
constexpr ParseError read_one(Bytes data, Tlv &out) noexcept {
    Reader r(data);
    return r.next(out);
}

// The element [n] (context class) among the children of a SEQUENCE's contents, or nothing.
// Children are read in order; a child that does not parse ends the search.
constexpr std::optional<Tlv> context_field(Bytes sequence_contents, std::uint32_t n) noexcept {
    Reader r(sequence_contents);
    Tlv t;
    while (!r.empty() && r.next(t) == ParseError::None)
        if (t.is(Class::Context, n) && t.constructed)
            return t;
    return std::nullopt;
}

// The single element inside an explicit tag's contents, of the wanted universal type.
constexpr std::optional<Tlv> inner(const Tlv &tagged, std::uint32_t universal) noexcept {
    Tlv t;
    if (read_one(tagged.value, t) != ParseError::None || !t.is(Class::Universal, universal))
        return std::nullopt;
    return t;
}

// An INTEGER (X.690 8.3) that fits 32 bits signed (Kerberos Int32, and UInt32 values
// below 2^31: enctypes, kvno, vno), or nothing.
constexpr std::optional<std::int64_t> integer(const Tlv &t) noexcept {
    constexpr std::size_t kMaxOctets = 5; // UInt32 with a leading zero
    if (!t.is(Class::Universal, kTagInteger) || t.value.empty() || t.value.size() > kMaxOctets)
        return std::nullopt;
    std::int64_t v = (t.value[0] & kMoreBit) != 0 ? -1 : 0;
    for (const std::uint8_t b : t.value)
        v = static_cast<std::int64_t>(static_cast<std::uint64_t>(v) << 8 | b);
    return v;
}

// The INTEGER inside an explicit [n] of a SEQUENCE's contents.
constexpr std::optional<std::int64_t> context_integer(Bytes contents, std::uint32_t n) noexcept {
    const auto f = context_field(contents, n);
    if (!f)
        return std::nullopt;
    const auto t = inner(*f, kTagInteger);
    return t ? integer(*t) : std::nullopt;
}

// The OCTET STRING inside an explicit [n] of a SEQUENCE's contents.
constexpr std::optional<Bytes> context_octets(Bytes contents, std::uint32_t n) noexcept {
    const auto f = context_field(contents, n);
    if (!f)
        return std::nullopt;
    const auto t = inner(*f, kTagOctetString);
    return t ? std::optional<Bytes>(t->value) : std::nullopt;
}

} // namespace smbsign::der
