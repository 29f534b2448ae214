// SMB2/SMB3 record parsers (MS-SMB2): the 64-byte header, compound chains, the
// transform header, and the bodies that carry signing facts.
#pragma once

#include "smbsign/bytes.hpp"
#include "smbsign/ntlmssp.hpp"

#include <algorithm>
#include <array>

namespace smbsign::smb2 {

// MS-SMB2 2.2.1 header.
inline constexpr std::array<std::uint8_t, 4> kProtocolId = {0xFE, 'S', 'M', 'B'};
inline constexpr std::array<std::uint8_t, 4> kTransformProtocolId = {0xFD, 'S', 'M', 'B'};
inline constexpr std::array<std::uint8_t, 4> kCompressionProtocolId = {0xFC, 'S', 'M', 'B'};
inline constexpr std::size_t kHeaderSize = 64;
inline constexpr std::size_t kSignatureSize = 16;
inline constexpr std::size_t kTransformHeaderSize = 52; // MS-SMB2 2.2.41
// The header's fields (2.2.1.1 ASYNC, 2.2.1.2 SYNC: only bytes 32-39 differ). The one
// layout the parser, the signer and the tests use.
inline constexpr std::size_t kStructureSizeOffset = 4;
inline constexpr std::size_t kCreditChargeOffset = 6;
inline constexpr std::size_t kStatusOffset = 8;
inline constexpr std::size_t kCommandOffset = 12;
inline constexpr std::size_t kCreditsOffset = 14;
inline constexpr std::size_t kFlagsOffset = 16;
inline constexpr std::size_t kNextCommandOffset = 20;
inline constexpr std::size_t kMessageIdOffset = 24;
inline constexpr std::size_t kAsyncIdOffset = 32; // ASYNC
inline constexpr std::size_t kTreeIdOffset = 36;  // SYNC (after 4 reserved bytes)
inline constexpr std::size_t kSessionIdOffset = 40;
inline constexpr std::size_t kSignatureOffset = 48;
inline constexpr std::size_t kChainAlignment = 8; // MS-SMB2 3.2.4.1.4

inline constexpr std::uint32_t kFlagServerToRedir = 0x00000001;
inline constexpr std::uint32_t kFlagAsync = 0x00000002;
inline constexpr std::uint32_t kFlagRelated = 0x00000004;
inline constexpr std::uint32_t kFlagSigned = 0x00000008;
inline constexpr std::uint64_t kRelatedSessionInherit = 0xFFFFFFFFFFFFFFFFULL;

// Commands (MS-SMB2 2.2.1.2).
inline constexpr std::uint16_t kCmdNegotiate = 0x0000;
inline constexpr std::uint16_t kCmdSessionSetup = 0x0001;
inline constexpr std::uint16_t kCmdLogoff = 0x0002;
inline constexpr std::uint16_t kCmdTreeConnect = 0x0003;
inline constexpr std::uint16_t kCmdIoctl = 0x000B;
inline constexpr std::uint16_t kCmdCancel = 0x000C;
inline constexpr std::uint16_t kCmdOplockBreak = 0x0012;

// SecurityMode (2.2.3, 2.2.4, 2.2.5).
inline constexpr std::uint16_t kSigningEnabled = 0x0001;
inline constexpr std::uint16_t kSigningRequired = 0x0002;

// SESSION_SETUP response SessionFlags (2.2.6).
inline constexpr std::uint16_t kSessionIsGuest = 0x0001;
inline constexpr std::uint16_t kSessionIsNull = 0x0002;
inline constexpr std::uint16_t kSessionEncryptData = 0x0004;

// IOCTL codes excluded from the verdict (2.2.31).
inline constexpr std::uint32_t kFsctlValidateNegotiateInfo = 0x00140204;
inline constexpr std::uint32_t kFsctlQueryNetworkInterfaceInfo = 0x001401FC;

// Negotiate contexts (2.2.3.1).
inline constexpr std::uint16_t kCtxEncryptionCapabilities = 0x0002;
inline constexpr std::uint16_t kCtxSigningCapabilities = 0x0008;
inline constexpr std::size_t kMaxNegotiateContexts = 64;

// Dialect revisions (2.2.3).
inline constexpr std::uint16_t kDialect202 = 0x0202;
inline constexpr std::uint16_t kDialect210 = 0x0210;
inline constexpr std::uint16_t kDialect300 = 0x0300;
inline constexpr std::uint16_t kDialect302 = 0x0302;
inline constexpr std::uint16_t kDialect311 = 0x0311;
inline constexpr std::uint16_t kDialectWildcard = 0x02FF;

// Status codes.
inline constexpr std::uint32_t kStatusSuccess = 0x00000000;
inline constexpr std::uint32_t kStatusPending = 0x00000103;
inline constexpr std::uint32_t kStatusMoreProcessingRequired = 0xC0000016;
inline constexpr std::uint32_t kStatusAccessDenied = 0xC0000022;
inline constexpr std::uint32_t kStatusInvalidSignature = 0xC000A000;

inline constexpr bool is_error(std::uint32_t status) noexcept {
    return (status >> 30) == 3;
}

struct Header {
    std::uint32_t status = 0;
    std::uint16_t command = 0;
    std::uint32_t flags = 0;
    std::uint32_t next_command = 0;
    std::uint64_t message_id = 0;
    std::uint32_t tree_id = 0; // sync messages only
    std::uint64_t session_id = 0;
    bool zero_signature = true;

    [[nodiscard]] bool is_response() const noexcept { return (flags & kFlagServerToRedir) != 0; }
    [[nodiscard]] bool is_async() const noexcept { return (flags & kFlagAsync) != 0; }
    [[nodiscard]] bool is_signed() const noexcept { return (flags & kFlagSigned) != 0; }
    [[nodiscard]] bool is_related() const noexcept { return (flags & kFlagRelated) != 0; }
    // An interim response (MS-SMB2 3.3.4.2): async and STATUS_PENDING.
    [[nodiscard]] bool is_interim() const noexcept {
        return is_response() && is_async() && status == kStatusPending;
    }
};

inline bool starts_with(Bytes msg, const std::array<std::uint8_t, 4> &id) noexcept {
    return msg.size() >= id.size() && std::equal(id.begin(), id.end(), msg.begin());
}

// Parses the header of one message of a (possibly compound) chain. `msg` runs
// from this header to the end of the located bytes.
inline ParseError parse_header(Bytes msg, Header &h) noexcept {
    if (msg.size() < kProtocolId.size())
        return ParseError::Truncated;
    if (!starts_with(msg, kProtocolId))
        return ParseError::Malformed;
    Reader r(msg);
    std::uint16_t structure_size = 0;
    if (!r.seek(kStructureSizeOffset) || !r.read_u16le(structure_size))
        return ParseError::Truncated;
    if (structure_size != kHeaderSize)
        return ParseError::Malformed;
    if (msg.size() < kHeaderSize)
        return ParseError::Truncated;
    // All of the header is there: no read below can fail.
    r.seek(kStatusOffset);
    r.read_u32le(h.status);
    r.seek(kCommandOffset);
    r.read_u16le(h.command);
    r.seek(kFlagsOffset);
    r.read_u32le(h.flags);
    r.read_u32le(h.next_command);
    r.seek(kMessageIdOffset);
    r.read_u64le(h.message_id);
    if (!h.is_async()) {
        r.seek(kTreeIdOffset);
        r.read_u32le(h.tree_id);
    }
    r.seek(kSessionIdOffset);
    r.read_u64le(h.session_id);
    Bytes sig;
    r.seek(kSignatureOffset);
    r.read_bytes(kSignatureSize, sig);
    h.zero_signature = all_zero(sig);
    if (h.next_command != 0 &&
        (h.next_command < kHeaderSize || h.next_command % kChainAlignment != 0))
        return ParseError::Malformed;
    return ParseError::None;
}

// The body of one chained message: from after its header to NextCommand, or to the end.
inline Bytes message_bytes(Bytes msg, const Header &h) noexcept {
    if (h.next_command != 0 && h.next_command <= msg.size())
        return msg.first(h.next_command);
    return msg;
}

// MS-SMB2 2.2.41 SMB2 TRANSFORM_HEADER: ProtocolId, Signature (the AEAD tag), Nonce,
// OriginalMessageSize, Reserved, Flags (3.1.1) / EncryptionAlgorithm (3.0, 3.0.2),
// SessionId; the encrypted message follows. Spans borrow the parsed bytes.
namespace transform {
inline constexpr std::size_t kSignatureOffset = 4;
inline constexpr std::size_t kNonceOffset = 20;
inline constexpr std::size_t kNonceSize = 16;
inline constexpr std::size_t kOriginalSizeOffset = 36;
inline constexpr std::size_t kFlagsOffset = 42;
inline constexpr std::size_t kSessionIdOffset = 44;
// 3.1.1 Flags / 3.0 EncryptionAlgorithm: the only value defined (Encrypted / AES-128-CCM).
inline constexpr std::uint16_t kFlagEncrypted = 0x0001;
} // namespace transform

struct TransformHeader {
    std::uint64_t session_id = 0;
    std::uint32_t original_size = 0;
    std::uint16_t flags = 0;
    Bytes signature;  // 16 bytes: the AEAD tag
    Bytes nonce;      // 16 bytes, of which CCM uses 11 and GCM 12
    Bytes aad;        // the header from Nonce to its end (32 bytes): the authenticated data
    Bytes ciphertext; // everything after the header, as captured
};

// Truncated when the header itself is cut short. Whether OriginalMessageSize matches the
// ciphertext is the decryptor's business (a cut capture makes it shorter).
inline ParseError parse_transform_header(Bytes msg, TransformHeader &t) noexcept {
    if (!starts_with(msg, kTransformProtocolId))
        return msg.size() < 4 ? ParseError::Truncated : ParseError::Malformed;
    Reader r(msg);
    if (!r.seek(transform::kSignatureOffset) || !r.read_bytes(kSignatureSize, t.signature) ||
        !r.read_bytes(transform::kNonceSize, t.nonce) || !r.read_u32le(t.original_size) ||
        !r.seek(transform::kFlagsOffset) || !r.read_u16le(t.flags) || !r.read_u64le(t.session_id))
        return ParseError::Truncated;
    t.aad = msg.subspan(transform::kNonceOffset, kTransformHeaderSize - transform::kNonceOffset);
    t.ciphertext = msg.subspan(kTransformHeaderSize);
    return ParseError::None;
}

struct NegotiateRequest {
    std::uint16_t security_mode = 0;
};

inline constexpr std::uint16_t kNegotiateRequestStructureSize = 36;
inline constexpr std::uint16_t kNegotiateResponseStructureSize = 65;
inline constexpr std::uint16_t kSessionSetupRequestStructureSize = 25;
inline constexpr std::uint16_t kSessionSetupResponseStructureSize = 9;
inline constexpr std::uint16_t kIoctlStructureSize = 57;
inline constexpr std::uint16_t kIoctlResponseStructureSize = 49;

// Reads StructureSize at the start of the body and checks it (2.2.3 and siblings).
inline ParseError body_reader(Bytes msg, std::uint16_t want, Reader &r) noexcept {
    std::uint16_t size = 0;
    r = Reader(msg);
    if (!r.seek(kHeaderSize) || !r.read_u16le(size))
        return ParseError::Truncated;
    return size == want ? ParseError::None : ParseError::Malformed;
}

// MS-SMB2 2.2.3.
inline ParseError parse_negotiate_request(Bytes msg, NegotiateRequest &out) noexcept {
    Reader r(msg);
    if (auto e = body_reader(msg, kNegotiateRequestStructureSize, r); e != ParseError::None)
        return e;
    std::uint16_t dialect_count = 0;
    if (!r.read_u16le(dialect_count) || !r.read_u16le(out.security_mode))
        return ParseError::Truncated;
    return ParseError::None;
}

// The MAC a connection signs with (MS-SMB2 3.1.4.1; MS-CIFS 3.1.4.1 for SMB1's MD5): the
// one signing-algorithm type of the tracker, the verifier and the plugin.
enum class SigningAlgorithm : std::uint8_t { Unknown, HmacSha256, AesCmac, AesGmac, Md5 };
// MS-SMB2 2.2.3.1.7 SigningAlgorithms: the wire ids.
inline constexpr std::uint16_t kSigningIdHmacSha256 = 0x0000;
inline constexpr std::uint16_t kSigningIdAesCmac = 0x0001;
inline constexpr std::uint16_t kSigningIdAesGmac = 0x0002;

enum class Cipher : std::uint8_t { None, Aes128Ccm, Aes128Gcm, Aes256Ccm, Aes256Gcm, Unknown };

struct NegotiateResponse {
    std::uint16_t security_mode = 0;
    std::uint16_t dialect = 0;
    bool has_signing_context = false;
    std::uint16_t signing_algorithm_id = 0;
    Cipher cipher = Cipher::None;
};

// The algorithm named by a SigningAlgorithmId; Unknown for an id MS-SMB2 does not define.
inline SigningAlgorithm signing_algorithm_from_id(std::uint16_t id) noexcept {
    switch (id) {
    case kSigningIdHmacSha256:
        return SigningAlgorithm::HmacSha256;
    case kSigningIdAesCmac:
        return SigningAlgorithm::AesCmac;
    case kSigningIdAesGmac:
        return SigningAlgorithm::AesGmac;
    default:
        return SigningAlgorithm::Unknown;
    }
}

inline Cipher cipher_from_id(std::uint16_t id) noexcept {
    switch (id) {
    case 1:
        return Cipher::Aes128Ccm;
    case 2:
        return Cipher::Aes128Gcm;
    case 3:
        return Cipher::Aes256Ccm;
    case 4:
        return Cipher::Aes256Gcm;
    default:
        return Cipher::Unknown;
    }
}

// MS-SMB2 2.2.4 and, for 3.1.1, the negotiate contexts of 2.2.3.1.
inline ParseError parse_negotiate_response(Bytes msg, NegotiateResponse &out) noexcept {
    Reader r(msg);
    if (auto e = body_reader(msg, kNegotiateResponseStructureSize, r); e != ParseError::None)
        return e;
    std::uint16_t context_count = 0;
    std::uint32_t context_offset = 0;
    if (!r.read_u16le(out.security_mode) || !r.read_u16le(out.dialect) ||
        !r.read_u16le(context_count))
        return ParseError::Truncated;
    if (out.dialect != kDialect311 || context_count == 0)
        return ParseError::None;
    // ServerGuid 16, Capabilities 4, MaxTransact/Read/Write 12, SystemTime 8,
    // ServerStartTime 8, SecurityBuffer offset/length 4, then NegotiateContextOffset.
    if (!r.skip(16 + 4 + 12 + 8 + 8 + 4) || !r.read_u32le(context_offset))
        return ParseError::Truncated;
    if (context_count > kMaxNegotiateContexts || context_offset < kHeaderSize)
        return ParseError::Malformed;
    std::size_t off = context_offset;
    for (std::uint16_t i = 0; i < context_count; ++i) {
        off = (off + kChainAlignment - 1) / kChainAlignment * kChainAlignment;
        Reader c(msg);
        std::uint16_t type = 0, len = 0, count = 0, first = 0;
        if (!c.seek(off) || !c.read_u16le(type) || !c.read_u16le(len) || !c.skip(4))
            return ParseError::Truncated;
        Bytes data;
        if (!c.read_bytes(len, data))
            return ParseError::Truncated;
        Reader d(data);
        if (type == kCtxSigningCapabilities || type == kCtxEncryptionCapabilities) {
            // A response selects exactly one algorithm (2.2.4.1.2, 2.2.4.1.7).
            if (!d.read_u16le(count) || !d.read_u16le(first))
                return ParseError::Truncated;
            if (count != 1)
                return ParseError::Malformed;
            if (type == kCtxSigningCapabilities) {
                out.has_signing_context = true;
                out.signing_algorithm_id = first;
            } else {
                out.cipher = first == 0 ? Cipher::None : cipher_from_id(first);
            }
        }
        off = c.offset();
    }
    return ParseError::None;
}

// The algorithm a NEGOTIATE response sets for its connection (MS-SMB2 3.1.4.1, 3.2.5.2):
// the one SMB2_SIGNING_CAPABILITIES chose (3.1.1), else AES-128-CMAC from dialect 3.0 on
// and HMAC-SHA256 before. The one dialect-to-algorithm mapping.
inline SigningAlgorithm signing_algorithm_of(const NegotiateResponse &r) noexcept {
    if (r.has_signing_context)
        return signing_algorithm_from_id(r.signing_algorithm_id);
    if (r.dialect >= kDialect300 && r.dialect != kDialectWildcard)
        return SigningAlgorithm::AesCmac;
    return SigningAlgorithm::HmacSha256;
}

// SESSION_SETUP request Flags (2.2.5).
inline constexpr std::uint8_t kSessionFlagBinding = 0x01;

struct SessionSetupRequest {
    std::uint8_t flags = 0;
    std::uint8_t security_mode = 0;
    NtlmAuth auth = NtlmAuth::None;
    Bytes security_blob; // the captured part of the SecurityBuffer
};

// MS-SMB2 2.2.5.
inline ParseError parse_session_setup_request(Bytes msg, SessionSetupRequest &out) noexcept {
    Reader r(msg);
    if (auto e = body_reader(msg, kSessionSetupRequestStructureSize, r); e != ParseError::None)
        return e;
    std::uint16_t blob_offset = 0, blob_len = 0;
    if (!r.read_u8(out.flags) || !r.read_u8(out.security_mode) || !r.skip(8) ||
        !r.read_u16le(blob_offset) || !r.read_u16le(blob_len))
        return ParseError::Truncated;
    Bytes blob;
    if (blob_len == 0)
        return ParseError::None;
    if (!slice(msg, blob_offset, blob_len, blob)) {
        // Keep what was captured: an anonymous AUTHENTICATE shows in its first bytes.
        if (blob_offset > msg.size())
            return ParseError::Malformed;
        out.security_blob = msg.subspan(blob_offset);
        out.auth = find_ntlm_authenticate(out.security_blob);
        return ParseError::Truncated;
    }
    out.security_blob = blob;
    out.auth = find_ntlm_authenticate(blob);
    return ParseError::None;
}

struct SessionSetupResponse {
    std::uint16_t session_flags = 0;
    Bytes security_blob; // the captured part of the SecurityBuffer, when there is one
};

// MS-SMB2 2.2.6. Error responses carry an ERROR body instead (2.2.2). The result says
// whether SessionFlags could be read; the blob is taken as far as it was captured.
inline ParseError parse_session_setup_response(Bytes msg, SessionSetupResponse &out) noexcept {
    Reader r(msg);
    if (auto e = body_reader(msg, kSessionSetupResponseStructureSize, r); e != ParseError::None)
        return e;
    if (!r.read_u16le(out.session_flags))
        return ParseError::Truncated;
    std::uint16_t blob_offset = 0, blob_len = 0;
    if (r.read_u16le(blob_offset) && r.read_u16le(blob_len) && blob_offset <= msg.size())
        out.security_blob =
            msg.subspan(blob_offset, std::min<std::size_t>(blob_len, msg.size() - blob_offset));
    return ParseError::None;
}

// MS-SMB2 2.2.31 / 2.2.32: CtlCode sits at the same place in request and response.
inline bool ioctl_code(Bytes msg, bool response, std::uint32_t &code) noexcept {
    Reader r(msg);
    if (body_reader(msg, response ? kIoctlResponseStructureSize : kIoctlStructureSize, r) !=
        ParseError::None)
        return false;
    return r.skip(2) && r.read_u32le(code);
}

} // namespace smbsign::smb2
