// The one NTLMSSP reader (MS-NLMP 2.2.1): the message header, CHALLENGE and AUTHENTICATE.
// The tracker takes from it whether a logon is anonymous (find_ntlm_authenticate); the
// verifier takes the server challenge and the AUTHENTICATE fields its key derivation needs
// (verify/ntlm.hpp). Free of cryptography.
#pragma once

#include "smbsign/bytes.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>
#include <utility>

namespace smbsign {

namespace ntlm {
// MS-NLMP 2.2.1: every message starts with the signature and its MessageType.
inline constexpr std::array<std::uint8_t, 8> kSignature = {'N', 'T', 'L', 'M', 'S', 'S', 'P', 0};
inline constexpr std::uint32_t kMessageChallenge = 2;
inline constexpr std::uint32_t kMessageAuthenticate = 3;
// MS-NLMP 2.2.2.5 NegotiateFlags.
inline constexpr std::uint32_t kFlagUnicode = 0x00000001;     // NTLMSSP_NEGOTIATE_UNICODE
inline constexpr std::uint32_t kFlagAnonymous = 0x00000800;   // NTLMSSP_NEGOTIATE_ANONYMOUS
inline constexpr std::uint32_t kFlagKeyExchange = 0x40000000; // NTLMSSP_NEGOTIATE_KEY_EXCH
// MS-NLMP 2.2.1.2 CHALLENGE_MESSAGE.
inline constexpr std::size_t kChallengeFlagsOffset = 20;
inline constexpr std::size_t kServerChallengeOffset = 24;
inline constexpr std::size_t kServerChallengeSize = 8;
// MS-NLMP 2.2.1.3 AUTHENTICATE_MESSAGE: the *Fields (Len u16, MaxLen u16, Offset u32).
inline constexpr std::size_t kNtResponseFieldsOffset = 20;
inline constexpr std::size_t kDomainFieldsOffset = 28;
inline constexpr std::size_t kUserFieldsOffset = 36;
inline constexpr std::size_t kSessionKeyFieldsOffset = 52;
inline constexpr std::size_t kAuthenticateFlagsOffset = 60;
// MS-NLMP 2.2.2.8: NTProofStr, then the NTLMv2_CLIENT_CHALLENGE of at least 28 bytes
// (RespType, HiRespType, Reserved1 6, TimeStamp 8, ChallengeFromClient 8, Reserved3 4).
// An NTLM v1 response is exactly 24 bytes.
inline constexpr std::size_t kNtProofStrSize = 16;
inline constexpr std::size_t kMinNtlmv2ResponseSize = kNtProofStrSize + 28;
inline constexpr std::size_t kSessionKeySize = 16;
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
    return ParseError::None;
}

struct NtlmAuthenticate {
    Bytes nt_response;           // NTProofStr || NTLMv2_CLIENT_CHALLENGE for NTLMv2
    Bytes user;                  // UTF-16LE when flags has kFlagUnicode, else OEM bytes
    Bytes domain;                // same encoding as user
    Bytes encrypted_session_key; // EncryptedRandomSessionKey, empty when absent
    std::uint32_t flags = 0;
};

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
    return ParseError::None;
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
