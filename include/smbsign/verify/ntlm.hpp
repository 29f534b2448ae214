// NTLMv2 session keys from a password or an NT hash (MS-NLMP 3.3.2, 3.4.5.1, 3.1.5.1.2),
// from the CHALLENGE and AUTHENTICATE messages as ntlmssp.hpp reads them: the NTProofStr
// check that proves or disproves the given secret before any signature is looked at, and
// the SMB session key (ExportedSessionKey) that signing starts from.
#pragma once

#include "smbsign/bytes.hpp"
#include "smbsign/ntlmssp.hpp"
#include "smbsign/verify/crypto.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace smbsign::verify {

namespace detail {

inline void append_utf16le(std::vector<std::uint8_t> &out, std::uint32_t unit) {
    out.push_back(static_cast<std::uint8_t>(unit & 0xFF));
    out.push_back(static_cast<std::uint8_t>(unit >> 8));
}

// UTF-8 to UTF-16LE; nothing for an invalid sequence (overlong, surrogate, > U+10FFFF).
inline std::optional<std::vector<std::uint8_t>> utf8_to_utf16le(std::string_view s) {
    std::vector<std::uint8_t> out;
    out.reserve(s.size() * 2);
    for (std::size_t i = 0; i < s.size();) {
        const auto b0 = static_cast<std::uint8_t>(s[i]);
        // n: the number of continuation bytes after b0.
        const std::size_t n = b0 < 0x80             ? 0
                              : (b0 & 0xE0) == 0xC0 ? 1
                              : (b0 & 0xF0) == 0xE0 ? 2
                              : (b0 & 0xF8) == 0xF0 ? 3
                                                    : 4;
        if (n == 4 || n >= s.size() - i)
            return std::nullopt;
        std::uint32_t cp = n == 0 ? b0 : (b0 & (0x3Fu >> n));
        for (std::size_t k = 1; k <= n; ++k) {
            const auto b = static_cast<std::uint8_t>(s[i + k]);
            if ((b & 0xC0) != 0x80)
                return std::nullopt;
            cp = (cp << 6) | (b & 0x3Fu);
        }
        static constexpr std::uint32_t kMinForLength[] = {0, 0x80, 0x800, 0x10000};
        if (cp < kMinForLength[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return std::nullopt;
        if (cp >= 0x10000) {
            cp -= 0x10000;
            append_utf16le(out, 0xD800 + (cp >> 10));
            append_utf16le(out, 0xDC00 + (cp & 0x3FF));
        } else {
            append_utf16le(out, cp);
        }
        i += n + 1;
    }
    return out;
}

// Upper case of one UTF-16 code unit, for the user name in NTOWFv2. Covers ASCII, Latin-1,
// Latin Extended-A, basic Greek and Cyrillic; other code units are left as they are
// (Windows' full upcase table is not reproduced: such names may be reported "wrong").
inline std::uint16_t upcase_utf16(std::uint16_t c) noexcept {
    auto down = [&](unsigned d) { return static_cast<std::uint16_t>(c - d); };
    if (c >= 'a' && c <= 'z')
        return down(0x20);
    if (c >= 0x00E0 && c <= 0x00FE && c != 0x00F7)
        return down(0x20);
    if (c == 0x00FF)
        return 0x0178;
    if ((c >= 0x0100 && c <= 0x0137) || (c >= 0x014A && c <= 0x0177))
        return (c & 1) ? down(1) : c;
    if ((c >= 0x0139 && c <= 0x0148) || (c >= 0x0179 && c <= 0x017E))
        return (c & 1) ? c : down(1);
    if (c == 0x03C2)
        return 0x03A3;
    if (c >= 0x03B1 && c <= 0x03CB)
        return down(0x20);
    if (c >= 0x0430 && c <= 0x044F)
        return down(0x20);
    if (c >= 0x0450 && c <= 0x045F)
        return down(0x50);
    return c;
}

// A user or domain name from an AUTHENTICATE message as UTF-16LE, upper-cased if asked.
// OEM names are taken as Latin-1 (exact for ASCII).
inline void append_name(std::vector<std::uint8_t> &out, Bytes name, bool unicode, bool upper) {
    if (unicode) {
        for (std::size_t i = 0; i + 1 < name.size(); i += 2) {
            auto c = static_cast<std::uint16_t>(name[i] | (name[i + 1] << 8));
            append_utf16le(out, upper ? upcase_utf16(c) : c);
        }
    } else {
        for (std::uint8_t b : name)
            append_utf16le(out, upper ? upcase_utf16(b) : b);
    }
}

} // namespace detail

using NtHash = Key16;

// NT hash (NTOWFv1) of a password given in UTF-8: MD4(UTF-16LE(password)).
inline std::optional<NtHash> nt_hash_from_password(std::string_view utf8_password) {
    auto utf16 = detail::utf8_to_utf16le(utf8_password);
    if (!utf16)
        return std::nullopt;
    auto h = md4({Bytes(*utf16)});
    std::fill(utf16->begin(), utf16->end(), std::uint8_t{0});
    return h;
}

// NTOWFv2 = ResponseKeyNT = HMAC-MD5(NT hash, UTF-16LE(UPPER(user) || domain)); the domain
// is not upper-cased (MS-NLMP 3.3.2). user and domain as in the AUTHENTICATE message.
inline std::optional<Key16> ntowfv2(const NtHash &nt_hash, Bytes user, Bytes domain, bool unicode) {
    std::vector<std::uint8_t> ud;
    ud.reserve(2 * (user.size() + domain.size()));
    detail::append_name(ud, user, unicode, true);
    detail::append_name(ud, domain, unicode, false);
    return hmac_md5(nt_hash, {Bytes(ud)});
}

// What the NTLMv2 proof (NTProofStr) says about the given secret. Not the session's
// KeyState (result.hpp), which also counts keys proven by a valid signature.
enum class NtlmProof : std::uint8_t {
    Proven,    // NTProofStr matches: the secret is right, the session key is exact
    Refuted,   // NTProofStr does not match: wrong password or hash for this user
    NotNtlmv2, // not NTLMv2 (NTLM v1, LM, anonymous) or libgcrypt unusable: no key
};

struct NtlmSessionKey {
    NtlmProof status = NtlmProof::NotNtlmv2;
    Key16 session_key{}; // ExportedSessionKey = the SMB SessionKey; only when Proven
};

// MS-NLMP 3.3.2 and 3.2.5.1.2 / 3.4.5.1: NTProofStr = HMAC-MD5(ResponseKeyNT,
// ServerChallenge || temp) must equal the first 16 bytes of the NT response; then
// SessionBaseKey = KeyExchangeKey = HMAC-MD5(ResponseKeyNT, NTProofStr), and with
// NTLMSSP_NEGOTIATE_KEY_EXCH the ExportedSessionKey is
// RC4(KeyExchangeKey, EncryptedRandomSessionKey), else KeyExchangeKey itself.
inline NtlmSessionKey ntlmv2_session_key(const NtHash &nt_hash, const NtlmChallenge &challenge,
                                         const NtlmAuthenticate &auth) {
    NtlmSessionKey result;
    if (auth.nt_response.size() < ntlm::kMinNtlmv2ResponseSize)
        return result;
    const Bytes proof = auth.nt_response.first(ntlm::kNtProofStrSize);
    const Bytes temp = auth.nt_response.subspan(ntlm::kNtProofStrSize);
    auto response_key =
        ntowfv2(nt_hash, auth.user, auth.domain, (auth.flags & ntlm::kFlagUnicode) != 0);
    if (!response_key)
        return result;
    auto expected_proof = hmac_md5(*response_key, {challenge.server_challenge, temp});
    if (!expected_proof)
        return result;
    if (!same_bytes(*expected_proof, proof)) {
        result.status = NtlmProof::Refuted;
        return result;
    }
    auto key_exchange_key = hmac_md5(*response_key, {proof});
    if (!key_exchange_key)
        return result;
    if ((auth.flags & ntlm::kFlagKeyExchange) != 0) {
        if (auth.encrypted_session_key.size() != ntlm::kSessionKeySize)
            return result; // KEY_EXCH without a 16-byte key: nothing usable
        auto exported = rc4_16(*key_exchange_key, auth.encrypted_session_key);
        if (!exported)
            return result;
        result.session_key = *exported;
    } else {
        result.session_key = *key_exchange_key;
    }
    result.status = NtlmProof::Proven;
    return result;
}

} // namespace smbsign::verify
