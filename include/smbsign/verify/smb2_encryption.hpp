// SMB3 encryption (MS-SMB2 3.1.4.3, 3.2.5.3.1, 3.3.5.5.3): the two cipher keys of a session
// and the check and decryption of one TRANSFORM message.
//   Keys, SP800-108 counter-mode KDF with HMAC-SHA256 (MS-SMB2 3.1.4.2):
//     3.0 / 3.0.2  client-to-server KDF(SessionKey, "SMB2AESCCM\0", "ServerIn \0")
//                  server-to-client KDF(SessionKey, "SMB2AESCCM\0", "ServerOut\0")
//     3.1.1        client-to-server KDF(Ki, "SMBC2SCipherKey\0", PreauthIntegrityHashValue)
//                  server-to-client KDF(Ki, "SMBS2CCipherKey\0", PreauthIntegrityHashValue)
//                  Ki = SessionKey and L = 128 for AES-128-*, Ki = FullSessionKey and
//                  L = 256 for AES-256-*.
//   Message: AEAD over the TRANSFORM_HEADER from Nonce to its end (32 bytes) as
//   authenticated data, the encrypted message as ciphertext, Signature as the 16-byte tag;
//   the nonce is the first 11 bytes of the Nonce field for CCM, 12 for GCM.
// Every primitive is libgcrypt's (CCM needs GCRYCTL_SET_CCM_LENGTHS before the data).
#pragma once

#include "smbsign/bytes.hpp"
#include "smbsign/dialect.hpp"
#include "smbsign/smb2.hpp"
#include "smbsign/verify/crypto.hpp"
#include "smbsign/verify/result.hpp"
#include "smbsign/verify/session_key.hpp"

#include <gcrypt.h>

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>

namespace smbsign::verify {

namespace kdf_label {
// MS-SMB2 3.1.4.2 / 3.2.5.3.1, each with its terminating NUL.
inline constexpr std::array<std::uint8_t, 11> kSmb30Cipher = {'S', 'M', 'B', '2', 'A', 'E',
                                                              'S', 'C', 'C', 'M', 0};
inline constexpr std::array<std::uint8_t, 10> kSmb30ServerIn = {'S', 'e', 'r', 'v', 'e',
                                                                'r', 'I', 'n', ' ', 0};
inline constexpr std::array<std::uint8_t, 10> kSmb30ServerOut = {'S', 'e', 'r', 'v', 'e',
                                                                 'r', 'O', 'u', 't', 0};
inline constexpr std::array<std::uint8_t, 16> kSmb311C2SCipher = {
    'S', 'M', 'B', 'C', '2', 'S', 'C', 'i', 'p', 'h', 'e', 'r', 'K', 'e', 'y', 0};
inline constexpr std::array<std::uint8_t, 16> kSmb311S2CCipher = {
    'S', 'M', 'B', 'S', '2', 'C', 'C', 'i', 'p', 'h', 'e', 'r', 'K', 'e', 'y', 0};
} // namespace kdf_label

namespace aead {
inline constexpr std::size_t kTagSize = 16;      // MS-SMB2 2.2.41 Signature
inline constexpr std::size_t kCcmNonceSize = 11; // AES-CCM: first 11 bytes of Nonce
inline constexpr std::size_t kGcmNonceSize = 12; // AES-GCM: first 12 bytes of Nonce
inline constexpr std::size_t kKey128 = 16;
inline constexpr std::size_t kKey256 = 32;
} // namespace aead

constexpr bool is_256(smb2::Cipher c) noexcept {
    return c == smb2::Cipher::Aes256Ccm || c == smb2::Cipher::Aes256Gcm;
}
constexpr bool is_gcm(smb2::Cipher c) noexcept {
    return c == smb2::Cipher::Aes128Gcm || c == smb2::Cipher::Aes256Gcm;
}
constexpr bool is_known_cipher(smb2::Cipher c) noexcept {
    return c == smb2::Cipher::Aes128Ccm || c == smb2::Cipher::Aes128Gcm ||
           c == smb2::Cipher::Aes256Ccm || c == smb2::Cipher::Aes256Gcm;
}

// The SP800-108 KDF (MS-SMB2 3.1.4.2) for L = 128 or 256 bits: one HMAC-SHA256 block
// holds 256 bits, so there is no loop over the counter. Ki may be 16 or 32 bytes.
inline std::optional<SessionKey> kdf_sp800_108_bits(Bytes ki, Bytes label, Bytes context,
                                                    bool bits256) noexcept {
    static constexpr std::array<std::uint8_t, 4> kCounter1 = {0, 0, 0, 1};
    static constexpr std::array<std::uint8_t, 1> kSeparator = {0};
    static constexpr std::array<std::uint8_t, 4> kLength128 = {0, 0, 0, 0x80};
    static constexpr std::array<std::uint8_t, 4> kLength256 = {0, 0, 1, 0};
    const Bytes length = bits256 ? Bytes(kLength256) : Bytes(kLength128);
    auto h = hmac_sha256(ki, {kCounter1, label, kSeparator, context, length});
    if (!h)
        return std::nullopt;
    return SessionKey::cipher_key(Bytes(*h).first(bits256 ? aead::kKey256 : aead::kKey128));
}

// A session's two cipher keys, named by the direction of the messages they protect.
struct CipherKeys {
    SessionKey client_to_server; // the client's EncryptionKey, the server's DecryptionKey
    SessionKey server_to_client;
};

// MS-SMB2 3.2.5.3.1 / 3.3.5.5.3: the cipher keys of a session. `preauth_hash` is used
// (and required) for 3.1.1 only. Nothing for 2.x, an unknown cipher, or libgcrypt failing.
inline std::optional<CipherKeys> smb3_cipher_keys(Dialect dialect, smb2::Cipher cipher,
                                                  const SessionKey &key,
                                                  const Digest64 *preauth_hash) noexcept {
    CipherKeys out;
    if (key.empty())
        return std::nullopt;
    if (dialect == Dialect::Smb300 || dialect == Dialect::Smb302) {
        const Key16 sk = key.first16();
        auto c2s =
            kdf_sp800_108_bits(sk, kdf_label::kSmb30Cipher, kdf_label::kSmb30ServerIn, false);
        auto s2c =
            kdf_sp800_108_bits(sk, kdf_label::kSmb30Cipher, kdf_label::kSmb30ServerOut, false);
        if (!c2s || !s2c)
            return std::nullopt;
        return CipherKeys{*c2s, *s2c};
    }
    if (dialect != Dialect::Smb311 || preauth_hash == nullptr || !is_known_cipher(cipher))
        return std::nullopt;
    const bool wide = is_256(cipher);
    const Key16 sk = key.first16();
    const Bytes ki = wide ? key.full() : Bytes(sk);
    auto c2s = kdf_sp800_108_bits(ki, kdf_label::kSmb311C2SCipher, *preauth_hash, wide);
    auto s2c = kdf_sp800_108_bits(ki, kdf_label::kSmb311S2CCipher, *preauth_hash, wide);
    if (!c2s || !s2c)
        return std::nullopt;
    return CipherKeys{*c2s, *s2c};
}

// Whether a TRANSFORM message's tag matches under a key.
enum class TagMatch : std::uint8_t {
    Match,    // the tag is right: `plain` holds the message
    Mismatch, // altered, or the wrong key
    Unusable, // the key does not fit the cipher, or libgcrypt failed
};

// One direction's keyed AEAD context: the key is set once and the handle reset per message,
// so a session's messages pay the key set-up once. Not thread-safe.
class TransformDecryptor {
public:
    TransformDecryptor(smb2::Cipher cipher, const SessionKey &key) noexcept : cipher_(cipher) {
        const std::size_t want = is_256(cipher) ? aead::kKey256 : aead::kKey128;
        if (!is_known_cipher(cipher) || key.size() != want || !crypto_init())
            return;
        const int algo = is_256(cipher) ? GCRY_CIPHER_AES256 : GCRY_CIPHER_AES128;
        const int mode = is_gcm(cipher) ? GCRY_CIPHER_MODE_GCM : GCRY_CIPHER_MODE_CCM;
        if (gcry_cipher_open(&h_, algo, mode, 0) != 0) {
            h_ = nullptr;
            return;
        }
        const Bytes k = key.full();
        if (gcry_cipher_setkey(h_, k.data(), k.size()) != 0)
            close();
    }
    ~TransformDecryptor() { close(); }
    TransformDecryptor(const TransformDecryptor &) = delete;
    TransformDecryptor &operator=(const TransformDecryptor &) = delete;

    [[nodiscard]] bool ok() const noexcept { return h_ != nullptr; }
    [[nodiscard]] smb2::Cipher cipher() const noexcept { return cipher_; }

    // Checks the tag of a parsed TRANSFORM message and decrypts its ciphertext into `plain`
    // (which must be as long as the ciphertext). On Mismatch `plain` holds unauthenticated
    // bytes that must not be used.
    TagMatch open(const smb2::TransformHeader &t, std::span<std::uint8_t> plain) noexcept {
        if (h_ == nullptr || plain.size() != t.ciphertext.size() || gcry_cipher_reset(h_) != 0)
            return TagMatch::Unusable;
        const std::size_t nonce_size = is_gcm(cipher_) ? aead::kGcmNonceSize : aead::kCcmNonceSize;
        if (gcry_cipher_setiv(h_, t.nonce.data(), nonce_size) != 0)
            return TagMatch::Unusable;
        if (!is_gcm(cipher_)) {
            // libgcrypt's CCM wants the lengths before any data.
            std::uint64_t lengths[3] = {t.ciphertext.size(), t.aad.size(), aead::kTagSize};
            if (gcry_cipher_ctl(h_, GCRYCTL_SET_CCM_LENGTHS, lengths, sizeof(lengths)) != 0)
                return TagMatch::Unusable;
        }
        if (gcry_cipher_authenticate(h_, t.aad.data(), t.aad.size()) != 0)
            return TagMatch::Unusable;
        if (!plain.empty() && gcry_cipher_decrypt(h_, plain.data(), plain.size(),
                                                  t.ciphertext.data(), t.ciphertext.size()) != 0)
            return TagMatch::Unusable;
        const gcry_error_t e = gcry_cipher_checktag(h_, t.signature.data(), t.signature.size());
        if (e == 0)
            return TagMatch::Match;
        return gcry_err_code(e) == GPG_ERR_CHECKSUM ? TagMatch::Mismatch : TagMatch::Unusable;
    }

private:
    void close() noexcept {
        gcry_cipher_close(h_); // accepts nullptr
        h_ = nullptr;
    }
    smb2::Cipher cipher_;
    gcry_cipher_hd_t h_ = nullptr;
};

// The cipher a session's messages use: 3.0 and 3.0.2 always AES-128-CCM (MS-SMB2 3.1.4.3,
// "Otherwise, AES-128-CCM is used"), 3.1.1 the connection's CipherId (2.2.4.1.2); None for
// any other dialect.
constexpr smb2::Cipher session_cipher(Dialect dialect, smb2::Cipher negotiated) noexcept {
    if (dialect == Dialect::Smb300 || dialect == Dialect::Smb302)
        return smb2::Cipher::Aes128Ccm;
    if (dialect == Dialect::Smb311)
        return negotiated;
    return smb2::Cipher::None;
}

// A session's two keyed decryptors, made once (from the keys the analyst gave for each
// direction, or derived from the session key) and kept for its messages.
class Smb2EncryptionState {
public:
    [[nodiscard]] bool ready() const noexcept { return c2s_ != nullptr || s2c_ != nullptr; }
    // The keys opened a message already, or derive from a proven session key.
    [[nodiscard]] bool proven() const noexcept { return proven_; }
    void prove() noexcept { proven_ = true; }
    // The keys failed their first message: dropped, and not made again.
    [[nodiscard]] bool failed() const noexcept { return failed_; }
    void fail() noexcept {
        drop();
        failed_ = true;
    }
    void drop() noexcept {
        c2s_.reset();
        s2c_.reset();
    }

    // Keys the decryptors; either key may be empty (that direction stays closed). KeyWrong
    // when a key does not fit the cipher (a 16-byte key for an AES-256 cipher). `proven`:
    // the keys derive from a session key already proven (NTLMv2 proof, a valid signature).
    Reason make(smb2::Cipher cipher, const CipherKeys &keys, bool proven) {
        drop();
        proven_ = proven;
        auto keyed = [&](const SessionKey &k) -> std::unique_ptr<TransformDecryptor> {
            if (k.empty())
                return nullptr;
            auto d = std::make_unique<TransformDecryptor>(cipher, k);
            return d->ok() ? std::move(d) : nullptr;
        };
        c2s_ = keyed(keys.client_to_server);
        s2c_ = keyed(keys.server_to_client);
        if ((!keys.client_to_server.empty() && c2s_ == nullptr) ||
            (!keys.server_to_client.empty() && s2c_ == nullptr)) {
            drop();
            return Reason::KeyWrong;
        }
        return ready() ? Reason::None : Reason::NoKey;
    }

    // Opens a message with its direction's key; with the direction unknown, with the
    // client's key and then the server's (a message matches at most one of them).
    TagMatch open(std::optional<bool> from_client, const smb2::TransformHeader &t,
                  std::span<std::uint8_t> plain) noexcept {
        if (from_client)
            return open_with(*from_client ? c2s_.get() : s2c_.get(), t, plain);
        const TagMatch first = open_with(c2s_.get(), t, plain);
        if (first == TagMatch::Match)
            return first;
        const TagMatch second = open_with(s2c_.get(), t, plain);
        return second == TagMatch::Unusable ? first : second;
    }

private:
    static TagMatch open_with(TransformDecryptor *d, const smb2::TransformHeader &t,
                              std::span<std::uint8_t> plain) noexcept {
        return d != nullptr ? d->open(t, plain) : TagMatch::Unusable;
    }

    std::unique_ptr<TransformDecryptor> c2s_;
    std::unique_ptr<TransformDecryptor> s2c_;
    bool proven_ = false;
    bool failed_ = false;
};

} // namespace smbsign::verify
