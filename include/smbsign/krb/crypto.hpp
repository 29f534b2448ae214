// Kerberos cryptography through MIT krb5 (libkrb5: krb5_c_decrypt, krb5_c_encrypt,
// krb5_c_string_to_key), the library Wireshark links for its own Kerberos dissector: no
// hand-written AES-CTS, RC4-HMAC or AES-SHA2 here. Every enctype the library knows works.
// Plaintexts hold keys: they are wiped when dropped. Nothing here prints or logs.
#pragma once

#include "smbsign/bytes.hpp"
#include "smbsign/krb/kerberos.hpp"

#include <krb5.h>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace smbsign::krb {

// Bytes that hold a secret: zeroed before they are freed.
class SecretBytes {
public:
    SecretBytes() = default;
    explicit SecretBytes(std::size_t n) : data_(n) {}
    SecretBytes(const SecretBytes &) = delete;
    SecretBytes &operator=(const SecretBytes &) = delete;
    SecretBytes(SecretBytes &&other) noexcept : data_(std::move(other.data_)) {}
    SecretBytes &operator=(SecretBytes &&other) noexcept {
        wipe();
        data_ = std::move(other.data_);
        return *this;
    }
    ~SecretBytes() { wipe(); }

    [[nodiscard]] Bytes view() const noexcept { return {data_.data(), data_.size()}; }
    std::vector<std::uint8_t> &raw() noexcept { return data_; }

private:
    void wipe() noexcept {
        volatile std::uint8_t *p = data_.data();
        for (std::size_t i = 0; i < data_.size(); ++i)
            p[i] = 0;
    }
    std::vector<std::uint8_t> data_;
};

// One library context for the process, made on first use (krb5_init_context reads the
// local configuration, which the crypto functions do not need). Null if the library
// cannot start.
inline krb5_context krb5_ctx() noexcept {
    static krb5_context ctx = [] {
        krb5_context c = nullptr;
        return krb5_init_context(&c) == 0 ? c : nullptr;
    }();
    return ctx;
}

// Whether the library knows the enctype (RFC 3961 8; RFC 8009 for the aes-sha2 ones).
inline bool enctype_supported(std::int32_t etype) noexcept {
    return krb5_c_valid_enctype(etype) != 0;
}

namespace detail {
inline krb5_keyblock keyblock(std::int32_t etype, Bytes key) noexcept {
    krb5_keyblock kb{};
    kb.enctype = etype;
    kb.length = static_cast<unsigned int>(key.size());
    kb.contents = const_cast<krb5_octet *>(key.data()); // the library only reads it
    return kb;
}
} // namespace detail

// RFC 3961 3 decrypt(key, usage, ciphertext): the plaintext when the ciphertext's integrity
// check passes under this key, nothing otherwise (a wrong key is always caught: every
// enctype carries a checksum or an HMAC over the plaintext).
inline std::optional<SecretBytes> decrypt(std::int32_t etype, Bytes key, std::int32_t usage,
                                          Bytes cipher) {
    krb5_context ctx = krb5_ctx();
    if (ctx == nullptr || key.empty() || cipher.empty())
        return std::nullopt;
    krb5_keyblock kb = detail::keyblock(etype, key);
    krb5_enc_data in{};
    in.enctype = etype;
    in.ciphertext.length = static_cast<unsigned int>(cipher.size());
    in.ciphertext.data = const_cast<char *>(reinterpret_cast<const char *>(cipher.data()));
    SecretBytes out(cipher.size());
    krb5_data plain{};
    plain.length = static_cast<unsigned int>(cipher.size());
    plain.data = reinterpret_cast<char *>(out.raw().data());
    if (krb5_c_decrypt(ctx, &kb, static_cast<krb5_keyusage>(usage), nullptr, &in, &plain) != 0)
        return std::nullopt;
    out.raw().resize(std::min<std::size_t>(plain.length, cipher.size()));
    return out;
}

// RFC 3961 3 encrypt: for the tests, which build tickets the way a KDC does.
inline std::optional<std::vector<std::uint8_t>> encrypt(std::int32_t etype, Bytes key,
                                                        std::int32_t usage, Bytes plain) {
    krb5_context ctx = krb5_ctx();
    std::size_t length = 0;
    if (ctx == nullptr || krb5_c_encrypt_length(ctx, etype, plain.size(), &length) != 0)
        return std::nullopt;
    krb5_keyblock kb = detail::keyblock(etype, key);
    krb5_data in{};
    in.length = static_cast<unsigned int>(plain.size());
    in.data = const_cast<char *>(reinterpret_cast<const char *>(plain.data()));
    std::vector<std::uint8_t> out(length);
    krb5_enc_data enc{};
    enc.ciphertext.length = static_cast<unsigned int>(length);
    enc.ciphertext.data = reinterpret_cast<char *>(out.data());
    if (krb5_c_encrypt(ctx, &kb, static_cast<krb5_keyusage>(usage), nullptr, &in, &enc) != 0)
        return std::nullopt;
    out.resize(enc.ciphertext.length);
    return out;
}

// The PBKDF2 iteration count string-to-key runs for `etype` with `params` (RFC 3962 4 for
// aes*-cts-hmac-sha1-96: a 4-byte big-endian count, 4096 by default; RFC 8009 4 for the
// aes-sha2 types: the same, 32768 by default); 0 for enctypes without one (rc4-hmac: one
// MD4), nullopt when the params are not 4 bytes.
inline constexpr std::uint32_t kAesSha1Iterations = 4096;    // the aes*-sha1 default
inline constexpr std::uint32_t kAesSha2Iterations = 32768;   // the aes*-sha2 default
inline constexpr std::uint32_t kMaxS2kIterations = 1u << 16; // 16 times AES-SHA1's default
inline std::optional<std::uint32_t> s2k_iterations(std::int32_t etype, Bytes params) noexcept {
    constexpr std::int32_t kAes128Sha1 = 17, kAes256Sha1 = 18, kAes128Sha2 = 19, kAes256Sha2 = 20;
    const bool sha1 = etype == kAes128Sha1 || etype == kAes256Sha1;
    if (!sha1 && etype != kAes128Sha2 && etype != kAes256Sha2)
        return 0;
    if (params.empty())
        return sha1 ? kAesSha1Iterations : kAesSha2Iterations;
    if (params.size() != 4)
        return std::nullopt;
    return static_cast<std::uint32_t>(params[0]) << 24 |
           static_cast<std::uint32_t>(params[1]) << 16 |
           static_cast<std::uint32_t>(params[2]) << 8 | params[3];
}

// RFC 3961 3 string-to-key(password, salt) with the enctype's default parameters, or
// `params` as PA-ETYPE-INFO2 gives. A capture sets the params: iteration counts above
// kMaxS2kIterations are refused (the library would run up to 2^24 of them, seconds a key).
inline std::optional<SecretBytes> string_to_key(std::int32_t etype, std::string_view password,
                                                std::string_view salt, Bytes params = {}) {
    krb5_context ctx = krb5_ctx();
    const auto iterations = s2k_iterations(etype, params);
    if (ctx == nullptr || !iterations || *iterations > kMaxS2kIterations)
        return std::nullopt;
    krb5_data pw{};
    pw.length = static_cast<unsigned int>(password.size());
    pw.data = const_cast<char *>(password.data());
    krb5_data sa{};
    sa.length = static_cast<unsigned int>(salt.size());
    sa.data = const_cast<char *>(salt.data());
    krb5_data pa{};
    pa.length = static_cast<unsigned int>(params.size());
    pa.data = const_cast<char *>(reinterpret_cast<const char *>(params.data()));
    krb5_keyblock kb{};
    if (krb5_c_string_to_key_with_params(ctx, etype, &pw, &sa, params.empty() ? nullptr : &pa,
                                         &kb) != 0)
        return std::nullopt;
    SecretBytes out(kb.length);
    std::copy_n(kb.contents, kb.length, out.raw().begin());
    krb5_free_keyblock_contents(ctx, &kb); // zeroes the contents before freeing them
    return out;
}

// RFC 6113 5.1 KRB-FX-CF2(key1, key2, pepper1, pepper2): the key combining two keys, of
// key1's enctype (the FAST armor key, 5.4.1.1, and the strengthened reply key, 5.4.3).
inline std::optional<SecretBytes> fx_cf2(const KeyValue &k1, std::string_view pepper1,
                                         const KeyValue &k2, std::string_view pepper2) {
    krb5_context ctx = krb5_ctx();
    if (ctx == nullptr)
        return std::nullopt;
    krb5_keyblock a = detail::keyblock(k1.etype, k1.view());
    krb5_keyblock b = detail::keyblock(k2.etype, k2.view());
    const std::string p1(pepper1), p2(pepper2); // the library wants NUL-terminated peppers
    krb5_keyblock *out = nullptr;
    if (krb5_c_fx_cf2_simple(ctx, &a, p1.c_str(), &b, p2.c_str(), &out) != 0 || out == nullptr)
        return std::nullopt;
    SecretBytes key(out->length);
    std::copy_n(out->contents, out->length, key.raw().begin());
    krb5_free_keyblock(ctx, out); // zeroes the contents before freeing them
    return key;
}

} // namespace smbsign::krb
