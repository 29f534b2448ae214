// SMB2/3 signing keys (MS-SMB2 3.1.4.2, 3.2.5.3.1, 3.3.5.5.3): the session key taken
// from the GSS key, the SP800-108 KDF, and the SMB 3.1.1 preauthentication integrity
// hash (MS-SMB2 3.2.5.2, 3.3.5.4).
#pragma once

#include "smbsign/bytes.hpp"
#include "smbsign/dialect.hpp"
#include "smbsign/verify/crypto.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>

namespace smbsign::verify {

namespace kdf_label {
// Label and Context byte strings of MS-SMB2 3.1.4.2, each with its terminating NUL.
inline constexpr std::array<std::uint8_t, 12> kSmb30Signing = {'S', 'M', 'B', '2', 'A', 'E',
                                                               'S', 'C', 'M', 'A', 'C', 0};
inline constexpr std::array<std::uint8_t, 8> kSmb30SigningContext = {'S', 'm', 'b', 'S',
                                                                     'i', 'g', 'n', 0};
inline constexpr std::array<std::uint8_t, 14> kSmb311Signing = {'S', 'M', 'B', 'S', 'i', 'g', 'n',
                                                                'i', 'n', 'g', 'K', 'e', 'y', 0};
} // namespace kdf_label

// MS-SMB2 3.2.5.3.1: Session.SessionKey is the first 16 bytes of the GSS key, right-padded
// with zeros when the key is shorter.
inline Key16 session_key_from_gss(Bytes gss_key) noexcept {
    Key16 k{};
    std::copy_n(gss_key.begin(), std::min(gss_key.size(), k.size()), k.begin());
    return k;
}

// SP800-108 KDF in counter mode with HMAC-SHA256 as PRF, r = 32, L = 128 (MS-SMB2 3.1.4.2):
// the first 16 bytes of HMAC-SHA256(Ki, 00000001 || Label || 00 || Context || 00000080).
// One PRF block gives all 128 bits, so there is no loop over the counter.
inline std::optional<Key16> kdf_sp800_108(const Key16 &ki, Bytes label, Bytes context) noexcept {
    static constexpr std::array<std::uint8_t, 4> kCounter1 = {0, 0, 0, 1};
    static constexpr std::array<std::uint8_t, 1> kSeparator = {0};
    static constexpr std::array<std::uint8_t, 4> kLength128 = {0, 0, 0, 0x80};
    auto h = hmac_sha256(ki, {kCounter1, label, kSeparator, context, kLength128});
    if (!h)
        return std::nullopt;
    Key16 out{};
    std::copy_n(h->begin(), out.size(), out.begin());
    return out;
}

// SMB 3.0 and 3.0.2 SigningKey.
inline std::optional<Key16> smb30_signing_key(const Key16 &session_key) noexcept {
    return kdf_sp800_108(session_key, kdf_label::kSmb30Signing, kdf_label::kSmb30SigningContext);
}

// SMB 3.1.1 SigningKey, with the session's preauth integrity hash as the context. The key
// stays 128 bits long whatever cipher was negotiated.
inline std::optional<Key16> smb311_signing_key(const Key16 &session_key,
                                               const Digest64 &preauth_hash) noexcept {
    return kdf_sp800_108(session_key, kdf_label::kSmb311Signing, preauth_hash);
}

namespace smb2_keys {
// The dialects whose signing key smb2_signing_key derives.
constexpr bool derives_signing_key(Dialect d) noexcept {
    return d == Dialect::Smb202 || d == Dialect::Smb210 || d == Dialect::Smb300 ||
           d == Dialect::Smb302 || d == Dialect::Smb311;
}
} // namespace smb2_keys

// MS-SMB2 3.2.5.3.1 / 3.3.5.5.3: the key a session signs with. 2.0.2 and 2.1 sign with the
// SessionKey itself, 3.0 and 3.0.2 with the KDF of it, 3.1.1 with the KDF over the
// session's preauth hash (ignored before 3.1.1). Nothing for any other dialect.
inline std::optional<Key16> smb2_signing_key(Dialect dialect, const Key16 &session_key,
                                             const Digest64 &preauth_hash) noexcept {
    switch (dialect) {
    case Dialect::Smb202:
    case Dialect::Smb210:
        return session_key;
    case Dialect::Smb300:
    case Dialect::Smb302:
        return smb30_signing_key(session_key);
    case Dialect::Smb311:
        return smb311_signing_key(session_key, preauth_hash);
    default:
        return std::nullopt;
    }
}

// The SMB 3.1.1 preauthentication integrity hash (SHA-512, the only HashAlgorithm defined).
// A connection starts from 64 zero bytes and takes the NEGOTIATE request and response; a
// session starts from a copy of its connection's value and takes each SESSION_SETUP
// request and each response that is not the final STATUS_SUCCESS one. Each message is a
// whole SMB2 message (header included, no NetBIOS header) as it was on the wire.
class PreauthHash {
public:
    // Hashes one more message into the chain: H = SHA-512(H || message). Returns false
    // (and leaves the value unusable) if libgcrypt fails.
    bool update(Bytes message) noexcept {
        auto next = sha512({value_, message});
        if (!next) {
            failed_ = true;
            return false;
        }
        value_ = *next;
        return !failed_;
    }
    [[nodiscard]] const Digest64 &value() const noexcept { return value_; }
    [[nodiscard]] bool ok() const noexcept { return !failed_; }

private:
    Digest64 value_{};
    bool failed_ = false;
};

} // namespace smbsign::verify
