// A session's cryptographic key as authentication hands it over: 16 bytes from NTLM (and
// Kerberos RC4 or AES-128 tickets), 32 bytes from Kerberos AES-256 tickets. Each use takes
// its own part:
//   - SMB2/3 signing and the 128-bit ciphers: Session.SessionKey, "the first 16 bytes of
//     the cryptographic key", zero-padded when shorter (MS-SMB2 3.2.1.3, 3.2.5.3.1,
//     3.3.5.5.3);
//   - SMB 3.1.1 AES-256-CCM/GCM keys: the whole key, Session.FullSessionKey (MS-SMB2
//     3.2.5.3.1, 3.3.5.5.3);
//   - SMB1 signing: the whole key as the MAC key (MS-SMB 3.1.4.1 with extended security).
// Also the type of a direction's cipher key (16 or 32 bytes) given by the analyst.
// The bytes never leave this type as text; they are wiped on destruction.
#pragma once

#include "smbsign/bytes.hpp"
#include "smbsign/verify/crypto.hpp"

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>

namespace smbsign::verify {

class SessionKey {
public:
    static constexpr std::size_t kSessionKeySize = 16; // Session.SessionKey
    static constexpr std::size_t kMaxSize = 32;        // AES-256 Kerberos key

    SessionKey() noexcept = default; // no key
    explicit SessionKey(const Key16 &key) noexcept : size_(kSessionKeySize) {
        std::copy(key.begin(), key.end(), bytes_.begin());
    }
    SessionKey(const SessionKey &) noexcept = default;
    SessionKey &operator=(const SessionKey &) noexcept = default;
    ~SessionKey() { wipe(); }

    // A GSS key as authentication gives it: shorter than 16 bytes is zero-padded to 16
    // (MS-SMB2 3.2.5.3.1), up to 32 bytes is kept whole; longer, or empty, is no key.
    static std::optional<SessionKey> from_gss(Bytes key) noexcept {
        if (key.empty() || key.size() > kMaxSize)
            return std::nullopt;
        SessionKey k;
        std::copy(key.begin(), key.end(), k.bytes_.begin());
        k.size_ = static_cast<std::uint8_t>(std::max(key.size(), kSessionKeySize));
        return k;
    }
    // A key of exactly 16 or 32 bytes (a direction's AES-128 or AES-256 cipher key).
    static std::optional<SessionKey> cipher_key(Bytes key) noexcept {
        if (key.size() != kSessionKeySize && key.size() != kMaxSize)
            return std::nullopt;
        return from_gss(key);
    }

    [[nodiscard]] bool empty() const noexcept { return size_ == 0; }
    [[nodiscard]] std::size_t size() const noexcept { return size_; }
    // The whole key (FullSessionKey; SMB1's MAC key; a cipher key).
    [[nodiscard]] Bytes full() const noexcept { return Bytes(bytes_.data(), size_); }
    // Session.SessionKey: the first 16 bytes (zeros if there is no key).
    [[nodiscard]] Key16 first16() const noexcept {
        Key16 k{};
        std::copy_n(bytes_.begin(), k.size(), k.begin());
        return k;
    }
    friend bool operator==(const SessionKey &a, const SessionKey &b) noexcept {
        return a.size_ == b.size_ && same_bytes(a.full(), b.full());
    }
    void wipe() noexcept {
        volatile std::uint8_t *p = bytes_.data();
        for (std::size_t i = 0; i < bytes_.size(); ++i)
            p[i] = 0;
        size_ = 0;
    }

private:
    std::array<std::uint8_t, kMaxSize> bytes_{};
    std::uint8_t size_ = 0;
};

} // namespace smbsign::verify
