// The one NTLMSSP reader (MS-NLMP 2.2.1): the message header, NEGOTIATE, CHALLENGE and
// AUTHENTICATE, and the AV pairs of a CHALLENGE's TargetInfo and an NTLMv2 response.
// The tracker takes from it whether a logon is anonymous (find_ntlm_authenticate); the
// verifier takes the server challenge and the AUTHENTICATE fields its key derivation needs
// (verify/ntlm.hpp); relay linking (relay.hpp) takes names, flags, the MIC and the NTProofStr.
// Free of cryptography.
#pragma once

#include "smbsign/bytes.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>

namespace smbsign {

namespace ntlm {
// MS-NLMP 2.2.1: every message starts with the signature and its MessageType.
inline constexpr std::array<std::uint8_t, 8> kSignature = {'N', 'T', 'L', 'M', 'S', 'S', 'P', 0};
inline constexpr std::uint32_t kMessageNegotiate = 1;
inline constexpr std::uint32_t kMessageChallenge = 2;
inline constexpr std::uint32_t kMessageAuthenticate = 3;
// MS-NLMP 2.2.2.5 NegotiateFlags.
inline constexpr std::uint32_t kFlagUnicode = 0x00000001;     // NTLMSSP_NEGOTIATE_UNICODE
inline constexpr std::uint32_t kFlagAnonymous = 0x00000800;   // NTLMSSP_NEGOTIATE_ANONYMOUS
inline constexpr std::uint32_t kFlagKeyExchange = 0x40000000; // NTLMSSP_NEGOTIATE_KEY_EXCH
inline constexpr std::uint32_t kFlagSign = 0x00000010;        // NTLMSSP_NEGOTIATE_SIGN
inline constexpr std::uint32_t kFlagSeal = 0x00000020;        // NTLMSSP_NEGOTIATE_SEAL
inline constexpr std::uint32_t kFlagAlwaysSign = 0x00008000;  // NTLMSSP_NEGOTIATE_ALWAYS_SIGN
// MS-NLMP 2.2.1.1 NEGOTIATE_MESSAGE: NegotiateFlags after the header.
inline constexpr std::size_t kNegotiateFlagsOffset = 12;
// MS-NLMP 2.2.1.2 CHALLENGE_MESSAGE.
inline constexpr std::size_t kChallengeFlagsOffset = 20;
inline constexpr std::size_t kServerChallengeOffset = 24;
inline constexpr std::size_t kServerChallengeSize = 8;
inline constexpr std::size_t kTargetInfoFieldsOffset = 40;
// MS-NLMP 2.2.1.3 AUTHENTICATE_MESSAGE: the *Fields (Len u16, MaxLen u16, Offset u32).
inline constexpr std::size_t kLmResponseFieldsOffset = 12;
inline constexpr std::size_t kNtResponseFieldsOffset = 20;
inline constexpr std::size_t kDomainFieldsOffset = 28;
inline constexpr std::size_t kUserFieldsOffset = 36;
inline constexpr std::size_t kWorkstationFieldsOffset = 44;
inline constexpr std::size_t kSessionKeyFieldsOffset = 52;
inline constexpr std::size_t kAuthenticateFlagsOffset = 60;
// Version (8 bytes) at 64, then the MIC (16 bytes) at 72 (MS-NLMP 2.2.1.3): the MIC is there
// only when no payload starts before its end.
inline constexpr std::size_t kMicOffset = 72;
inline constexpr std::size_t kMicSize = 16;
// MS-NLMP 2.2.2.8: NTProofStr, then the NTLMv2_CLIENT_CHALLENGE of at least 28 bytes
// (RespType, HiRespType, Reserved1 6, TimeStamp 8, ChallengeFromClient 8, Reserved3 4).
// An NTLM v1 response is exactly 24 bytes.
inline constexpr std::size_t kNtProofStrSize = 16;
inline constexpr std::size_t kMinNtlmv2ResponseSize = kNtProofStrSize + 28;
inline constexpr std::size_t kSessionKeySize = 16;
inline constexpr std::size_t kNtlmv2AvPairsOffset = kMinNtlmv2ResponseSize;
// MS-NLMP 2.2.2.1 AV_PAIR ids.
inline constexpr std::uint16_t kAvEol = 0;
inline constexpr std::uint16_t kAvNbComputerName = 1;
inline constexpr std::uint16_t kAvDnsComputerName = 3;
inline constexpr std::uint16_t kAvFlags = 6;
inline constexpr std::uint16_t kAvTargetName = 9;
// MsvAvFlags bit: the client provides a MIC in its AUTHENTICATE.
inline constexpr std::uint32_t kAvFlagMicProvided = 0x00000002;
} // namespace ntlm

// The NTLMSSP message of the given type inside a security blob, bare or wrapped in SPNEGO:
// from its signature to the end of the blob (payload offsets count from the signature).
inline std::optional<Bytes> find_ntlmssp(Bytes blob, std::uint32_t type) noexcept {
    auto it =
        std::search(blob.begin(), blob.end(), ntlm::kSignature.begin(), ntlm::kSignature.end());
    if (it == blob.end())
        return std::nullopt;
    Bytes msg = blob.subspan(static_cast<std::size_t>(it - blob.begin()));
    Reader r(msg);
    std::uint32_t t = 0;
    if (!r.skip(ntlm::kSignature.size()) || !r.read_u32le(t) || t != type)
        return std::nullopt;
    return msg;
}

// The NTLMSSP signature and MessageType at the start of every message (MS-NLMP 2.2.1).
inline ParseError read_ntlm_header(Reader &r, std::uint32_t expected_type) noexcept {
    std::uint32_t type = 0;
    Bytes sig;
    if (!r.read_bytes(ntlm::kSignature.size(), sig) || !r.read_u32le(type))
        return ParseError::Truncated;
    if (!std::equal(sig.begin(), sig.end(), ntlm::kSignature.begin()) || type != expected_type)
        return ParseError::Malformed;
    return ParseError::None;
}

struct NtlmChallenge {
    std::array<std::uint8_t, ntlm::kServerChallengeSize> server_challenge{};
    std::uint32_t flags = 0;
    Bytes target_info; // AV pairs (MS-NLMP 2.2.2.1); empty when absent or outside msg
};

// MS-NLMP 2.2.1.2. msg starts at the NTLMSSP signature (see find_ntlmssp).
inline ParseError parse_ntlm_challenge(Bytes msg, NtlmChallenge &out) noexcept {
    Reader r(msg);
    if (const auto e = read_ntlm_header(r, ntlm::kMessageChallenge); e != ParseError::None)
        return e;
    Bytes challenge;
    if (!r.seek(ntlm::kChallengeFlagsOffset) || !r.read_u32le(out.flags) ||
        !r.read_bytes(ntlm::kServerChallengeSize, challenge))
        return ParseError::Truncated;
    std::copy(challenge.begin(), challenge.end(), out.server_challenge.begin());
    // TargetInfoFields (Len u16, MaxLen u16, Offset u32): optional for the fields above, so a
    // missing or misplaced TargetInfo leaves it empty instead of failing the message.
    std::uint16_t len = 0;
    std::uint16_t max_len = 0;
    std::uint32_t offset = 0;
    if (r.seek(ntlm::kTargetInfoFieldsOffset) && r.read_u16le(len) && r.read_u16le(max_len) &&
        r.read_u32le(offset) && !slice(msg, offset, len, out.target_info))
        out.target_info = {};
    return ParseError::None;
}

// MS-NLMP 2.2.1.1: the NEGOTIATE's flags. msg starts at the NTLMSSP signature.
inline ParseError parse_ntlm_negotiate(Bytes msg, std::uint32_t &flags) noexcept {
    Reader r(msg);
    if (const auto e = read_ntlm_header(r, ntlm::kMessageNegotiate); e != ParseError::None)
        return e;
    return r.read_u32le(flags) ? ParseError::None : ParseError::Truncated;
}

// The value of AV pair `id` in a list of AV_PAIRs (MS-NLMP 2.2.2.1), up to MsvAvEol or the
// end of the list; nullopt when absent or when the list is cut inside a pair.
inline std::optional<Bytes> find_av_pair(Bytes pairs, std::uint16_t id) noexcept {
    Reader r(pairs);
    for (;;) {
        std::uint16_t av_id = 0;
        std::uint16_t av_len = 0;
        Bytes value;
        if (!r.read_u16le(av_id) || !r.read_u16le(av_len) || !r.read_bytes(av_len, value))
            return std::nullopt;
        if (av_id == ntlm::kAvEol)
            return std::nullopt;
        if (av_id == id)
            return value;
    }
}

struct NtlmAuthenticate {
    Bytes nt_response;           // NTProofStr || NTLMv2_CLIENT_CHALLENGE for NTLMv2
    Bytes user;                  // UTF-16LE when flags has kFlagUnicode, else OEM bytes
    Bytes domain;                // same encoding as user
    Bytes workstation;           // same encoding as user
    Bytes encrypted_session_key; // EncryptedRandomSessionKey, empty when absent
    Bytes mic;                   // the 16-byte MIC, empty when the message has none
    std::uint32_t flags = 0;
};

// The AV pairs of an NTLMv2 response (MS-NLMP 2.2.2.7: after NTProofStr and the fixed part of
// NTLMv2_CLIENT_CHALLENGE); empty for an NTLM v1 response.
inline Bytes ntlmv2_av_pairs(Bytes nt_response) noexcept {
    if (nt_response.size() < ntlm::kMinNtlmv2ResponseSize)
        return {};
    return nt_response.subspan(ntlm::kNtlmv2AvPairsOffset);
}

// Where the AUTHENTICATE's payload starts: the lowest offset of its non-empty *Fields (LM and
// NT responses, domain, user, workstation, session key); msg.size() when all are empty.
inline std::size_t first_payload_offset(Bytes msg) noexcept {
    std::size_t lowest = msg.size();
    for (const std::size_t at :
         {ntlm::kLmResponseFieldsOffset, ntlm::kNtResponseFieldsOffset, ntlm::kDomainFieldsOffset,
          ntlm::kUserFieldsOffset, ntlm::kWorkstationFieldsOffset, ntlm::kSessionKeyFieldsOffset}) {
        Reader r(msg);
        std::uint16_t len = 0;
        std::uint16_t max_len = 0;
        std::uint32_t offset = 0;
        if (r.seek(at) && r.read_u16le(len) && r.read_u16le(max_len) && r.read_u32le(offset) &&
            len != 0)
            lowest = std::min<std::size_t>(lowest, offset);
    }
    return lowest;
}

// MS-NLMP 2.2.1.3. msg starts at the NTLMSSP signature; every payload field must lie
// inside msg. The spans point into msg.
inline ParseError parse_ntlm_authenticate(Bytes msg, NtlmAuthenticate &out) noexcept {
    Reader r(msg);
    if (const auto e = read_ntlm_header(r, ntlm::kMessageAuthenticate); e != ParseError::None)
        return e;
    auto field = [&](std::size_t at, Bytes &f) -> ParseError {
        std::uint16_t len = 0;
        std::uint16_t max_len = 0;
        std::uint32_t offset = 0;
        if (!r.seek(at) || !r.read_u16le(len) || !r.read_u16le(max_len) || !r.read_u32le(offset))
            return ParseError::Truncated;
        if (len == 0) {
            f = {};
            return ParseError::None;
        }
        // The caller hands over the whole message: a payload past its end is malformed.
        return slice(msg, offset, len, f) ? ParseError::None : ParseError::Malformed;
    };
    for (auto [at, f] : {std::pair{ntlm::kNtResponseFieldsOffset, &out.nt_response},
                         std::pair{ntlm::kDomainFieldsOffset, &out.domain},
                         std::pair{ntlm::kUserFieldsOffset, &out.user},
                         std::pair{ntlm::kSessionKeyFieldsOffset, &out.encrypted_session_key}}) {
        if (ParseError e = field(at, *f); e != ParseError::None)
            return e;
    }
    if (!r.seek(ntlm::kAuthenticateFlagsOffset) || !r.read_u32le(out.flags))
        return ParseError::Truncated;
    // Optional for the fields above: a misplaced Workstation is left empty.
    Bytes ws;
    out.workstation = field(ntlm::kWorkstationFieldsOffset, ws) == ParseError::None ? ws : Bytes{};
    out.mic = {};
    if (first_payload_offset(msg) >= ntlm::kMicOffset + ntlm::kMicSize &&
        slice(msg, ntlm::kMicOffset, ntlm::kMicSize, out.mic) && all_zero(out.mic))
        out.mic = {}; // room reserved, no MIC written
    return ParseError::None;
}

// A name from an NTLM message as printable UTF-8 of at most `max` bytes: UTF-16LE when
// `unicode` (MS-NLMP 2.2.2.5, NTLMSSP_NEGOTIATE_UNICODE; AV pair values always are), else
// bytes taken as Latin-1. Control characters, quotes, commas and backslashes become '?', so
// that the text is safe in CSV and JSON output; a name cut at `max` ends in "...".
inline std::string ntlm_text(Bytes raw, bool unicode, std::size_t max = 64) {
    std::string out;
    auto put = [&](std::uint32_t cp) {
        if (cp < 0x20 || cp == 0x7f || cp == '"' || cp == ',' || cp == '\\')
            cp = '?';
        if (cp < 0x80) {
            out.push_back(static_cast<char>(cp));
        } else if (cp < 0x800) {
            out.push_back(static_cast<char>(0xc0 | (cp >> 6)));
            out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
        } else {
            out.push_back(static_cast<char>(0xe0 | (cp >> 12)));
            out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
            out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
        }
    };
    const std::size_t step = unicode ? 2 : 1;
    for (std::size_t i = 0; i + step <= raw.size(); i += step) {
        if (out.size() + 6 > max) { // room for one character (3 bytes) and "..."
            out += "...";
            break;
        }
        std::uint32_t cp = raw[i];
        if (unicode)
            cp |= static_cast<std::uint32_t>(raw[i + 1]) << 8;
        if (cp >= 0xd800 && cp < 0xe000)
            cp = '?'; // a surrogate half: outside the names smbsign compares
        put(cp);
    }
    return out;
}

enum class NtlmAuth : std::uint8_t { None, User, Anonymous };

// Whether a security blob (bare NTLMSSP or SPNEGO, possibly cut short by the capture)
// carries an AUTHENTICATE, and an anonymous one (MS-NLMP 3.2.5.1.2: the ANONYMOUS flag,
// or an empty UserName). Needs only the fields up to UserNameFields.Len.
inline NtlmAuth find_ntlm_authenticate(Bytes blob) noexcept {
    const auto msg = find_ntlmssp(blob, ntlm::kMessageAuthenticate);
    if (!msg)
        return NtlmAuth::None;
    Reader r(*msg);
    std::uint16_t user_len = 0;
    if (!r.seek(ntlm::kUserFieldsOffset) || !r.read_u16le(user_len))
        return NtlmAuth::None;
    std::uint32_t flags = 0;
    if (r.seek(ntlm::kAuthenticateFlagsOffset) && r.read_u32le(flags) &&
        (flags & ntlm::kFlagAnonymous))
        return NtlmAuth::Anonymous;
    return user_len == 0 ? NtlmAuth::Anonymous : NtlmAuth::User;
}

} // namespace smbsign
