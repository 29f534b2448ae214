// Thin RAII wrappers over libgcrypt (gcry_md, gcry_mac, gcry_cipher) and the one-shot
// primitives the signature verifier needs: MD4, MD5, SHA-512, HMAC-MD5, HMAC-SHA256,
// AES-128-CMAC, AES-128-GMAC and RC4. Nothing here is hand-written cryptography: every
// primitive is libgcrypt's, the library Wireshark itself links.
//
// Call crypto_init() once before anything else (it is cheap to call again); every
// function here reports failure (libgcrypt unusable, bad key length) by returning false
// or an empty optional, never by throwing.
#pragma once

#include "smbsign/bytes.hpp"

#include <gcrypt.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <span>

namespace smbsign::verify {

using Key16 = std::array<std::uint8_t, 16>;
using Digest16 = std::array<std::uint8_t, 16>;
using Digest64 = std::array<std::uint8_t, 64>;

// libgcrypt must be initialised with gcry_check_version() before any other call. Inside
// Wireshark, libwsutil has already done so (and finished initialisation): then only the
// version is checked. Alone (unit tests, fuzzing), this initialises it, without secure
// memory. The answer is computed once; later calls return it.
inline bool crypto_init() noexcept {
    static const bool ok = [] {
        if (gcry_control(GCRYCTL_INITIALIZATION_FINISHED_P))
            return gcry_check_version(GCRYPT_VERSION) != nullptr;
        if (gcry_check_version(GCRYPT_VERSION) == nullptr)
            return false;
        gcry_control(GCRYCTL_DISABLE_SECMEM, 0);
        gcry_control(GCRYCTL_INITIALIZATION_FINISHED, 0);
        return true;
    }();
    return ok;
}

// The handles below initialise libgcrypt themselves (crypto_init); when that fails, or
// libgcrypt refuses the algorithm or key, the handle is not ok() and every read fails.

// A message digest (gcry_md) context; closed, and its state wiped, on destruction.
class Md {
public:
    explicit Md(int algo) noexcept {
        if (!crypto_init() || gcry_md_open(&h_, algo, 0) != 0)
            h_ = nullptr;
    }
    ~Md() { gcry_md_close(h_); }
    Md(const Md &) = delete;
    Md &operator=(const Md &) = delete;

    [[nodiscard]] bool ok() const noexcept { return h_ != nullptr; }
    void write(Bytes b) noexcept {
        if (h_ != nullptr && !b.empty())
            gcry_md_write(h_, b.data(), b.size());
    }
    // Copies the digest (which must be exactly out.size() bytes long) into out.
    bool read(int algo, std::span<std::uint8_t> out) noexcept {
        if (h_ == nullptr || gcry_md_get_algo_dlen(algo) != out.size())
            return false;
        const unsigned char *d = gcry_md_read(h_, algo);
        if (d == nullptr)
            return false;
        std::copy(d, d + out.size(), out.begin());
        return true;
    }

private:
    gcry_md_hd_t h_ = nullptr;
};

// A MAC (gcry_mac) context; closed, and its state wiped, on destruction.
class Mac {
public:
    Mac(int algo, Bytes key) noexcept {
        if (!crypto_init() || gcry_mac_open(&h_, algo, 0, nullptr) != 0) {
            h_ = nullptr;
            return;
        }
        if (gcry_mac_setkey(h_, key.data(), key.size()) != 0)
            close();
    }
    ~Mac() { close(); }
    Mac(const Mac &) = delete;
    Mac &operator=(const Mac &) = delete;

    [[nodiscard]] bool ok() const noexcept { return h_ != nullptr; }
    // Starts a new MAC with the same key (cheaper than a new handle: no key set-up).
    bool restart() noexcept {
        if (h_ == nullptr || gcry_mac_reset(h_) != 0) {
            close();
            return false;
        }
        return true;
    }
    bool set_iv(Bytes iv) noexcept {
        if (h_ == nullptr || gcry_mac_setiv(h_, iv.data(), iv.size()) != 0) {
            close();
            return false;
        }
        return true;
    }
    void write(Bytes b) noexcept {
        if (h_ != nullptr && !b.empty() && gcry_mac_write(h_, b.data(), b.size()) != 0)
            close();
    }
    // Reads the MAC, which must be exactly out.size() bytes long.
    bool read(std::span<std::uint8_t> out) noexcept {
        if (h_ == nullptr)
            return false;
        std::size_t len = out.size();
        return gcry_mac_read(h_, out.data(), &len) == 0 && len == out.size();
    }

private:
    void close() noexcept {
        gcry_mac_close(h_); // accepts nullptr
        h_ = nullptr;
    }
    gcry_mac_hd_t h_ = nullptr;
};

// A symmetric cipher (gcry_cipher) context; closed on destruction.
class CipherHandle {
public:
    CipherHandle(int algo, int mode, Bytes key) noexcept {
        if (!crypto_init() || gcry_cipher_open(&h_, algo, mode, 0) != 0) {
            h_ = nullptr;
            return;
        }
        if (gcry_cipher_setkey(h_, key.data(), key.size()) != 0) {
            gcry_cipher_close(h_);
            h_ = nullptr;
        }
    }
    ~CipherHandle() { gcry_cipher_close(h_); }
    CipherHandle(const CipherHandle &) = delete;
    CipherHandle &operator=(const CipherHandle &) = delete;

    [[nodiscard]] bool ok() const noexcept { return h_ != nullptr; }
    // Decrypts in into out (same length).
    bool decrypt(Bytes in, std::span<std::uint8_t> out) noexcept {
        return h_ != nullptr && in.size() == out.size() &&
               gcry_cipher_decrypt(h_, out.data(), out.size(), in.data(), in.size()) == 0;
    }

private:
    gcry_cipher_hd_t h_ = nullptr;
};

// One-shot helpers. Each input is the concatenation of the given parts, so that callers
// never need to copy a message to prepend or splice a few bytes.
using Parts = std::initializer_list<Bytes>;

template <std::size_t N>
inline std::optional<std::array<std::uint8_t, N>> digest(int algo, Parts parts) noexcept {
    Md md(algo);
    for (Bytes p : parts)
        md.write(p);
    std::array<std::uint8_t, N> out{};
    if (!md.read(algo, out))
        return std::nullopt;
    return out;
}

// A MAC of N bytes (the algorithm's whole output); iv only for GMAC.
template <std::size_t N>
inline std::optional<std::array<std::uint8_t, N>> mac(int algo, Bytes key, Parts parts,
                                                      Bytes iv = {}) noexcept {
    Mac m(algo, key);
    if (!iv.empty() && !m.set_iv(iv))
        return std::nullopt;
    for (Bytes p : parts)
        m.write(p);
    std::array<std::uint8_t, N> out{};
    if (!m.read(out))
        return std::nullopt;
    return out;
}

inline std::optional<Digest16> md4(Parts parts) noexcept {
    return digest<16>(GCRY_MD_MD4, parts);
}
inline std::optional<Digest16> md5(Parts parts) noexcept {
    return digest<16>(GCRY_MD_MD5, parts);
}
inline std::optional<Digest64> sha512(Parts parts) noexcept {
    return digest<64>(GCRY_MD_SHA512, parts);
}
inline std::optional<Digest16> hmac_md5(Bytes key, Parts parts) noexcept {
    return mac<16>(GCRY_MAC_HMAC_MD5, key, parts);
}
inline std::optional<std::array<std::uint8_t, 32>> hmac_sha256(Bytes key, Parts parts) noexcept {
    return mac<32>(GCRY_MAC_HMAC_SHA256, key, parts);
}
// RC4 of 16 bytes (the NTLM EncryptedRandomSessionKey).
inline std::optional<Key16> rc4_16(Bytes key, Bytes in) noexcept {
    if (in.size() != 16)
        return std::nullopt;
    CipherHandle c(GCRY_CIPHER_ARCFOUR, GCRY_CIPHER_MODE_STREAM, key);
    Key16 out{};
    if (!c.decrypt(in, out))
        return std::nullopt;
    return out;
}

// Equality of two MACs, without an early exit.
inline bool same_bytes(Bytes a, Bytes b) noexcept {
    if (a.size() != b.size())
        return false;
    unsigned diff = 0;
    for (std::size_t i = 0; i < a.size(); ++i)
        diff |= static_cast<unsigned>(a[i] ^ b[i]);
    return diff == 0;
}

} // namespace smbsign::verify
