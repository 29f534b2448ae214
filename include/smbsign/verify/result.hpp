// What signature verification tells about one message and one session, and the hook
// through which the tracker hands its messages to a verifier. Free of libgcrypt: the
// tracker, the fuzzers and the plugin's tables include this, only the verifier itself
// (verifier.hpp) needs the cryptography. Meanings: doc/DEFINITIONS.md, "Signature
// verification".
#pragma once

#include "smbsign/bytes.hpp"
#include "smbsign/dialect.hpp"
#include "smbsign/smb1.hpp"
#include "smbsign/smb2.hpp"

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace smbsign::verify {

// The check of one signed message.
enum class Status : std::uint8_t { None, Valid, Invalid, Unverifiable };

// Why a signed message could not be checked.
enum class Reason : std::uint8_t {
    None,
    NoKey,        // no secret given matches this session
    KeyWrong,     // the secret given for this user is wrong (NTLMv2 proof does not match)
    NoSetup,      // the session's set-up (or the connection's NEGOTIATE) is not in the capture
    Unsupported,  // authentication without a usable key: NTLM v1/LM, Kerberos without a key
    BoundChannel, // a channel bound to a session set up elsewhere (multichannel)
    Truncated,    // the capture cut the message short
    NoSequence,   // SMB1: the request this response answers was not seen
    NotSignable,  // a message the protocol never signs (oplock break notification)
    UnknownDialect,
    Compressed,     // an SMB 3.1.1 COMPRESSION_TRANSFORM: its content cannot be read here
    BadTransform,   // a TRANSFORM header whose size or flags cannot be a valid message
    KerberosNoKey,  // a Kerberos ticket no key given opens, nor a password through the KDC
    KerberosArmour, // the same, and the capture's AS exchange is FAST-armoured by a ticket
                    // the passwords do not open (got before the capture, or refused)
    Count
};

// One message's result as a byte of the frame log: status in bits 0-1, reason above.
using Code = std::uint8_t;
static_assert(static_cast<unsigned>(Reason::Count) <= 64, "a reason takes six bits of a Code");
constexpr Code encode(Status s, Reason r = Reason::None) noexcept {
    return static_cast<Code>(static_cast<unsigned>(s) | (static_cast<unsigned>(r) << 2));
}
constexpr Status status_of(Code c) noexcept {
    return static_cast<Status>(c & 3u);
}
constexpr Reason reason_of(Code c) noexcept {
    const unsigned r = c >> 2;
    return r < static_cast<unsigned>(Reason::Count) ? static_cast<Reason>(r) : Reason::None;
}
// Of two results for one frame and session (compound elements): the one that matters most.
constexpr Code worse(Code a, Code b) noexcept {
    constexpr int rank[] = {0, 1, 3, 2}; // None < Valid < Unverifiable < Invalid
    return rank[static_cast<unsigned>(status_of(b))] > rank[static_cast<unsigned>(status_of(a))]
               ? b
               : a;
}

enum class Integrity : std::uint8_t { NotSigned, Unverified, Verified, Invalid };
// KerberosPassword: keys reached from a password through the capture's KDC exchanges.
enum class KeySource : std::uint8_t {
    None,
    Password,
    NtHash,
    SessionKey,
    Keytab,
    KerberosPassword
};
enum class KeyState : std::uint8_t { Unknown, Proven, Wrong };

constexpr std::string_view to_string(Status s) noexcept {
    switch (s) {
    case Status::Valid:
        return "valid";
    case Status::Invalid:
        return "invalid";
    case Status::Unverifiable:
        return "unverifiable";
    case Status::None:
        break;
    }
    return "none";
}

constexpr std::string_view to_string(Reason r) noexcept {
    switch (r) {
    case Reason::NoKey:
        return "no key for this session";
    case Reason::KeyWrong:
        return "the key given for this user is wrong";
    case Reason::NoSetup:
        return "session set-up not in the capture";
    case Reason::Unsupported:
        return "authentication gives no usable key (NTLMv1/LM, or Kerberos without a session key)";
    case Reason::BoundChannel:
        return "bound channel (multichannel): its key comes from another connection";
    case Reason::Truncated:
        return "truncated frame";
    case Reason::NoSequence:
        return "SMB1 sequence number unknown (request not seen)";
    case Reason::NotSignable:
        return "oplock break notification: not signed by the protocol";
    case Reason::UnknownDialect:
        return "dialect unknown";
    case Reason::Compressed:
        return "compressed (COMPRESSION_TRANSFORM): not decompressed";
    case Reason::BadTransform:
        return "transform header malformed (OriginalMessageSize or Flags)";
    case Reason::KerberosNoKey:
        return "Kerberos ticket not opened: no keytab key of its enctype, and no password "
               "reached it through a KDC exchange in the capture";
    case Reason::KerberosArmour:
        return "Kerberos ticket not opened: no keytab key of its enctype, and the capture's AS "
               "exchange is FAST-armoured with a ticket the passwords given do not open";
    case Reason::None:
    case Reason::Count:
        break;
    }
    return "";
}

constexpr std::string_view to_string(Integrity i) noexcept {
    switch (i) {
    case Integrity::Unverified:
        return "unverified";
    case Integrity::Verified:
        return "verified";
    case Integrity::Invalid:
        return "invalid";
    case Integrity::NotSigned:
        break;
    }
    return "not-signed";
}

constexpr std::string_view to_string(KeySource s) noexcept {
    switch (s) {
    case KeySource::Password:
        return "password";
    case KeySource::NtHash:
        return "NT hash";
    case KeySource::SessionKey:
        return "session key";
    case KeySource::Keytab:
        return "keytab";
    case KeySource::KerberosPassword:
        return "password (Kerberos)";
    case KeySource::None:
        break;
    }
    return "none";
}

constexpr std::string_view to_string(KeyState s) noexcept {
    switch (s) {
    case KeyState::Proven:
        return "proven";
    case KeyState::Wrong:
        return "wrong";
    case KeyState::Unknown:
        break;
    }
    return "unknown";
}

// A session's verification so far.
struct SessionSummary {
    std::uint32_t valid = 0;
    std::uint32_t invalid = 0;
    std::uint32_t unverifiable = 0;
    KeySource key_source = KeySource::None;
    KeyState key_state = KeyState::Unknown;
    // SMB3 TRANSFORM messages checked by their AEAD tag (smb2_encryption.hpp).
    std::uint32_t encrypted_valid = 0;
    std::uint32_t encrypted_invalid = 0;
    std::uint32_t encrypted_unverifiable = 0;
};

// A session's integrity from its checks (doc/DEFINITIONS.md, "Signature verification");
// `signs`: the session signs or encrypts as far as the tracker can tell, checked or not;
// `encrypted`: how many encrypted messages of the session the tracker counted. Verified only
// when every signed and every encrypted message checked valid: an encrypted message that
// was never checked leaves the session unverified, however many signatures were valid.
constexpr Integrity integrity_of(const SessionSummary &s, bool signs,
                                 std::uint32_t encrypted = 0) noexcept {
    if (s.invalid > 0 || s.encrypted_invalid > 0)
        return Integrity::Invalid;
    const std::uint32_t valid = s.valid + s.encrypted_valid;
    const std::uint32_t unverifiable = s.unverifiable + s.encrypted_unverifiable;
    if (valid > 0 && unverifiable == 0 && s.encrypted_valid == encrypted)
        return Integrity::Verified;
    if (valid + unverifiable > 0 || signs || encrypted > 0)
        return Integrity::Unverified;
    return Integrity::NotSigned;
}

// What the tracker knows about a message when it hands it over: its own decisions (which
// connection and session, by the tracker's dense indices) and the connection's dialect.
struct MessageContext {
    std::uint32_t conn = 0;    // the tracker's connection index
    std::uint32_t session = 0; // the tracker's session index (never kNoSession here)
    std::uint32_t frame = 0;
    Dialect dialect = Dialect::Unknown; // the connection's, as its NEGOTIATE response set it
    smb2::SigningAlgorithm algorithm = smb2::SigningAlgorithm::Unknown; // ... and its MAC
    bool truncated = false;
    bool mid_capture = false;                 // no SESSION_SETUP of the session was seen
    smb2::Cipher cipher = smb2::Cipher::None; // the connection's negotiated 3.1.1 cipher
    std::optional<bool> from_client;          // the direction, when the tracker knows it
};

// A SESSION_SETUP body as the tracker's record parsers read it (smb1.hpp, smb2.hpp): what
// authentication (NTLMSSP now; Kerberos AP-REQ/AP-REP later) and channel binding need.
struct SetupRecord {
    Bytes security_blob;  // the captured part of the SecurityBuffer / SecurityBlob
    bool binding = false; // SMB2 request: SMB2_SESSION_FLAG_BINDING (MS-SMB2 2.2.5)
};

// One SMB2 message (a compound element up to its NextCommand), parsed: the verifier reads
// no header or body again, it only MACs and hashes the bytes.
struct Smb2Message {
    const smb2::Header &header;
    Bytes bytes;
    const SetupRecord *setup = nullptr; // SESSION_SETUP request or response
};

// One SMB1 message, from \xffSMB to its end, parsed.
struct Smb1Message {
    const smb1::Header &header;
    const smb1::Chain &chain;
    Bytes bytes;
    const SetupRecord *setup = nullptr; // SESSION_SETUP_ANDX request or response
};

// One SMB3 TRANSFORM message, parsed (smb2.hpp): the verifier checks its tag over these
// spans and decrypts its ciphertext.
struct TransformMessage {
    const smb2::TransformHeader &header;
    Bytes bytes; // the whole message, from FD 'SMB'
};

// The tracker's side of verification. Calls come in capture order on the first pass. The
// seam the coming features plug into: keys from elsewhere (Kerberos) enter through the
// SESSION_SETUP records, decrypted TRANSFORM messages come as Smb2Message.
class Hook {
public:
    virtual ~Hook() = default;
    // A message of a known session, or a NEGOTIATE (ctx.session may then be any value).
    virtual Code smb2(const MessageContext &ctx, const Smb2Message &message) noexcept = 0;
    virtual Code smb1(const MessageContext &ctx, const Smb1Message &message) noexcept = 0;
    // An encrypted message of a known session: its tag checked with the session's cipher
    // key and, when Valid, its plaintext (the SMB2 message(s) it carries) in `plain`, which
    // the caller sized to the ciphertext. A verifier that does not decrypt returns None.
    virtual Code transform(const MessageContext &ctx, const TransformMessage &message,
                           std::span<std::uint8_t> plain) noexcept {
        (void)ctx;
        (void)message;
        (void)plain;
        return encode(Status::None);
    }
    // An SMB 3.1.1 COMPRESSION_TRANSFORM of a known session, outside encryption: its content
    // (and so its signature) cannot be read here. A verifier that counts it returns
    // Unverifiable with Reason::Compressed.
    virtual Code compressed(const MessageContext &ctx) noexcept {
        (void)ctx;
        return encode(Status::None);
    }
    [[nodiscard]] virtual SessionSummary summary(std::uint32_t session) const noexcept = 0;
    virtual void clear() noexcept = 0;
};

} // namespace smbsign::verify
