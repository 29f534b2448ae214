// SMB1 (CIFS) record parsers: header, parameter blocks, AndX chains and the
// few commands that carry signing facts. MS-CIFS and MS-SMB section numbers
// are given next to each layout.
#pragma once

#include "smbsign/bytes.hpp"
#include "smbsign/ntlmssp.hpp"

#include <array>

namespace smbsign::smb1 {

// MS-CIFS 2.2.3.1 header layout.
inline constexpr std::array<std::uint8_t, 4> kProtocolId = {0xFF, 'S', 'M', 'B'};
inline constexpr std::size_t kHeaderSize = 32;
inline constexpr std::size_t kSignatureOffset = 14;
inline constexpr std::size_t kSignatureSize = 8;

// Commands (MS-CIFS 2.2.2.1).
inline constexpr std::uint8_t kCmdLockingAndX = 0x24;
inline constexpr std::uint8_t kCmdTransaction2 = 0x32;
inline constexpr std::uint8_t kCmdTreeConnect = 0x70;
inline constexpr std::uint8_t kCmdNegotiate = 0x72;
inline constexpr std::uint8_t kCmdSessionSetupAndX = 0x73;
inline constexpr std::uint8_t kCmdLogoffAndX = 0x74;
inline constexpr std::uint8_t kCmdTreeConnectAndX = 0x75;
inline constexpr std::uint8_t kCmdOpenAndX = 0x2D;
inline constexpr std::uint8_t kCmdReadAndX = 0x2E;
inline constexpr std::uint8_t kCmdWriteAndX = 0x2F;
inline constexpr std::uint8_t kCmdNtCreateAndX = 0xA2;
inline constexpr std::uint8_t kCmdNtCancel = 0xA4; // MS-CIFS 2.2.4.65: no response
inline constexpr std::uint8_t kAndXNone = 0xFF;

// Flags / Flags2 (MS-CIFS 2.2.3.1, MS-SMB 2.2.3.1).
inline constexpr std::uint8_t kFlagsReply = 0x80;
inline constexpr std::uint16_t kFlags2SecuritySignature = 0x0004;
inline constexpr std::uint16_t kFlags2SecuritySignatureRequired = 0x0010;
inline constexpr std::uint16_t kFlags2ExtendedSecurity = 0x0800;
inline constexpr std::uint16_t kFlags2NtStatus = 0x4000;
inline constexpr std::uint16_t kFlags2Unicode = 0x8000;

// NEGOTIATE response SecurityMode (MS-CIFS 2.2.4.52.2).
inline constexpr std::uint8_t kSecModeUserLevel = 0x01;
inline constexpr std::uint8_t kSecModeSignaturesEnabled = 0x04;
inline constexpr std::uint8_t kSecModeSignaturesRequired = 0x08;
inline constexpr std::uint8_t kNegotiateWordCountNtLm = 17;
inline constexpr std::uint8_t kNegotiateWordCountLanman = 13;
inline constexpr std::uint16_t kNoDialectSelected = 0xFFFF;

// SESSION_SETUP_ANDX (MS-CIFS 2.2.4.53, MS-SMB 2.2.4.5/2.2.4.6).
inline constexpr std::uint8_t kSetupWordCountLanman = 10;
inline constexpr std::uint8_t kSetupWordCountExtended = 12;
inline constexpr std::uint8_t kSetupWordCountNtLm = 13;
inline constexpr std::uint16_t kSetupActionGuest = 0x0001;
inline constexpr std::uint8_t kSetupResponseWordCountExtended = 4; // MS-SMB 2.2.4.6.2

// TRANS2 (MS-CIFS 2.2.4.46): Setup[0] follows 14 parameter words.
inline constexpr std::size_t kTrans2SetupOffset = 28;
inline constexpr std::uint16_t kTrans2GetDfsReferral = 0x0010;

// LOCKING_ANDX TypeOfLock (MS-CIFS 2.2.4.32.1).
inline constexpr std::size_t kLockingTypeOffset = 6;
inline constexpr std::uint8_t kLockingOplockRelease = 0x02;
inline constexpr std::uint16_t kOplockBreakMid = 0xFFFF;

// Status values as the header carries them.
inline constexpr std::uint32_t kStatusSuccess = 0;
inline constexpr std::uint32_t kStatusMoreProcessingRequired = 0xC0000016;
inline constexpr std::uint32_t kStatusAccessDenied = 0xC0000022;
inline constexpr std::uint32_t kStatusInvalidSignature = 0xC000A000;
inline constexpr std::uint8_t kErrClassDos = 0x01;
inline constexpr std::uint16_t kErrDosNoAccess = 0x0005;

// The "BSRSPYL " placeholder a client sends before signing is active (MS-CIFS 3.2.4.1.1).
inline constexpr std::array<std::uint8_t, 8> kPlaceholderSignature = {'B', 'S', 'R', 'S',
                                                                      'P', 'Y', 'L', ' '};

struct Header {
    std::uint8_t command = 0;
    std::uint32_t status = 0; // NT status, or ErrorClass | ErrorCode << 16 when DOS-style
    std::uint8_t flags = 0;
    std::uint16_t flags2 = 0;
    std::array<std::uint8_t, kSignatureSize> signature{};
    std::uint16_t tid = 0;
    std::uint16_t pid = 0;
    std::uint16_t uid = 0;
    std::uint16_t mid = 0;

    [[nodiscard]] bool is_reply() const noexcept { return (flags & kFlagsReply) != 0; }
    [[nodiscard]] bool nt_status() const noexcept { return (flags2 & kFlags2NtStatus) != 0; }
    [[nodiscard]] bool success() const noexcept { return status == kStatusSuccess; }
    [[nodiscard]] bool access_denied() const noexcept {
        if (nt_status())
            return status == kStatusAccessDenied;
        return (status & 0xFF) == kErrClassDos && (status >> 16) == kErrDosNoAccess;
    }
    // Carries a signature: not zero and not the placeholder (MS-CIFS 3.2.4.1.1).
    [[nodiscard]] bool has_signature() const noexcept {
        return !all_zero(signature) && signature != kPlaceholderSignature;
    }
};

inline ParseError parse_header(Bytes msg, Header &h) noexcept {
    Reader r(msg);
    Bytes proto;
    if (!r.read_bytes(kProtocolId.size(), proto))
        return ParseError::Truncated;
    if (!std::equal(proto.begin(), proto.end(), kProtocolId.begin()))
        return ParseError::Malformed;
    if (msg.size() < kHeaderSize)
        return ParseError::Truncated;
    std::uint8_t err_class = 0, reserved = 0;
    std::uint16_t err_code = 0, pid_high = 0, reserved2 = 0;
    r.read_u8(h.command);
    Reader status_reader = r;
    r.read_u8(err_class);
    r.read_u8(reserved);
    r.read_u16le(err_code);
    r.read_u8(h.flags);
    r.read_u16le(h.flags2);
    if (h.nt_status())
        status_reader.read_u32le(h.status);
    else
        h.status = err_class | static_cast<std::uint32_t>(err_code) << 16;
    r.read_u16le(pid_high);
    Bytes sig;
    r.read_bytes(kSignatureSize, sig);
    std::copy(sig.begin(), sig.end(), h.signature.begin());
    r.read_u16le(reserved2);
    r.read_u16le(h.tid);
    r.read_u16le(h.pid);
    r.read_u16le(h.uid);
    r.read_u16le(h.mid);
    return ParseError::None;
}

// One command block: WordCount, parameter words, ByteCount, bytes (MS-CIFS 2.2.3.2, 2.2.3.3).
struct Block {
    std::uint8_t command = 0;
    std::uint8_t word_count = 0;
    Bytes words;
    Bytes bytes;
    std::size_t bytes_offset = 0; // from the start of the SMB header
};

inline ParseError parse_block(Bytes msg, std::size_t offset, std::uint8_t command,
                              Block &b) noexcept {
    Reader r(msg);
    std::uint16_t byte_count = 0;
    b.command = command;
    if (!r.seek(offset) || !r.read_u8(b.word_count) ||
        !r.read_bytes(std::size_t{b.word_count} * 2, b.words) || !r.read_u16le(byte_count))
        return ParseError::Truncated;
    b.bytes_offset = r.offset();
    // A message cut short by the capture still gives what it has of the byte block.
    b.bytes = msg.subspan(r.offset(), std::min<std::size_t>(byte_count, r.remaining()));
    return b.bytes.size() == byte_count ? ParseError::None : ParseError::Truncated;
}

inline bool is_andx(std::uint8_t command) noexcept {
    switch (command) {
    case kCmdLockingAndX:
    case kCmdOpenAndX:
    case kCmdReadAndX:
    case kCmdWriteAndX:
    case kCmdSessionSetupAndX:
    case kCmdLogoffAndX:
    case kCmdTreeConnectAndX:
    case kCmdNtCreateAndX:
        return true;
    default:
        return false;
    }
}

// The command blocks of one message, following AndX links forward only (MS-CIFS 2.2.3.4).
struct Chain {
    static constexpr std::size_t kMax = 4;
    std::array<Block, kMax> blocks{};
    std::size_t count = 0;
    ParseError error = ParseError::None;
};

inline Chain parse_chain(Bytes msg, const Header &h) noexcept {
    Chain c;
    std::size_t offset = kHeaderSize;
    std::uint8_t command = h.command;
    while (c.count < Chain::kMax) {
        Block &b = c.blocks[c.count];
        c.error = parse_block(msg, offset, command, b);
        // A block whose parameters are all there counts even if its byte block is cut.
        const bool words_whole = c.error == ParseError::Truncated &&
                                 b.words.size() == std::size_t{b.word_count} * 2 &&
                                 !b.words.empty();
        if (c.error == ParseError::None || words_whole)
            ++c.count;
        if (c.error != ParseError::None || !is_andx(command) || b.word_count < 2)
            break;
        Reader w(b.words);
        std::uint8_t next = 0, reserved = 0;
        std::uint16_t next_offset = 0;
        w.read_u8(next);
        w.read_u8(reserved);
        w.read_u16le(next_offset);
        if (next == kAndXNone)
            break;
        if (next_offset <= offset) { // a link backwards could loop
            c.error = ParseError::Malformed;
            break;
        }
        offset = next_offset;
        command = next;
    }
    return c;
}

enum class NegotiateFormat : std::uint8_t { None, Core, Lanman, NtLm };

struct NegotiateResponse {
    NegotiateFormat format = NegotiateFormat::None;
    std::uint16_t dialect_index = kNoDialectSelected;
    std::uint16_t security_mode = 0;
};

// MS-CIFS 2.2.4.52.2: WordCount 17 is the NT LM 0.12 format, 13 the LANMAN format,
// 1 a core dialect or "none of these".
inline ParseError parse_negotiate_response(const Block &b, NegotiateResponse &out) noexcept {
    Reader r(b.words);
    if (!r.read_u16le(out.dialect_index))
        return b.word_count == 0 ? ParseError::Malformed : ParseError::Truncated;
    if (out.dialect_index == kNoDialectSelected) {
        out.format = NegotiateFormat::None;
        return ParseError::None;
    }
    switch (b.word_count) {
    case kNegotiateWordCountNtLm: {
        std::uint8_t mode = 0;
        r.read_u8(mode);
        out.security_mode = mode;
        out.format = NegotiateFormat::NtLm;
        return ParseError::None;
    }
    case kNegotiateWordCountLanman:
        r.read_u16le(out.security_mode);
        out.format = NegotiateFormat::Lanman;
        return ParseError::None;
    case 1:
        out.format = NegotiateFormat::Core;
        return ParseError::None;
    default:
        return ParseError::Malformed;
    }
}

struct SessionSetupRequest {
    bool extended_security = false;
    bool anonymous = false;
    Bytes security_blob; // extended security: the captured part of the SecurityBlob
};

// MS-CIFS 2.2.4.53.1 / MS-SMB 2.2.4.6.1. Anonymous: an empty account name with at most
// one password byte, an empty extended-security blob, or an anonymous NTLMSSP AUTHENTICATE.
inline ParseError parse_session_setup_request(const Header &h, const Block &b,
                                              SessionSetupRequest &out) noexcept {
    Reader r(b.words);
    if (b.word_count == kSetupWordCountExtended) {
        std::uint16_t blob_len = 0;
        if (!r.skip(14) || !r.read_u16le(blob_len))
            return ParseError::Truncated;
        out.extended_security = true;
        Bytes blob = b.bytes.subspan(0, std::min<std::size_t>(blob_len, b.bytes.size()));
        out.security_blob = blob;
        if (blob_len == 0)
            out.anonymous = true;
        else
            out.anonymous = find_ntlm_authenticate(blob) == NtlmAuth::Anonymous;
        return blob.size() == blob_len ? ParseError::None : ParseError::Truncated;
    }
    std::size_t password_len = 0;
    if (b.word_count == kSetupWordCountNtLm) {
        std::uint16_t oem = 0, uni = 0;
        if (!r.skip(14) || !r.read_u16le(oem) || !r.read_u16le(uni))
            return ParseError::Truncated;
        password_len = std::size_t{oem} + uni;
    } else if (b.word_count == kSetupWordCountLanman) {
        std::uint16_t pw = 0;
        if (!r.skip(14) || !r.read_u16le(pw))
            return ParseError::Truncated;
        password_len = pw;
    } else {
        return ParseError::Malformed;
    }
    Reader bytes(b.bytes);
    if (!bytes.skip(password_len))
        return ParseError::Truncated;
    const bool unicode = (h.flags2 & kFlags2Unicode) != 0;
    if (unicode && (b.bytes_offset + bytes.offset()) % 2 != 0 && !bytes.skip(1))
        return ParseError::Truncated;
    std::uint8_t c0 = 0, c1 = 0;
    const bool empty_name = unicode
                                ? !bytes.read_u8(c0) || !bytes.read_u8(c1) || (c0 == 0 && c1 == 0)
                                : !bytes.read_u8(c0) || c0 == 0;
    out.anonymous = empty_name && password_len <= 1;
    return ParseError::None;
}

// MS-CIFS 2.2.4.53.2: Action follows the AndX words; bit 0 is "logged in as guest".
inline bool session_setup_response_guest(const Block &b) noexcept {
    Reader r(b.words);
    std::uint16_t action = 0;
    return r.skip(4) && r.read_u16le(action) && (action & kSetupActionGuest) != 0;
}

// MS-SMB 2.2.4.6.2: an extended-security response (WordCount 4) carries
// SecurityBlobLength after Action, and the blob at the start of its bytes. The captured
// part of it; empty for any other response.
inline Bytes session_setup_response_blob(const Block &b) noexcept {
    Reader r(b.words);
    std::uint16_t blob_len = 0;
    if (b.word_count != kSetupResponseWordCountExtended || !r.skip(6) || !r.read_u16le(blob_len))
        return {};
    return b.bytes.first(std::min<std::size_t>(blob_len, b.bytes.size()));
}

inline bool trans2_subcommand(const Block &b, std::uint16_t &sub) noexcept {
    Reader r(b.words);
    return r.seek(kTrans2SetupOffset) && r.read_u16le(sub);
}

// An oplock break: the server's LOCKING_ANDX request (MID 0xFFFF) or the client's release.
inline bool is_oplock_break(const Header &h, const Block &b) noexcept {
    if (h.command != kCmdLockingAndX)
        return false;
    if (h.mid == kOplockBreakMid)
        return true;
    Reader r(b.words);
    std::uint8_t type = 0;
    return r.seek(kLockingTypeOffset) && r.read_u8(type) && (type & kLockingOplockRelease) != 0;
}

} // namespace smbsign::smb1
