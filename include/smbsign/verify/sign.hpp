// Per-dialect SMB signatures over one message's bytes, and their check:
//   SMB1            MD5 (MS-SMB 3.1.4.1, MS-CIFS 3.1.4.1)
//   SMB 2.0.2, 2.1  HMAC-SHA256 (MS-SMB2 3.1.4.1)
//   SMB 3.x         AES-128-CMAC (MS-SMB2 3.1.4.1)
//   SMB 3.1.1       AES-128-GMAC when negotiated (MS-SMB2 2.2.3.1.7, 3.1.4.1)
// The message is never copied: the signature field is replaced on the fly by feeding the
// MAC the bytes before it, the substitute, and the bytes after it.
//
// Which bytes make up "one message" is the caller's business: an SMB1 message from
// `\xffSMB` to its end (the whole AndX chain, no NetBIOS header); an SMB2 compound element
// from its header to its NextCommand (padding included), the last one to the end.
#pragma once

#include "smbsign/bytes.hpp"
#include "smbsign/smb1.hpp"
#include "smbsign/smb2.hpp"
#include "smbsign/verify/crypto.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>

namespace smbsign::verify {

// Whether the MAC a key gives matches a message's signature field. Not a message's
// verification Status (result.hpp), which also says why a message could not be checked.
enum class MacMatch : std::uint8_t {
    Match,
    Mismatch,
    Unusable, // the bytes cannot be a signed message (too short, not SMB) or no crypto
};

template <std::size_t N> struct SignatureCheck {
    MacMatch status = MacMatch::Unusable;
    std::array<std::uint8_t, N> expected{}; // what the key gives, when not Unverifiable
};

template <std::size_t N>
inline SignatureCheck<N> check_against(const std::optional<std::array<std::uint8_t, N>> &expected,
                                       Bytes on_wire) noexcept {
    SignatureCheck<N> c;
    if (!expected)
        return c;
    c.expected = *expected;
    c.status = same_bytes(*expected, on_wire) ? MacMatch::Match : MacMatch::Mismatch;
    return c;
}

// ---------------------------------------------------------------------------------------
// SMB1

using Smb1Signature = std::array<std::uint8_t, smb1::kSignatureSize>;

// The first 8 bytes of MD5(mac_key || message), the message's SecuritySignature field
// (header offset 14) replaced by LE32(sequence number) || 00000000. mac_key is the 16-byte
// session key for extended security (NTLMSSP, Kerberos); for legacy NTLM authentication it
// is the session key followed by the 24-byte NT response (MS-CIFS 3.1.4.1; only the
// extended-security form is checked against a capture so far).
inline std::optional<Smb1Signature> smb1_signature(Bytes mac_key, std::uint32_t sequence,
                                                   Bytes message) noexcept {
    if (message.size() < smb1::kHeaderSize ||
        !std::equal(smb1::kProtocolId.begin(), smb1::kProtocolId.end(), message.begin()))
        return std::nullopt;
    std::array<std::uint8_t, smb1::kSignatureSize> substitute{};
    for (std::size_t i = 0; i < 4; ++i)
        substitute[i] = static_cast<std::uint8_t>(sequence >> (8 * i));
    constexpr std::size_t kAfter = smb1::kSignatureOffset + smb1::kSignatureSize;
    auto d =
        md5({mac_key, message.first(smb1::kSignatureOffset), substitute, message.subspan(kAfter)});
    if (!d)
        return std::nullopt;
    Smb1Signature sig{};
    std::copy_n(d->begin(), sig.size(), sig.begin());
    return sig;
}

inline SignatureCheck<smb1::kSignatureSize> smb1_verify(Bytes mac_key, std::uint32_t sequence,
                                                        Bytes message) noexcept {
    auto expected = smb1_signature(mac_key, sequence, message);
    if (!expected)
        return {};
    return check_against(expected, message.subspan(smb1::kSignatureOffset, smb1::kSignatureSize));
}

// ---------------------------------------------------------------------------------------
// SMB2 and SMB3

namespace gmac {
// MS-SMB2 3.1.4.1: the last 4 bytes of the GMAC nonce.
inline constexpr std::uint32_t kNonceServer = 0x00000001; // the sender is the server
inline constexpr std::uint32_t kNonceCancel = 0x00000002; // an SMB2 CANCEL request
inline constexpr std::size_t kNonceSize = 12;
} // namespace gmac

using Smb2Signature = std::array<std::uint8_t, smb2::kSignatureSize>;

// MS-SMB2 3.1.4.1: the AES-128-GMAC nonce of a message, from its own header:
// MessageId (8 bytes, little-endian) || LE32(role and cancel bits). The server bit is the
// header's SMB2_FLAGS_SERVER_TO_REDIR; the cancel bit is set for an SMB2 CANCEL request
// (which carries the MessageId of the request it cancels).
inline std::optional<std::array<std::uint8_t, gmac::kNonceSize>>
gmac_nonce(Bytes message) noexcept {
    Reader r(message);
    std::uint16_t command = 0;
    std::uint32_t flags = 0;
    Bytes message_id;
    if (!r.seek(smb2::kCommandOffset) || !r.read_u16le(command) || !r.seek(smb2::kFlagsOffset) ||
        !r.read_u32le(flags) || !r.seek(smb2::kMessageIdOffset) || !r.read_bytes(8, message_id))
        return std::nullopt;
    const bool from_server = (flags & smb2::kFlagServerToRedir) != 0;
    std::uint32_t bits = 0;
    if (from_server)
        bits |= gmac::kNonceServer;
    else if (command == smb2::kCmdCancel)
        bits |= gmac::kNonceCancel;
    std::array<std::uint8_t, gmac::kNonceSize> nonce{};
    std::copy(message_id.begin(), message_id.end(), nonce.begin());
    for (std::size_t i = 0; i < 4; ++i)
        nonce[8 + i] = static_cast<std::uint8_t>(bits >> (8 * i));
    return nonce;
}

// Signs and verifies SMB2 messages with one key and algorithm: the SessionKey for 2.x, the
// SigningKey for 3.x. Keeps one keyed libgcrypt handle and restarts it for each message,
// so a session's messages pay the key set-up once. The MAC covers the message with its
// Signature field zeroed. Not thread-safe: one signer per thread.
class Smb2Signer {
public:
    Smb2Signer(smb2::SigningAlgorithm algorithm, const Key16 &key) noexcept
        : algorithm_(algorithm), mac_(gcry_algorithm(algorithm), key) {}

    [[nodiscard]] bool ok() const noexcept { return mac_.ok(); }

    // HMAC-SHA256, AES-CMAC and AES-GMAC: the algorithms an Smb2Signer signs with.
    static constexpr bool signs_smb2(smb2::SigningAlgorithm a) noexcept {
        return a == smb2::SigningAlgorithm::HmacSha256 || a == smb2::SigningAlgorithm::AesCmac ||
               a == smb2::SigningAlgorithm::AesGmac;
    }

    // The 16-byte signature; nothing if the bytes are not an SMB2 message.
    std::optional<Smb2Signature> sign(Bytes message) noexcept {
        if (message.size() < smb2::kHeaderSize ||
            !std::equal(smb2::kProtocolId.begin(), smb2::kProtocolId.end(), message.begin()))
            return std::nullopt;
        if (!mac_.restart())
            return std::nullopt;
        if (algorithm_ == smb2::SigningAlgorithm::AesGmac) {
            auto nonce = gmac_nonce(message);
            if (!nonce || !mac_.set_iv(*nonce))
                return std::nullopt;
        }
        // The header with its signature field zeroed, then the rest: two MAC writes (each
        // costs a call into libgcrypt, which shows on small messages).
        std::array<std::uint8_t, smb2::kHeaderSize> header;
        std::copy_n(message.begin(), header.size(), header.begin());
        std::fill_n(header.begin() + smb2::kSignatureOffset, smb2::kSignatureSize, 0);
        mac_.write(header);
        mac_.write(message.subspan(smb2::kHeaderSize));
        if (algorithm_ == smb2::SigningAlgorithm::HmacSha256) {
            std::array<std::uint8_t, 32> full{}; // the signature is its first 16 bytes
            if (!mac_.read(full))
                return std::nullopt;
            Smb2Signature sig{};
            std::copy_n(full.begin(), sig.size(), sig.begin());
            return sig;
        }
        Smb2Signature sig{};
        if (!mac_.read(sig))
            return std::nullopt;
        return sig;
    }

    SignatureCheck<smb2::kSignatureSize> verify(Bytes message) noexcept {
        auto expected = sign(message);
        if (!expected)
            return {};
        return check_against(expected,
                             message.subspan(smb2::kSignatureOffset, smb2::kSignatureSize));
    }

private:
    // Nothing (the signer is not ok()) for SMB1's MD5 and an unknown algorithm.
    static int gcry_algorithm(smb2::SigningAlgorithm a) noexcept {
        switch (a) {
        case smb2::SigningAlgorithm::HmacSha256:
            return GCRY_MAC_HMAC_SHA256;
        case smb2::SigningAlgorithm::AesCmac:
            return GCRY_MAC_CMAC_AES;
        case smb2::SigningAlgorithm::AesGmac:
            return GCRY_MAC_GMAC_AES;
        case smb2::SigningAlgorithm::Md5:
        case smb2::SigningAlgorithm::Unknown:
            break;
        }
        return GCRY_MAC_NONE;
    }

    smb2::SigningAlgorithm algorithm_;
    Mac mac_;
};

} // namespace smbsign::verify
