// Scenario tests for smbsign::Tracker: message sequences built with the small
// builders below (and two real sequences from the public captures) are fed through
// on_pdu / on_tcp_close, and each SessionView is checked against doc/DEFINITIONS.md.
#include "smbsign/tracker.hpp"

#include "smb_vectors.hpp"
#include "test_bytes.hpp"

#include <gtest/gtest.h>

#include <string>
#include <utility>

namespace {

using namespace smbsign;
using namespace testutil;

constexpr std::uint8_t kClient = 0;
constexpr std::uint8_t kServer = 1;
constexpr std::uint32_t kConn = 1;
constexpr std::uint32_t kOtherConn = 2;

constexpr std::uint64_t kSessionA = 0x0000100000000041;
constexpr std::uint64_t kSessionB = 0x0000100000000042;
constexpr std::uint64_t kUnassignedSession = 0x0000100000000099;
constexpr std::uint32_t kTree = 5;

constexpr std::uint16_t kNone = 0;
constexpr std::uint16_t kEnabled = smb2::kSigningEnabled;
constexpr std::uint16_t kRequired = smb2::kSigningEnabled | smb2::kSigningRequired;
constexpr std::uint16_t kRequiredOnly = smb2::kSigningRequired; // as Windows sends in SESSION_SETUP

constexpr std::uint16_t kCmdCreate = 0x0005;
constexpr std::uint16_t kCmdRead = 0x0008;
constexpr std::uint32_t kStatusLogonFailure = 0xC000006D;
constexpr std::uint32_t kStatusBadNetworkName = 0xC00000CC;
constexpr std::uint32_t kStatusNotSupported = 0xC00000BB;
constexpr std::uint32_t kFsctlPipeTransceive = 0x0011C017;

const std::array<std::uint8_t, 16> kSmb2Signature = {
    0x81, 0xe1, 0x92, 0x40, 0xc5, 0xfa, 0x06, 0x00, 0xa9, 0x8d, 0x9e, 0x70, 0x27, 0x8e, 0x99, 0x14};

// --- SMB2 builders (MS-SMB2 2.2) -------------------------------------------------------------

using smb2::kNextCommandOffset;
using smb2::kStructureSizeOffset;

struct Smb2Msg {
    std::uint16_t command = 0;
    bool response = false;
    std::uint32_t status = smb2::kStatusSuccess;
    std::uint64_t session = 0;
    std::uint32_t tree = 0;
    bool sign = false;
    bool async = false;
    bool related = false;
    std::uint32_t next_command = 0;
    Buf body{};
};

Buf build(const Smb2Msg &m) {
    Buf b(smb2::kProtocolId.begin(), smb2::kProtocolId.end());
    append_u16le(b, static_cast<std::uint16_t>(smb2::kHeaderSize));
    append_u16le(b, 1); // CreditCharge
    append_u32le(b, m.status);
    append_u16le(b, m.command);
    append_u16le(b, 1); // Credits
    std::uint32_t flags = 0;
    if (m.response)
        flags |= smb2::kFlagServerToRedir;
    if (m.async)
        flags |= smb2::kFlagAsync;
    if (m.related)
        flags |= smb2::kFlagRelated;
    if (m.sign)
        flags |= smb2::kFlagSigned;
    append_u32le(b, flags);
    append_u32le(b, m.next_command);
    append_u64le(b, 7); // MessageId: the tracker does not match SMB2 ids
    if (m.async) {
        append_u64le(b, 0x77); // AsyncId
    } else {
        append_u32le(b, 0); // Reserved
        append_u32le(b, m.tree);
    }
    append_u64le(b, m.session);
    if (m.sign)
        b.insert(b.end(), kSmb2Signature.begin(), kSmb2Signature.end());
    else
        append_zeros(b, smb2::kSignatureSize);
    append(b, m.body);
    return b;
}

Buf negotiate_request_body(std::uint16_t security_mode) {
    Buf b;
    append_u16le(b, smb2::kNegotiateRequestStructureSize);
    append_u16le(b, 1); // DialectCount
    append_u16le(b, security_mode);
    append_u16le(b, 0);      // Reserved
    append_u32le(b, 0);      // Capabilities
    append_zeros(b, 16 + 8); // ClientGuid, ClientStartTime
    append_u16le(b, smb2::kDialect311);
    return b;
}

Buf negotiate_response_body(std::uint16_t security_mode, std::uint16_t dialect) {
    Buf b;
    append_u16le(b, smb2::kNegotiateResponseStructureSize);
    append_u16le(b, security_mode);
    append_u16le(b, dialect);
    append_u16le(b, 0);           // NegotiateContextCount
    append_zeros(b, 16 + 4 + 12); // ServerGuid, Capabilities, MaxTransact/Read/WriteSize
    append_zeros(b, 8 + 8);       // SystemTime, ServerStartTime
    append_u16le(b, 0);           // SecurityBufferOffset
    append_u16le(b, 0);           // SecurityBufferLength
    append_u32le(b, 0);           // NegotiateContextOffset
    return b;
}

Buf session_setup_request_body(std::uint8_t security_mode, const Buf &blob) {
    Buf b;
    append_u16le(b, smb2::kSessionSetupRequestStructureSize);
    append_u8(b, 0); // Flags
    append_u8(b, security_mode);
    append_u32le(b, 0); // Capabilities
    append_u32le(b, 0); // Channel
    append_u16le(b, static_cast<std::uint16_t>(smb2::kHeaderSize + 24));
    append_u16le(b, static_cast<std::uint16_t>(blob.size()));
    append_u64le(b, 0); // PreviousSessionId
    append(b, blob);
    return b;
}

Buf session_setup_response_body(std::uint16_t session_flags) {
    Buf b;
    append_u16le(b, smb2::kSessionSetupResponseStructureSize);
    append_u16le(b, session_flags);
    append_u16le(b, 0); // SecurityBufferOffset
    append_u16le(b, 0); // SecurityBufferLength
    return b;
}

Buf error_body() {
    Buf b;
    append_u16le(b, 9);
    append_zeros(b, 2 + 4 + 1);
    return b;
}

Buf tree_connect_request_body() {
    Buf b;
    append_u16le(b, 9);
    append_u16le(b, 0);  // Flags
    append_u16le(b, 72); // PathOffset
    append_u16le(b, 2);  // PathLength
    append_u16le(b, '\\');
    return b;
}

Buf tree_connect_response_body() {
    Buf b;
    append_u16le(b, 16);
    append_zeros(b, 14);
    return b;
}

Buf ioctl_body(std::uint32_t code, bool response) {
    Buf b;
    append_u16le(b, response ? smb2::kIoctlResponseStructureSize : smb2::kIoctlStructureSize);
    append_u16le(b, 0); // Reserved
    append_u32le(b, code);
    append_zeros(b, response ? 40 : 48);
    return b;
}

Buf read_request_body() {
    Buf b;
    append_u16le(b, 49);
    append_zeros(b, 48);
    return b;
}

Buf read_response_body() {
    Buf b;
    append_u16le(b, 17);
    append_zeros(b, 16);
    return b;
}

// The requests and responses scenarios are made of.
Buf smb2_negotiate_request(std::uint16_t mode) {
    return build({.command = smb2::kCmdNegotiate, .body = negotiate_request_body(mode)});
}
Buf smb2_negotiate_response(std::uint16_t mode, std::uint16_t dialect = smb2::kDialect311) {
    return build({.command = smb2::kCmdNegotiate,
                  .response = true,
                  .body = negotiate_response_body(mode, dialect)});
}
Buf smb2_setup_request(std::uint64_t session, std::uint8_t mode, const Buf &blob = {0x60, 0x00}) {
    return build({.command = smb2::kCmdSessionSetup,
                  .session = session,
                  .body = session_setup_request_body(mode, blob)});
}
Buf smb2_setup_response(std::uint64_t session, std::uint32_t status, std::uint16_t flags = 0,
                        bool sign = false) {
    return build(
        {.command = smb2::kCmdSessionSetup,
         .response = true,
         .status = status,
         .session = session,
         .sign = sign,
         .body = status == smb2::kStatusSuccess || status == smb2::kStatusMoreProcessingRequired
                     ? session_setup_response_body(flags)
                     : error_body()});
}
Buf smb2_tree_connect_request(std::uint64_t session, bool sign) {
    return build({.command = smb2::kCmdTreeConnect,
                  .session = session,
                  .sign = sign,
                  .body = tree_connect_request_body()});
}
Buf smb2_tree_connect_response(std::uint64_t session, std::uint32_t status, bool sign) {
    return build(
        {.command = smb2::kCmdTreeConnect,
         .response = true,
         .status = status,
         .session = session,
         .tree = status == smb2::kStatusSuccess ? kTree : 0,
         .sign = sign,
         .body = status == smb2::kStatusSuccess ? tree_connect_response_body() : error_body()});
}
Buf smb2_read_request(std::uint64_t session, bool sign) {
    return build({.command = kCmdRead,
                  .session = session,
                  .tree = kTree,
                  .sign = sign,
                  .body = read_request_body()});
}
Buf smb2_read_response(std::uint64_t session, bool sign,
                       std::uint32_t status = smb2::kStatusSuccess) {
    return build({.command = kCmdRead,
                  .response = true,
                  .status = status,
                  .session = session,
                  .tree = kTree,
                  .sign = sign,
                  .body = status == smb2::kStatusSuccess ? read_response_body() : error_body()});
}
Buf smb2_ioctl(std::uint64_t session, std::uint32_t code, bool response, bool sign) {
    return build({.command = smb2::kCmdIoctl,
                  .response = response,
                  .session = session,
                  .tree = kTree,
                  .sign = sign,
                  .body = ioctl_body(code, response)});
}

// MS-SMB2 2.2.41: TRANSFORM_HEADER followed by `encrypted` bytes.
Buf smb2_transform(std::uint64_t session, std::size_t encrypted = 80) {
    Buf b(smb2::kTransformProtocolId.begin(), smb2::kTransformProtocolId.end());
    b.insert(b.end(), kSmb2Signature.begin(), kSmb2Signature.end());
    append_zeros(b, 16); // Nonce
    append_u32le(b, static_cast<std::uint32_t>(encrypted));
    append_u16le(b, 0);      // Reserved
    append_u16le(b, 0x0001); // Flags: encrypted
    append_u64le(b, session);
    for (std::size_t i = 0; i < encrypted; ++i)
        b.push_back(static_cast<std::uint8_t>(0x5A ^ i));
    return b;
}

// SMB2 messages chained into one compound PDU: each but the last padded to 8 bytes,
// its NextCommand pointing at the next (MS-SMB2 3.2.4.1.4).
Buf compound(std::vector<Buf> msgs) {
    Buf out;
    for (std::size_t i = 0; i < msgs.size(); ++i) {
        Buf &m = msgs[i];
        if (i + 1 < msgs.size()) {
            m.resize((m.size() + smb2::kChainAlignment - 1) / smb2::kChainAlignment *
                     smb2::kChainAlignment);
            put_u32le(m, kNextCommandOffset, static_cast<std::uint32_t>(m.size()));
        }
        append(out, m);
    }
    return out;
}

// A minimal NTLMSSP AUTHENTICATE (MS-NLMP 2.2.1.3) for `user` (empty: anonymous).
Buf ntlm_authenticate(const std::string &user, std::uint32_t flags = 0) {
    Buf b(ntlm::kSignature.begin(), ntlm::kSignature.end());
    append_u32le(b, ntlm::kMessageAuthenticate);
    append_zeros(b, ntlm::kUserFieldsOffset - b.size());
    append_u16le(b, static_cast<std::uint16_t>(user.size())); // Len
    append_u16le(b, static_cast<std::uint16_t>(user.size())); // MaxLen
    append_u32le(b, 64);                                      // Offset
    append_zeros(b, ntlm::kAuthenticateFlagsOffset - b.size());
    append_u32le(b, flags);
    b.insert(b.end(), user.begin(), user.end());
    return b;
}

// --- SMB1 builders (MS-CIFS 2.2) -------------------------------------------------------------

constexpr std::uint16_t kFlags2Base = smb1::kFlags2NtStatus | smb1::kFlags2ExtendedSecurity;
constexpr std::uint16_t kFlags2Disabled = kFlags2Base;
constexpr std::uint16_t kFlags2Enabled = kFlags2Base | smb1::kFlags2SecuritySignature;
constexpr std::uint16_t kFlags2Required =
    kFlags2Base | smb1::kFlags2SecuritySignature | smb1::kFlags2SecuritySignatureRequired;
// Flags2 of a Windows 7 NEGOTIATE request (smb1-sm03-win7-server-unsigned-treeconnect.pcap
// frame 1): 0x0010 set, 0x0004 not, whatever the client's policy.
constexpr std::uint16_t kFlags2WindowsNegotiate = 0xc053;
static_assert((kFlags2WindowsNegotiate & smb1::kFlags2SecuritySignatureRequired) != 0);
constexpr auto kFlags2Dos = static_cast<std::uint16_t>(kFlags2Base & ~smb1::kFlags2NtStatus);
constexpr std::uint16_t kUid = 2048;
constexpr std::uint16_t kTid = 2049;
constexpr std::uint16_t kPid = 0xFEFF;
constexpr std::uint8_t kSmb1SecModeDisabled = 0x03;
constexpr std::uint8_t kSmb1SecModeEnabled = 0x07;
constexpr std::uint8_t kSmb1SecModeRequired = 0x0f;
constexpr std::uint8_t kCmdClose = 0x04;
constexpr std::uint32_t kSmb1ErrNoAccess = smb1::kErrClassDos | std::uint32_t{smb1::kErrDosNoAccess}
                                                                    << 16;

using Sig8 = std::array<std::uint8_t, 8>;
constexpr Sig8 kNoSig{};
constexpr Sig8 kSmb1Signature = {0x05, 0xd5, 0xf0, 0x38, 0xc0, 0xab, 0x46, 0x0a};
constexpr Sig8 kJunk = {'r', 'v', 'e', 'r', ' ', 'w', 'e', 'a'};

struct Smb1Msg {
    std::uint8_t command = 0;
    bool reply = false;
    std::uint32_t status = smb1::kStatusSuccess; // NT status, or class | code << 16
    std::uint16_t flags2 = kFlags2Base;
    Sig8 signature{};
    std::uint16_t tid = 0;
    std::uint16_t uid = 0;
    std::uint16_t mid = 1;
    Buf words{};
    Buf bytes{};
};

Buf build(const Smb1Msg &m) {
    Buf b(smb1::kProtocolId.begin(), smb1::kProtocolId.end());
    append_u8(b, m.command);
    append_u32le(b, m.status); // ErrorClass, Reserved, ErrorCode share the layout
    append_u8(b, static_cast<std::uint8_t>(0x18 | (m.reply ? smb1::kFlagsReply : 0)));
    append_u16le(b, m.flags2);
    append_u16le(b, 0); // PIDHigh
    b.insert(b.end(), m.signature.begin(), m.signature.end());
    append_u16le(b, 0); // Reserved
    append_u16le(b, m.tid);
    append_u16le(b, kPid);
    append_u16le(b, m.uid);
    append_u16le(b, m.mid);
    append_u8(b, static_cast<std::uint8_t>(m.words.size() / 2));
    append(b, m.words);
    append_u16le(b, static_cast<std::uint16_t>(m.bytes.size()));
    append(b, m.bytes);
    return b;
}

Buf andx_words(std::size_t extra_bytes) {
    Buf w = {smb1::kAndXNone, 0, 0, 0};
    append_zeros(w, extra_bytes);
    return w;
}

Buf smb1_negotiate_request(std::uint16_t flags2) {
    const std::string dialect = "\x02NT LM 0.12";
    Buf bytes(dialect.begin(), dialect.end());
    bytes.push_back(0);
    return build(Smb1Msg{.command = smb1::kCmdNegotiate, .flags2 = flags2, .bytes = bytes});
}

Buf smb1_negotiate_response(std::uint8_t security_mode) {
    Buf words{};
    append_u16le(words, 0); // DialectIndex
    append_u8(words, security_mode);
    append_zeros(words, 2 * smb1::kNegotiateWordCountNtLm - 3);
    return build(Smb1Msg{.command = smb1::kCmdNegotiate,
                         .reply = true,
                         .words = words,
                         .bytes = Buf(16, 0x11)}); // ServerGUID
}

// Extended-security SESSION_SETUP_ANDX request (MS-SMB 2.2.4.6.1).
Buf smb1_setup_request(std::uint16_t flags2, std::uint16_t uid, const Buf &blob,
                       Sig8 sig = kNoSig) {
    Buf words = andx_words(0);
    append_u16le(words, 0x1104); // MaxBufferSize
    append_u16le(words, 50);     // MaxMpxCount
    append_u16le(words, 0);      // VcNumber
    append_u32le(words, 0);      // SessionKey
    append_u16le(words, static_cast<std::uint16_t>(blob.size()));
    append_u32le(words, 0);          // Reserved
    append_u32le(words, 0x80000000); // Capabilities: extended security
    Buf bytes = blob;
    append(bytes, Buf{'U', 'n', 'i', 'x', 0, 'S', 'a', 'm', 'b', 'a', 0});
    return build(Smb1Msg{.command = smb1::kCmdSessionSetupAndX,
                         .flags2 = flags2,
                         .signature = sig,
                         .uid = uid,
                         .words = words,
                         .bytes = bytes});
}

Buf smb1_setup_response(std::uint16_t uid, std::uint32_t status, std::uint16_t action = 0,
                        Sig8 sig = kNoSig) {
    Buf words{};
    if (status == smb1::kStatusSuccess || status == smb1::kStatusMoreProcessingRequired) {
        words = andx_words(0);
        append_u16le(words, action);
        append_u16le(words, 0); // SecurityBlobLength
    }
    return build(Smb1Msg{.command = smb1::kCmdSessionSetupAndX,
                         .reply = true,
                         .status = status,
                         .signature = sig,
                         .uid = uid,
                         .words = words});
}

Buf smb1_tree_connect_request(Sig8 sig, std::uint16_t uid = kUid) {
    Buf words = andx_words(0);
    append_u16le(words, 0); // Flags
    append_u16le(words, 1); // PasswordLength
    const std::string path = std::string("\0\\\\SERVER\\IPC$\0?????\0", 21);
    return build(Smb1Msg{.command = smb1::kCmdTreeConnectAndX,
                         .signature = sig,
                         .uid = uid,
                         .words = words,
                         .bytes = Buf(path.begin(), path.end())});
}

Buf smb1_tree_connect_response(Sig8 sig, std::uint32_t status = smb1::kStatusSuccess,
                               std::uint16_t flags2 = kFlags2Base) {
    Buf words{};
    Buf bytes{};
    if (status == smb1::kStatusSuccess) {
        words = andx_words(2); // OptionalSupport
        bytes = {'I', 'P', 'C', 0};
    }
    return build(Smb1Msg{.command = smb1::kCmdTreeConnectAndX,
                         .reply = true,
                         .status = status,
                         .flags2 = flags2,
                         .signature = sig,
                         .tid = status == smb1::kStatusSuccess ? kTid : std::uint16_t{0},
                         .uid = kUid,
                         .words = words,
                         .bytes = bytes});
}

// TRANS2 request with one setup word, the subcommand (MS-CIFS 2.2.4.46.1).
Buf smb1_trans2_request(std::uint16_t subcommand, std::uint16_t mid, Sig8 sig = kNoSig) {
    Buf words(smb1::kTrans2SetupOffset, 0);
    words[smb1::kTrans2SetupOffset - 2] = 1; // SetupCount
    append_u16le(words, subcommand);
    return build(Smb1Msg{.command = smb1::kCmdTransaction2,
                         .signature = sig,
                         .tid = kTid,
                         .uid = kUid,
                         .mid = mid,
                         .words = words,
                         .bytes = Buf(4, 0)});
}

Buf smb1_trans2_error(std::uint16_t mid, std::uint32_t status, Sig8 sig = kNoSig) {
    return build(Smb1Msg{.command = smb1::kCmdTransaction2,
                         .reply = true,
                         .status = status,
                         .signature = sig,
                         .tid = kTid,
                         .uid = kUid,
                         .mid = mid});
}

Buf smb1_close(bool reply, Sig8 sig, std::uint16_t uid = kUid) {
    return build(Smb1Msg{.command = kCmdClose,
                         .reply = reply,
                         .signature = sig,
                         .tid = kTid,
                         .uid = uid,
                         .words = reply ? Buf{} : Buf(6, 0)});
}

// --- Feeding a capture --------------------------------------------------------------------

class Capture {
public:
    explicit Capture(Limits limits = {}) : tracker(limits) {}

    // One PDU in a new frame; returns the frame number.
    std::uint32_t pdu(std::uint32_t conn, std::uint8_t side, const Buf &msg) {
        return pdu_cut(conn, side, msg, msg.size());
    }
    // One PDU whose wire size is `reported` (larger: the capture cut it short).
    std::uint32_t pdu_cut(std::uint32_t conn, std::uint8_t side, const Buf &msg,
                          std::size_t reported) {
        ++frame;
        return pdu_same_frame(conn, side, msg, reported);
    }
    // Another PDU in the current frame.
    std::uint32_t pdu_same_frame(std::uint32_t conn, std::uint8_t side, const Buf &msg,
                                 std::size_t reported) {
        const std::size_t used = tracker.on_pdu(conn, side, frame, span(msg), reported);
        EXPECT_LE(used, msg.size());
        return frame;
    }
    template <std::size_t N>
    std::uint32_t pdu(std::uint32_t conn, std::uint8_t side, const std::array<std::uint8_t, N> &a) {
        return pdu(conn, side, to_buf(a));
    }
    std::uint32_t close(std::uint32_t conn, std::uint8_t side) {
        ++frame;
        tracker.on_tcp_close(conn, side, frame);
        return frame;
    }

    // The one session the frame's entry names (kNoSession if none).
    std::uint32_t session_at(std::uint32_t f) const {
        const auto entries = tracker.frame_entries(f);
        EXPECT_EQ(entries.size(), 1u) << "frame " << f;
        return entries.empty() ? kNoSession : entries.front().session;
    }
    SessionView view_at(std::uint32_t f) const { return tracker.view(session_at(f)); }
    AnomalySet anomalies_at(std::uint32_t f) const {
        AnomalySet all = 0;
        for (const auto &e : tracker.frame_entries(f))
            all |= e.anomalies;
        return all;
    }

    Tracker tracker;
    std::uint32_t frame = 0;
};

// --- Scenario steps ---------------------------------------------------------------------

struct Smb2Setup {
    std::uint16_t client_mode = kEnabled; // NEGOTIATE request SecurityMode
    std::uint16_t server_mode = kEnabled; // NEGOTIATE response SecurityMode
    std::uint16_t dialect = smb2::kDialect311;
    std::uint64_t session = kSessionA;
    std::uint16_t session_flags = 0;
    bool sign_final = true; // 3.1.1 signs the final SESSION_SETUP response
    bool negotiate = true;
};

// NEGOTIATE and a two-leg SESSION_SETUP; returns the frame of the final response.
std::uint32_t smb2_connect(Capture &cap, std::uint32_t conn, const Smb2Setup &s) {
    if (s.negotiate) {
        cap.pdu(conn, kClient, smb2_negotiate_request(s.client_mode));
        cap.pdu(conn, kServer, smb2_negotiate_response(s.server_mode, s.dialect));
    }
    const auto mode = static_cast<std::uint8_t>(s.client_mode);
    cap.pdu(conn, kClient, smb2_setup_request(0, mode));
    cap.pdu(conn, kServer, smb2_setup_response(s.session, smb2::kStatusMoreProcessingRequired));
    cap.pdu(conn, kClient, smb2_setup_request(s.session, mode, ntlm_authenticate("alice")));
    return cap.pdu(
        conn, kServer,
        smb2_setup_response(s.session, smb2::kStatusSuccess, s.session_flags, s.sign_final));
}

// TREE_CONNECT plus `reads` READ exchanges, all signed or all not.
std::uint32_t smb2_traffic(Capture &cap, std::uint32_t conn, std::uint64_t session, bool sign,
                           int reads = 2) {
    cap.pdu(conn, kClient, smb2_tree_connect_request(session, sign));
    std::uint32_t last =
        cap.pdu(conn, kServer, smb2_tree_connect_response(session, smb2::kStatusSuccess, sign));
    for (int i = 0; i < reads; ++i) {
        cap.pdu(conn, kClient, smb2_read_request(session, sign));
        last = cap.pdu(conn, kServer, smb2_read_response(session, sign));
    }
    return last;
}

struct Smb1Setup {
    std::uint16_t negotiate_flags2 = kFlags2Base;
    std::uint8_t server_mode = kSmb1SecModeEnabled;
    std::uint16_t setup_flags2 = kFlags2Enabled;
    Buf blob = ntlm_authenticate("alice");
    std::uint16_t action = 0;
    Sig8 setup_request_sig = kNoSig;
    Sig8 setup_response_sig = kSmb1Signature;
};

std::uint32_t smb1_connect(Capture &cap, std::uint32_t conn, const Smb1Setup &s) {
    cap.pdu(conn, kClient, smb1_negotiate_request(s.negotiate_flags2));
    cap.pdu(conn, kServer, smb1_negotiate_response(s.server_mode));
    cap.pdu(conn, kClient, smb1_setup_request(s.setup_flags2, 0, s.blob, s.setup_request_sig));
    return cap.pdu(conn, kServer,
                   smb1_setup_response(kUid, smb1::kStatusSuccess, s.action, s.setup_response_sig));
}

// TREE_CONNECT and `closes` CLOSE exchanges with the given signatures per direction.
std::uint32_t smb1_traffic(Capture &cap, std::uint32_t conn, Sig8 request_sig, Sig8 response_sig,
                           int closes = 2) {
    cap.pdu(conn, kClient, smb1_tree_connect_request(request_sig));
    std::uint32_t last = cap.pdu(conn, kServer, smb1_tree_connect_response(response_sig));
    for (int i = 0; i < closes; ++i) {
        cap.pdu(conn, kClient, smb1_close(false, request_sig));
        last = cap.pdu(conn, kServer, smb1_close(true, response_sig));
    }
    return last;
}

// ===========================================================================================
// SMB2/3 verdicts
// ===========================================================================================

TEST(TrackerSmb2, SignedSessionServerRequires) {
    Capture cap;
    const auto setup =
        smb2_connect(cap, kConn, {.client_mode = kEnabled, .server_mode = kRequired});
    smb2_traffic(cap, kConn, kSessionA, /*sign=*/true);
    const SessionView v = cap.view_at(setup);
    EXPECT_EQ(v.family, Family::Smb2);
    EXPECT_EQ(v.dialect, Dialect::Smb311);
    EXPECT_EQ(v.id, kSessionA);
    EXPECT_TRUE(v.id_known);
    EXPECT_EQ(v.client, Policy::Enabled);
    EXPECT_EQ(v.server, Policy::Required);
    EXPECT_EQ(v.verdict, Verdict::Signed);
    EXPECT_EQ(v.predicted, Predicted::Signed);
    EXPECT_EQ(v.observed, Observed::Established);
    EXPECT_EQ(v.consistent, std::optional<bool>(true));
    EXPECT_EQ(v.counted, 4u); // two READ exchanges; SESSION_SETUP and TREE_CONNECT excluded
    EXPECT_EQ(v.counted_signed, 4u);
    EXPECT_EQ(v.setup_frame, setup);
    EXPECT_EQ(v.outcome_frame, setup + 2); // the TREE_CONNECT response
    EXPECT_FALSE(v.mid_capture);
    EXPECT_FALSE(v.guest);
    EXPECT_FALSE(v.anonymous);
    EXPECT_EQ(v.signing_algorithm, smb2::SigningAlgorithm::AesCmac); // 3.x, no context
    EXPECT_EQ(cap.tracker.session_count(), 1u);
    EXPECT_EQ(cap.tracker.server_side(0), std::optional<std::uint8_t>(kServer));
}

TEST(TrackerSmb2, EnabledEnabledOnlyExcludedMessagesSignedIsUnsigned) {
    // As Windows 10 against a workstation (sec 0x01): the final SESSION_SETUP response,
    // TREE_CONNECT and VALIDATE_NEGOTIATE_INFO are signed, everything else is not.
    Capture cap;
    const auto setup = smb2_connect(cap, kConn, {});
    cap.pdu(kConn, kClient, smb2_tree_connect_request(kSessionA, true));
    cap.pdu(kConn, kServer, smb2_tree_connect_response(kSessionA, smb2::kStatusSuccess, true));
    cap.pdu(kConn, kClient, smb2_ioctl(kSessionA, smb2::kFsctlValidateNegotiateInfo, false, true));
    cap.pdu(kConn, kServer, smb2_ioctl(kSessionA, smb2::kFsctlValidateNegotiateInfo, true, true));
    const auto first_read = cap.pdu(kConn, kClient, smb2_read_request(kSessionA, false));
    cap.pdu(kConn, kServer, smb2_read_response(kSessionA, false));
    const SessionView v = cap.view_at(setup);
    EXPECT_EQ(v.verdict, Verdict::Unsigned);
    EXPECT_EQ(v.counted, 2u);
    EXPECT_EQ(v.counted_signed, 0u);
    EXPECT_EQ(v.first_signed_frame, kNoFrame);
    EXPECT_EQ(v.first_unsigned_frame, first_read);
    EXPECT_EQ(v.predicted, Predicted::Unsigned);
    EXPECT_EQ(v.observed, Observed::Established);
    EXPECT_EQ(v.consistent, std::optional<bool>(true));
}

TEST(TrackerSmb2, SignedFinalSessionSetupResponseAloneIsNotSigned) {
    Capture cap;
    const auto setup = smb2_connect(cap, kConn, {.sign_final = true});
    SessionView v = cap.view_at(setup);
    EXPECT_NE(v.verdict, Verdict::Signed);
    EXPECT_EQ(v.verdict, Verdict::Unknown); // nothing counted yet
    EXPECT_EQ(v.counted, 0u);
    EXPECT_EQ(v.first_signed_frame, kNoFrame);
    // A signed TREE_CONNECT establishes the session but does not sign it either.
    cap.pdu(kConn, kClient, smb2_tree_connect_request(kSessionA, true));
    cap.pdu(kConn, kServer, smb2_tree_connect_response(kSessionA, smb2::kStatusSuccess, true));
    v = cap.view_at(setup);
    EXPECT_EQ(v.verdict, Verdict::Unknown);
    EXPECT_EQ(v.observed, Observed::Established);
}

TEST(TrackerSmb2, VoluntarySigningIsConsistent) {
    // Nobody requires; the client signs anyway (smbclient "desired").
    Capture cap;
    const auto setup = smb2_connect(cap, kConn, {});
    smb2_traffic(cap, kConn, kSessionA, true);
    const SessionView v = cap.view_at(setup);
    EXPECT_EQ(v.verdict, Verdict::Signed);
    EXPECT_EQ(v.predicted, Predicted::Unsigned);
    EXPECT_EQ(v.consistent, std::optional<bool>(true));
}

TEST(TrackerSmb2, UnsignedWhereSignedPredictedIsInconsistent) {
    Capture cap;
    const auto setup = smb2_connect(cap, kConn, {.client_mode = kRequired});
    smb2_traffic(cap, kConn, kSessionA, false);
    const SessionView v = cap.view_at(setup);
    EXPECT_EQ(v.client, Policy::Required);
    EXPECT_EQ(v.server, Policy::Enabled);
    EXPECT_EQ(v.verdict, Verdict::Unsigned);
    EXPECT_EQ(v.predicted, Predicted::Signed);
    EXPECT_EQ(v.observed, Observed::Established);
    EXPECT_EQ(v.consistent, std::optional<bool>(false));
}

TEST(TrackerSmb2, MixedSigningIsUnsigned) {
    Capture cap;
    const auto setup = smb2_connect(cap, kConn, {.server_mode = kRequired});
    smb2_traffic(cap, kConn, kSessionA, true);
    const auto unsigned_frame = cap.pdu(kConn, kClient, smb2_read_request(kSessionA, false));
    const SessionView v = cap.view_at(setup);
    EXPECT_EQ(v.verdict, Verdict::Unsigned);
    EXPECT_EQ(v.counted, 5u);
    EXPECT_EQ(v.counted_signed, 4u);
    EXPECT_EQ(v.first_unsigned_frame, unsigned_frame);
    EXPECT_EQ(v.consistent, std::optional<bool>(false));
}

TEST(TrackerSmb2, ExcludedMessagesDoNotBreakASignedSession) {
    // Interim STATUS_PENDING responses, CANCEL, oplock breaks and the two excluded
    // IOCTLs travel unsigned in a signed session.
    Capture cap;
    const auto setup = smb2_connect(cap, kConn, {.server_mode = kRequired});
    smb2_traffic(cap, kConn, kSessionA, true);
    cap.pdu(kConn, kServer,
            build({.command = kCmdRead,
                   .response = true,
                   .status = smb2::kStatusPending,
                   .session = kSessionA,
                   .async = true,
                   .body = error_body()}));
    cap.pdu(kConn, kClient,
            build({.command = smb2::kCmdCancel,
                   .session = kSessionA,
                   .tree = kTree,
                   .body = Buf{4, 0, 0, 0}}));
    cap.pdu(kConn, kServer,
            build({.command = smb2::kCmdOplockBreak, .response = true, .body = Buf(24, 0)}));
    cap.pdu(kConn, kClient,
            smb2_ioctl(kSessionA, smb2::kFsctlQueryNetworkInterfaceInfo, false, false));
    cap.pdu(kConn, kServer,
            smb2_ioctl(kSessionA, smb2::kFsctlQueryNetworkInterfaceInfo, true, false));
    // Any other IOCTL counts.
    cap.pdu(kConn, kClient, smb2_ioctl(kSessionA, kFsctlPipeTransceive, false, true));
    const SessionView v = cap.view_at(setup);
    EXPECT_EQ(v.verdict, Verdict::Signed);
    EXPECT_EQ(v.counted, 5u);
}

TEST(TrackerSmb2, ExcludedIoctlAnsweredWithAnErrorIsStillExcluded) {
    // Windows signs QUERY_NETWORK_INTERFACE_INFO even in sessions that are not signed,
    // and a server answers a signed request with a signed response, an error included
    // (a server without multichannel fails it). The definition excludes these ioctls,
    // their responses included.
    Capture cap;
    const auto setup = smb2_connect(cap, kConn, {});
    cap.pdu(kConn, kClient, smb2_tree_connect_request(kSessionA, true));
    cap.pdu(kConn, kServer, smb2_tree_connect_response(kSessionA, smb2::kStatusSuccess, true));
    cap.pdu(kConn, kClient,
            smb2_ioctl(kSessionA, smb2::kFsctlQueryNetworkInterfaceInfo, false, true));
    cap.pdu(kConn, kServer,
            build({.command = smb2::kCmdIoctl,
                   .response = true,
                   .status = kStatusNotSupported,
                   .session = kSessionA,
                   .tree = kTree,
                   .sign = true,
                   .body = error_body()}));
    cap.pdu(kConn, kClient, smb2_read_request(kSessionA, false));
    cap.pdu(kConn, kServer, smb2_read_response(kSessionA, false));
    const SessionView v = cap.view_at(setup);
    EXPECT_EQ(v.verdict, Verdict::Unsigned);
    EXPECT_EQ(v.counted, 2u);
    EXPECT_EQ(v.counted_signed, 0u);
    EXPECT_EQ(v.first_signed_frame, kNoFrame);
}

TEST(TrackerSmb2, CompoundWithInheritedSessionIdCounts) {
    Capture cap;
    const auto setup = smb2_connect(cap, kConn, {.server_mode = kRequired});
    smb2_traffic(cap, kConn, kSessionA, true, 0);
    // CREATE + related READ with SessionId 0xFFFFFFFFFFFFFFFF (MS-SMB2 3.2.4.1.4).
    const Buf chain = compound({build({.command = kCmdCreate,
                                       .session = kSessionA,
                                       .tree = kTree,
                                       .body = Buf{57, 0, 0, 0, 0, 0, 0, 0}}),
                                build({.command = kCmdRead,
                                       .session = smb2::kRelatedSessionInherit,
                                       .tree = kTree,
                                       .related = true,
                                       .body = read_request_body()})});
    const auto f = cap.pdu(kConn, kClient, chain);
    const SessionView v = cap.view_at(setup);
    EXPECT_EQ(v.counted, 2u);
    EXPECT_EQ(v.verdict, Verdict::Unsigned);
    EXPECT_EQ(cap.tracker.frame_entries(f).size(), 1u); // both messages: one session
}

TEST(TrackerSmb2, EncryptedSession) {
    Capture cap;
    const auto setup = smb2_connect(
        cap, kConn, {.server_mode = kRequired, .session_flags = smb2::kSessionEncryptData});
    const auto first = cap.pdu(kConn, kClient, smb2_transform(kSessionA));
    cap.pdu(kConn, kServer, smb2_transform(kSessionA));
    cap.pdu(kConn, kClient, smb2_transform(kSessionA));
    const SessionView v = cap.view_at(setup);
    EXPECT_EQ(v.verdict, Verdict::Encrypted);
    EXPECT_EQ(v.observed, Observed::Established);
    EXPECT_EQ(v.outcome_frame, first);
    EXPECT_EQ(v.counted_encrypted, 3u);
    EXPECT_EQ(v.predicted, Predicted::Signed);
    EXPECT_EQ(v.consistent, std::optional<bool>(true));
    EXPECT_EQ(cap.session_at(first), cap.session_at(setup));
}

TEST(TrackerSmb2, SessionSetupFailureIsAuthFailed) {
    Capture cap;
    cap.pdu(kConn, kClient, smb2_negotiate_request(kEnabled));
    cap.pdu(kConn, kServer, smb2_negotiate_response(kRequired));
    cap.pdu(kConn, kClient, smb2_setup_request(0, kEnabled));
    cap.pdu(kConn, kServer, smb2_setup_response(kSessionA, smb2::kStatusMoreProcessingRequired));
    cap.pdu(kConn, kClient, smb2_setup_request(kSessionA, kEnabled, ntlm_authenticate("alice")));
    const auto fail = cap.pdu(kConn, kServer, smb2_setup_response(kSessionA, kStatusLogonFailure));
    cap.close(kConn, kClient);
    const SessionView v = cap.view_at(fail);
    EXPECT_EQ(v.observed, Observed::AuthFailed);
    EXPECT_EQ(v.outcome_frame, fail);
    EXPECT_EQ(v.verdict, Verdict::NotEstablished);
    EXPECT_EQ(v.predicted, Predicted::Signed);
    EXPECT_EQ(v.consistent, std::nullopt);
}

TEST(TrackerSmb2, InvalidSignatureIsSigningFailure) {
    Capture cap;
    const auto setup = smb2_connect(cap, kConn, {.client_mode = kRequired});
    cap.pdu(kConn, kClient, smb2_tree_connect_request(kSessionA, true));
    const auto bad =
        cap.pdu(kConn, kServer,
                smb2_tree_connect_response(kSessionA, smb2::kStatusInvalidSignature, false));
    const SessionView v = cap.view_at(setup);
    EXPECT_EQ(v.observed, Observed::SigningFailure);
    EXPECT_EQ(v.outcome_frame, bad);
}

TEST(TrackerSmb2, InvalidSignatureOnSessionSetupIsSigningFailureNotAuthFailed) {
    Capture cap;
    cap.pdu(kConn, kClient, smb2_negotiate_request(kRequired));
    cap.pdu(kConn, kServer, smb2_negotiate_response(kEnabled));
    cap.pdu(kConn, kClient, smb2_setup_request(0, kRequired));
    const auto bad =
        cap.pdu(kConn, kServer, smb2_setup_response(kSessionA, smb2::kStatusInvalidSignature));
    const SessionView v = cap.view_at(bad);
    EXPECT_EQ(v.observed, Observed::SigningFailure); // first match wins
}

TEST(TrackerSmb2, TreeConnectAccessDeniedIsDenied) {
    Capture cap;
    const auto setup = smb2_connect(cap, kConn, {});
    cap.pdu(kConn, kClient, smb2_tree_connect_request(kSessionA, true));
    const auto denied = cap.pdu(
        kConn, kServer, smb2_tree_connect_response(kSessionA, smb2::kStatusAccessDenied, true));
    const SessionView v = cap.view_at(setup);
    EXPECT_EQ(v.observed, Observed::DeniedAtTreeConnect);
    EXPECT_EQ(v.outcome_frame, denied);
}

TEST(TrackerSmb2, TreeConnectOtherErrorIsEstablished) {
    Capture cap;
    const auto setup = smb2_connect(cap, kConn, {});
    cap.pdu(kConn, kClient, smb2_tree_connect_request(kSessionA, true));
    cap.pdu(kConn, kServer, smb2_tree_connect_response(kSessionA, kStatusBadNetworkName, true));
    EXPECT_EQ(cap.view_at(setup).observed, Observed::Established);
}

TEST(TrackerSmb2, GuestGrantToRequiringClientThenCloseIsSigningFailure) {
    Capture cap;
    const auto setup = smb2_connect(cap, kConn,
                                    {.client_mode = kRequiredOnly,
                                     .server_mode = kEnabled,
                                     .session_flags = smb2::kSessionIsGuest,
                                     .sign_final = false});
    const auto fin = cap.close(kConn, kClient);
    const SessionView v = cap.view_at(setup);
    EXPECT_TRUE(v.guest);
    EXPECT_EQ(v.client, Policy::Required);
    EXPECT_EQ(v.predicted, Predicted::SigningFailure);
    EXPECT_EQ(v.observed, Observed::SigningFailure);
    EXPECT_EQ(v.outcome_frame, fin);
    EXPECT_EQ(v.consistent, std::optional<bool>(true));
    // The close frame shows the session whose outcome it decided.
    ASSERT_EQ(cap.tracker.frame_entries(fin).size(), 1u);
    EXPECT_EQ(cap.tracker.frame_entries(fin)[0].session, cap.session_at(setup));
}

TEST(TrackerSmb2, GuestGrantToEnabledClientThenCloseIsNotAFailure) {
    Capture cap;
    const auto setup =
        smb2_connect(cap, kConn, {.session_flags = smb2::kSessionIsGuest, .sign_final = false});
    cap.close(kConn, kClient);
    const SessionView v = cap.view_at(setup);
    EXPECT_EQ(v.predicted, Predicted::Unsigned);
    EXPECT_EQ(v.observed, Observed::Incomplete);
}

TEST(TrackerSmb2, GuestGrantAfterAnsweredTreeConnectIsNotASigningFailure) {
    Capture cap;
    const auto setup = smb2_connect(
        cap, kConn,
        {.client_mode = kRequired, .session_flags = smb2::kSessionIsGuest, .sign_final = false});
    smb2_traffic(cap, kConn, kSessionA, false);
    cap.close(kConn, kClient);
    const SessionView v = cap.view_at(setup);
    EXPECT_EQ(v.observed, Observed::Established);
    EXPECT_EQ(v.verdict, Verdict::Unsigned);
    EXPECT_EQ(v.consistent, std::optional<bool>(false));
}

TEST(TrackerSmb2, NullSessionIsAnonymous) {
    Capture cap;
    const auto setup =
        smb2_connect(cap, kConn, {.session_flags = smb2::kSessionIsNull, .sign_final = false});
    EXPECT_TRUE(cap.view_at(setup).anonymous);
}

TEST(TrackerSmb2, AnonymousAuthenticateIsAnonymous) {
    // Samba does not set IS_NULL: the empty NTLMSSP user name tells.
    Capture cap;
    cap.pdu(kConn, kClient, smb2_negotiate_request(kEnabled));
    cap.pdu(kConn, kServer, smb2_negotiate_response(kEnabled));
    cap.pdu(kConn, kClient, smb2_setup_request(0, kEnabled));
    cap.pdu(kConn, kServer, smb2_setup_response(kSessionA, smb2::kStatusMoreProcessingRequired));
    cap.pdu(kConn, kClient, smb2_setup_request(kSessionA, kEnabled, ntlm_authenticate("")));
    const auto ok = cap.pdu(kConn, kServer, smb2_setup_response(kSessionA, smb2::kStatusSuccess));
    const SessionView v = cap.view_at(ok);
    EXPECT_TRUE(v.anonymous);
    EXPECT_FALSE(v.guest);
}

// IS_NULL and IS_GUEST sessions have no session key (MS-SMB2 3.2.5.3): unsigned even with
// nothing counted. An anonymous NTLM grant without IS_NULL may sign (Windows Server 2019
// signs such SMB 3.0 sessions), so with nothing counted its verdict stays unknown.
TEST(TrackerSmb2, NullOrGuestGrantWithNothingCountedIsUnsigned) {
    for (const std::uint16_t flags : {smb2::kSessionIsNull, smb2::kSessionIsGuest}) {
        Capture cap;
        const auto setup = smb2_connect(cap, kConn, {.session_flags = flags, .sign_final = false});
        const SessionView v = cap.view_at(setup);
        EXPECT_EQ(v.counted, 0u);
        EXPECT_EQ(v.verdict, Verdict::Unsigned) << "SessionFlags " << flags;
    }
}

TEST(TrackerSmb2, AnonymousNtlmGrantWithoutIsNullAndNothingCountedIsUnknown) {
    Capture cap;
    cap.pdu(kConn, kClient, smb2_negotiate_request(kEnabled));
    cap.pdu(kConn, kServer, smb2_negotiate_response(kRequired));
    cap.pdu(kConn, kClient, smb2_setup_request(0, kEnabled));
    cap.pdu(kConn, kServer, smb2_setup_response(kSessionA, smb2::kStatusMoreProcessingRequired));
    cap.pdu(kConn, kClient, smb2_setup_request(kSessionA, kEnabled, ntlm_authenticate("")));
    const auto ok = cap.pdu(kConn, kServer, smb2_setup_response(kSessionA, smb2::kStatusSuccess));
    const SessionView v = cap.view_at(ok);
    EXPECT_TRUE(v.anonymous);
    EXPECT_EQ(v.verdict, Verdict::Unknown);
}

TEST(TrackerSmb2, ServerClosesAfterUnansweredUnsignedRequestWhileServerRequires) {
    Capture cap;
    const auto setup = smb2_connect(cap, kConn, {.server_mode = kRequired});
    cap.pdu(kConn, kClient, smb2_tree_connect_request(kSessionA, false));
    const auto fin = cap.close(kConn, kServer);
    const SessionView v = cap.view_at(setup);
    EXPECT_EQ(v.observed, Observed::SigningFailure);
    EXPECT_EQ(v.outcome_frame, fin);
    EXPECT_EQ(v.predicted, Predicted::Signed);
    EXPECT_EQ(v.consistent, std::optional<bool>(false));
}

TEST(TrackerSmb2, ServerCloseIsNoSigningFailureWhenTheRequestWasSigned) {
    Capture cap;
    const auto setup = smb2_connect(cap, kConn, {.server_mode = kRequired});
    cap.pdu(kConn, kClient, smb2_tree_connect_request(kSessionA, true));
    cap.close(kConn, kServer);
    EXPECT_EQ(cap.view_at(setup).observed, Observed::Incomplete);
}

TEST(TrackerSmb2, ServerCloseIsNoSigningFailureWhenNobodyRequires) {
    Capture cap;
    const auto setup = smb2_connect(cap, kConn, {});
    cap.pdu(kConn, kClient, smb2_tree_connect_request(kSessionA, false));
    cap.close(kConn, kServer);
    EXPECT_EQ(cap.view_at(setup).observed, Observed::Incomplete);
}

TEST(TrackerSmb2, ClientCloseAfterUnsignedRequestIsNoSigningFailure) {
    Capture cap;
    const auto setup = smb2_connect(cap, kConn, {.server_mode = kRequired});
    cap.pdu(kConn, kClient, smb2_tree_connect_request(kSessionA, false));
    cap.close(kConn, kClient);
    EXPECT_EQ(cap.view_at(setup).observed, Observed::Incomplete);
}

TEST(TrackerSmb2, ClientResetDuringSessionSetupIsIncomplete) {
    Capture cap;
    cap.pdu(kConn, kClient, smb2_negotiate_request(kEnabled));
    cap.pdu(kConn, kServer, smb2_negotiate_response(kRequired));
    const auto req = cap.pdu(kConn, kClient, smb2_setup_request(0, kEnabled));
    cap.close(kConn, kClient);
    const SessionView v = cap.view_at(req);
    EXPECT_EQ(v.observed, Observed::Incomplete);
    EXPECT_EQ(v.verdict, Verdict::NotEstablished);
    EXPECT_EQ(v.consistent, std::nullopt);
}

TEST(TrackerSmb2, ClosedAfterNegotiate) {
    // smb311-negotiate-only-then-fin.pcap in miniature.
    Capture cap;
    const auto neg = cap.pdu(kConn, kClient, smb2_negotiate_request(kEnabled));
    cap.pdu(kConn, kServer, smb2_negotiate_response(kEnabled));
    const auto fin = cap.close(kConn, kClient);
    const SessionView v = cap.view_at(neg);
    EXPECT_FALSE(v.id_known);
    EXPECT_EQ(v.observed, Observed::ClosedAfterNegotiate);
    EXPECT_EQ(v.outcome_frame, fin);
    EXPECT_EQ(v.verdict, Verdict::NotEstablished);
    EXPECT_FALSE(v.client_inferred); // the KB887429 inference is SMB1 only
    EXPECT_EQ(v.predicted, Predicted::Unsigned);
    EXPECT_EQ(v.consistent, std::nullopt); // a probe: nothing to judge
}

TEST(TrackerSmb2, MultiProtocolNegotiateDoesNotInferClientPolicy) {
    // An SMB1 NEGOTIATE with Flags2 0x0010 answered in SMB2 (Windows 10 style), then the
    // client leaves: not the SMB1 KB887429 pattern.
    Capture cap;
    const auto neg = cap.pdu(kConn, kClient, smb1_negotiate_request(kFlags2Required));
    cap.pdu(kConn, kServer, smb2_negotiate_response(kEnabled, smb2::kDialectWildcard));
    cap.pdu(kConn, kClient, smb2_negotiate_request(kEnabled));
    cap.pdu(kConn, kServer, smb2_negotiate_response(kEnabled, smb2::kDialect302));
    cap.close(kConn, kClient);
    const SessionView v = cap.view_at(neg);
    EXPECT_EQ(v.family, Family::Smb2);
    EXPECT_EQ(v.dialect, Dialect::Smb302);
    EXPECT_EQ(v.client, Policy::Enabled);
    EXPECT_FALSE(v.client_inferred);
    EXPECT_EQ(v.observed, Observed::ClosedAfterNegotiate);
}

TEST(TrackerSmb2, ClientPolicyFromNegotiateRequestNotSessionSetup) {
    // Windows raises SESSION_SETUP SecurityMode to REQUIRED when the server requires:
    // the NEGOTIATE request is the client's own policy.
    Capture cap;
    cap.pdu(kConn, kClient, smb2_negotiate_request(kEnabled));
    cap.pdu(kConn, kServer, smb2_negotiate_response(kRequired));
    cap.pdu(kConn, kClient, smb2_setup_request(0, kRequiredOnly));
    const auto ok = cap.pdu(kConn, kServer, smb2_setup_response(kSessionA, smb2::kStatusSuccess));
    EXPECT_EQ(cap.view_at(ok).client, Policy::Enabled);
}

TEST(TrackerSmb2, ClientPolicyFromSessionSetupWithoutNegotiateRequest) {
    Capture cap;
    cap.pdu(kConn, kServer, smb2_negotiate_response(kEnabled)); // request not captured
    cap.pdu(kConn, kClient, smb2_setup_request(0, kRequiredOnly));
    const auto ok = cap.pdu(kConn, kServer, smb2_setup_response(kSessionA, smb2::kStatusSuccess));
    const SessionView v = cap.view_at(ok);
    EXPECT_EQ(v.client, Policy::Required);
    EXPECT_EQ(v.predicted, Predicted::Signed);
}

TEST(TrackerSmb2, ServerPolicyFromNegotiateResponse) {
    struct Case {
        std::uint16_t mode;
        Policy policy;
    };
    for (const Case c : {Case{kEnabled, Policy::Enabled}, Case{kRequired, Policy::Required},
                         Case{kNone, Policy::Disabled}}) {
        Capture cap;
        const auto f = cap.pdu(kConn, kServer, smb2_negotiate_response(c.mode));
        EXPECT_EQ(cap.view_at(f).server, c.policy) << "SecurityMode " << c.mode;
    }
}

TEST(TrackerSmb2, ServerWithoutSigningEnabledIsAnAnomaly) {
    Capture cap;
    const auto f = cap.pdu(kConn, kServer, smb2_negotiate_response(kNone));
    EXPECT_TRUE(has(cap.anomalies_at(f), Anomaly::InvalidSecurityMode));
    const auto g = cap.pdu(kOtherConn, kServer, smb2_negotiate_response(kEnabled));
    EXPECT_FALSE(has(cap.anomalies_at(g), Anomaly::InvalidSecurityMode));
}

TEST(TrackerSmb2, RequiringClientAgainstServerWithoutSigning) {
    Capture cap;
    const auto setup = smb2_connect(cap, kConn, {.client_mode = kRequired, .server_mode = kNone});
    EXPECT_EQ(cap.view_at(setup).predicted, Predicted::SigningFailure);
}

struct DialectCase {
    std::uint16_t wire;
    Dialect dialect;
    smb2::SigningAlgorithm algorithm;
};

class TrackerSmb2Dialect : public ::testing::TestWithParam<DialectCase> {};

// Without a SIGNING_CAPABILITIES context: HMAC-SHA256 for 2.x, AES-CMAC for 3.x.
TEST_P(TrackerSmb2Dialect, DialectAndDefaultSigningAlgorithm) {
    Capture cap;
    const auto f = cap.pdu(kConn, kServer, smb2_negotiate_response(kEnabled, GetParam().wire));
    const SessionView v = cap.view_at(f);
    EXPECT_EQ(v.dialect, GetParam().dialect);
    EXPECT_EQ(v.signing_algorithm, GetParam().algorithm);
}

INSTANTIATE_TEST_SUITE_P(
    AllDialects, TrackerSmb2Dialect,
    ::testing::Values(
        DialectCase{smb2::kDialect202, Dialect::Smb202, smb2::SigningAlgorithm::HmacSha256},
        DialectCase{smb2::kDialect210, Dialect::Smb210, smb2::SigningAlgorithm::HmacSha256},
        DialectCase{smb2::kDialect300, Dialect::Smb300, smb2::SigningAlgorithm::AesCmac},
        DialectCase{smb2::kDialect302, Dialect::Smb302, smb2::SigningAlgorithm::AesCmac},
        DialectCase{smb2::kDialect311, Dialect::Smb311, smb2::SigningAlgorithm::AesCmac},
        DialectCase{smb2::kDialectWildcard, Dialect::Smb2Wild, smb2::SigningAlgorithm::HmacSha256}),
    [](const auto &info) {
        return std::string(to_string(info.param.dialect)) == "2.???"
                   ? std::string("wildcard")
                   : "d" + std::to_string(info.param.wire);
    });

TEST(TrackerSmb2, SigningCapabilitiesContextSelectsAesGmac) {
    // A 3.1.1 NEGOTIATE response with one SIGNING_CAPABILITIES context (AES-GMAC) and one
    // ENCRYPTION_CAPABILITIES context (AES-256-GCM), as Samba peers negotiate.
    Buf msg = smb2_negotiate_response(kRequired);
    constexpr std::size_t kContextCount = smb2::kHeaderSize + 6;
    constexpr std::size_t kContextOffset = smb2::kHeaderSize + 60;
    put_u16le(msg, kContextCount, 2);
    put_u32le(msg, kContextOffset, static_cast<std::uint32_t>(msg.size()));
    for (const auto &[type, id] :
         {std::pair<std::uint16_t, std::uint16_t>{smb2::kCtxSigningCapabilities, 2},
          {smb2::kCtxEncryptionCapabilities, 4}}) {
        while (msg.size() % 8 != 0)
            msg.push_back(0);
        append_u16le(msg, type);
        append_u16le(msg, 4); // DataLength
        append_u32le(msg, 0); // Reserved
        append_u16le(msg, 1); // one algorithm selected
        append_u16le(msg, id);
    }
    Capture cap;
    const auto f = cap.pdu(kConn, kServer, msg);
    const SessionView v = cap.view_at(f);
    EXPECT_EQ(v.signing_algorithm, smb2::SigningAlgorithm::AesGmac);
    EXPECT_EQ(v.cipher, smb2::Cipher::Aes256Gcm);
    EXPECT_EQ(cap.anomalies_at(f), 0);
}

TEST(TrackerSmb2, ConnectionAndServerSideOfASession) {
    Capture cap;
    // The capture starts with a server response on side 0: the server is side 0.
    const auto f = cap.pdu(kOtherConn, kClient /* side 0 */, smb2_read_response(kSessionA, true));
    const std::uint32_t s = cap.session_at(f);
    EXPECT_EQ(cap.tracker.session_connection(s), kOtherConn);
    EXPECT_EQ(cap.tracker.server_side(s), std::optional<std::uint8_t>(0));
    EXPECT_EQ(cap.tracker.server_side(s + 1), std::nullopt);
    EXPECT_EQ(cap.tracker.session_connection(s + 1), 0u);
}

TEST(TrackerSmb2, ContradictoryServerPolicyIsAnAnomaly) {
    Capture cap;
    cap.pdu(kConn, kClient, smb2_negotiate_request(kEnabled));
    const auto first = cap.pdu(kConn, kServer, smb2_negotiate_response(kEnabled));
    EXPECT_FALSE(has(cap.anomalies_at(first), Anomaly::ContradictoryServerPolicy));
    const auto second = cap.pdu(kConn, kServer, smb2_negotiate_response(kRequired));
    EXPECT_TRUE(has(cap.anomalies_at(second), Anomaly::ContradictoryServerPolicy));
}

TEST(TrackerSmb2, MidCaptureSession) {
    Capture cap;
    const auto req = cap.pdu(kConn, kClient, smb2_read_request(kSessionA, true));
    const auto resp = cap.pdu(kConn, kServer, smb2_read_response(kSessionA, true));
    cap.pdu(kConn, kClient, smb2_ioctl(kSessionA, kFsctlPipeTransceive, false, true));
    cap.pdu(kConn, kServer, smb2_ioctl(kSessionA, kFsctlPipeTransceive, true, true));
    const SessionView v = cap.view_at(req);
    EXPECT_TRUE(v.mid_capture);
    EXPECT_TRUE(v.id_known);
    EXPECT_EQ(v.id, kSessionA);
    EXPECT_EQ(v.counted, 4u); // every message counts
    EXPECT_EQ(v.counted_signed, 4u);
    EXPECT_EQ(v.client, Policy::Unknown);
    EXPECT_EQ(v.server, Policy::Unknown);
    EXPECT_EQ(v.verdict, Verdict::Signed);
    EXPECT_EQ(v.predicted, Predicted::Unknown);
    EXPECT_EQ(v.observed, Observed::Established); // a success on a non-zero tree id
    EXPECT_EQ(v.outcome_frame, resp);
    EXPECT_EQ(v.consistent, std::nullopt);
}

TEST(TrackerSmb2, MidCaptureEncrypted) {
    Capture cap;
    const auto f = cap.pdu(kConn, kClient, smb2_transform(kSessionA));
    cap.pdu(kConn, kServer, smb2_transform(kSessionA));
    const SessionView v = cap.view_at(f);
    EXPECT_TRUE(v.mid_capture);
    EXPECT_EQ(v.verdict, Verdict::Encrypted);
    EXPECT_EQ(v.observed, Observed::Established);
}

TEST(TrackerSmb2, UnassignedIdAfterNegotiateBelongsToNoSession) {
    Capture cap;
    const auto setup = smb2_connect(cap, kConn, {});
    const auto stray = cap.pdu(kConn, kClient, smb2_read_request(kUnassignedSession, false));
    cap.pdu(kConn, kServer, smb2_read_response(kUnassignedSession, false));
    const auto zero = cap.pdu(kConn, kClient, smb2_read_request(0, false));
    EXPECT_TRUE(cap.tracker.frame_entries(stray).empty());
    EXPECT_TRUE(cap.tracker.frame_entries(zero).empty());
    EXPECT_EQ(cap.tracker.session_count(), 1u);
    EXPECT_EQ(cap.view_at(setup).counted, 0u);
}

TEST(TrackerSmb2, TwoSessionsOnOneConnection) {
    Capture cap;
    const auto a = smb2_connect(cap, kConn, {.server_mode = kRequired, .session = kSessionA});
    const auto b = smb2_connect(
        cap, kConn, {.server_mode = kRequired, .session = kSessionB, .negotiate = false});
    smb2_traffic(cap, kConn, kSessionA, true);
    smb2_traffic(cap, kConn, kSessionB, false);
    EXPECT_NE(cap.session_at(a), cap.session_at(b));
    EXPECT_EQ(cap.view_at(a).verdict, Verdict::Signed);
    EXPECT_EQ(cap.view_at(b).verdict, Verdict::Unsigned);
    EXPECT_EQ(cap.view_at(b).id, kSessionB);
    EXPECT_EQ(cap.view_at(b).server, Policy::Required); // NEGOTIATE belongs to the connection
    EXPECT_EQ(cap.tracker.session_count(), 2u);
}

// ===========================================================================================
// frame_entries
// ===========================================================================================

TEST(TrackerFrames, EntriesPerFrame) {
    Capture cap;
    const auto a = smb2_connect(cap, kConn, {.session = kSessionA});
    const auto b = smb2_connect(cap, kConn, {.session = kSessionB, .negotiate = false});
    // One compound PDU carrying a READ of each session.
    const Buf chain =
        compound({smb2_read_request(kSessionA, false), smb2_read_request(kSessionB, false)});
    const auto both = cap.pdu(kConn, kClient, chain);
    const auto entries = cap.tracker.frame_entries(both);
    ASSERT_EQ(entries.size(), 2u);
    EXPECT_EQ(entries[0].session, cap.session_at(a));
    EXPECT_EQ(entries[1].session, cap.session_at(b));
    EXPECT_EQ(entries[0].frame, both);
    EXPECT_EQ(entries[0].anomalies, 0);
    // Two PDUs of one session in one frame: one entry.
    const auto same = cap.pdu(kConn, kServer, smb2_read_response(kSessionA, false));
    const Buf again = smb2_read_response(kSessionA, false);
    cap.pdu_same_frame(kConn, kServer, again, again.size());
    EXPECT_EQ(cap.tracker.frame_entries(same).size(), 1u);
    // Frame numbers never fed.
    EXPECT_TRUE(cap.tracker.frame_entries(cap.frame + 1).empty());
    EXPECT_TRUE(cap.tracker.frame_entries(kNoFrame).empty());
}

TEST(TrackerFrames, NegotiateFramesBelongToThePendingSession) {
    Capture cap;
    const auto neg = cap.pdu(kConn, kClient, smb2_negotiate_request(kEnabled));
    const auto resp = cap.pdu(kConn, kServer, smb2_negotiate_response(kEnabled));
    const auto setup = smb2_connect(cap, kConn, {.negotiate = false});
    EXPECT_EQ(cap.session_at(neg), cap.session_at(setup));
    EXPECT_EQ(cap.session_at(resp), cap.session_at(setup));
    EXPECT_EQ(cap.view_at(setup).negotiate_frame, resp);
}

// ===========================================================================================
// Malformed and truncated input
// ===========================================================================================

TEST(TrackerMalformed, BadStructureSizeMakesVerdictUnknown) {
    Capture cap;
    const auto setup = smb2_connect(cap, kConn, {.server_mode = kRequired});
    smb2_traffic(cap, kConn, kSessionA, true);
    ASSERT_EQ(cap.view_at(setup).verdict, Verdict::Signed);
    Buf bad = smb2_read_request(kSessionA, true);
    put_u16le(bad, kStructureSizeOffset, 65);
    const auto f = cap.pdu(kConn, kClient, bad);
    const auto entries = cap.tracker.frame_entries(f);
    ASSERT_EQ(entries.size(), 1u);
    EXPECT_EQ(entries[0].session, kNoSession);
    EXPECT_TRUE(has(entries[0].anomalies, Anomaly::MalformedHeader));
    const SessionView v = cap.view_at(setup);
    EXPECT_TRUE(v.malformed);
    EXPECT_EQ(v.verdict, Verdict::Unknown);
}

TEST(TrackerMalformed, TruncatedHeaderMakesVerdictUnknown) {
    Capture cap;
    const auto setup = smb2_connect(cap, kConn, {.server_mode = kRequired});
    smb2_traffic(cap, kConn, kSessionA, true);
    const Buf whole = smb2_read_request(kSessionA, true);
    const auto f = cap.pdu_cut(kConn, kClient, first(whole, 40), whole.size());
    EXPECT_TRUE(has(cap.anomalies_at(f), Anomaly::TruncatedHeader));
    EXPECT_EQ(cap.view_at(setup).verdict, Verdict::Unknown);
}

TEST(TrackerMalformed, Smb1TruncatedHeader) {
    Capture cap;
    const Buf whole = smb1_negotiate_request(kFlags2Base);
    const auto f = cap.pdu(kConn, kClient, first(whole, smb1::kHeaderSize - 1));
    EXPECT_TRUE(has(cap.anomalies_at(f), Anomaly::TruncatedHeader));
}

TEST(TrackerMalformed, BadNextCommandIsMalformed) {
    Capture cap;
    smb2_connect(cap, kConn, {});
    Buf bad = smb2_read_request(kSessionA, false);
    put_u32le(bad, kNextCommandOffset, 70); // not 8-aligned
    const auto f = cap.pdu(kConn, kClient, bad);
    EXPECT_TRUE(has(cap.anomalies_at(f), Anomaly::MalformedHeader));
}

TEST(TrackerMalformed, TruncatedNegotiateResponseLeavesServerPolicyUnknown) {
    Capture cap;
    const Buf whole = smb2_negotiate_response(kRequired);
    const auto f = cap.pdu_cut(kConn, kServer, first(whole, smb2::kHeaderSize + 3), whole.size());
    EXPECT_TRUE(has(cap.anomalies_at(f), Anomaly::TruncatedBody));
    const SessionView v = cap.view_at(f);
    EXPECT_EQ(v.server, Policy::Unknown);
    EXPECT_EQ(v.verdict, Verdict::Unknown);
}

TEST(TrackerMalformed, Smb1SetupBlobOutsideTheMessage) {
    // ByteCount promises more than the PDU holds. A capture that cut the PDU short is
    // "truncated"; a complete PDU that lies about its length is "malformed".
    const Buf whole = smb1_setup_request(kFlags2Enabled, 0, ntlm_authenticate("alice"));
    const Buf cut = first(whole, whole.size() - 30);
    {
        Capture cap;
        const auto f = cap.pdu_cut(kConn, kClient, cut, whole.size());
        EXPECT_TRUE(has(cap.anomalies_at(f), Anomaly::TruncatedBody));
        EXPECT_FALSE(has(cap.anomalies_at(f), Anomaly::MalformedBody));
    }
    {
        Capture cap;
        const auto f = cap.pdu(kConn, kClient, cut);
        EXPECT_TRUE(has(cap.anomalies_at(f), Anomaly::MalformedBody));
    }
}

// ===========================================================================================
// Limits
// ===========================================================================================

TEST(TrackerLimits, SessionsPerConnection) {
    Capture cap(Limits{.max_sessions_per_connection = 4});
    cap.pdu(kConn, kClient, smb2_negotiate_request(kEnabled));
    cap.pdu(kConn, kServer, smb2_negotiate_response(kEnabled));
    AnomalySet seen = 0;
    for (std::uint64_t i = 1; i <= 10; ++i) {
        const auto req = cap.pdu(kConn, kClient, smb2_setup_request(0, kEnabled));
        const auto resp =
            cap.pdu(kConn, kServer, smb2_setup_response(kSessionA + i, smb2::kStatusSuccess));
        seen = static_cast<AnomalySet>(seen | cap.anomalies_at(req) | cap.anomalies_at(resp));
    }
    EXPECT_EQ(cap.tracker.session_count(), 4u);
    EXPECT_TRUE(has(seen, Anomaly::SessionLimit));
    // The sessions that fit are intact.
    EXPECT_EQ(cap.tracker.view(3).id, kSessionA + 4);
}

TEST(TrackerLimits, SessionsOverall) {
    Capture cap(Limits{.max_sessions = 3});
    AnomalySet seen = 0;
    for (std::uint32_t conn = 1; conn <= 5; ++conn) {
        const auto f = cap.pdu(conn, kClient, smb2_negotiate_request(kEnabled));
        seen = static_cast<AnomalySet>(seen | cap.anomalies_at(f));
    }
    EXPECT_EQ(cap.tracker.session_count(), 3u);
    EXPECT_TRUE(has(seen, Anomaly::SessionLimit));
}

TEST(TrackerLimits, Connections) {
    Capture cap(Limits{.max_connections = 2});
    std::vector<std::uint32_t> frames;
    for (std::uint32_t conn = 1; conn <= 5; ++conn)
        frames.push_back(cap.pdu(conn, kClient, smb2_negotiate_request(kEnabled)));
    EXPECT_EQ(cap.tracker.connection_count(), 2u);
    EXPECT_EQ(cap.tracker.session_count(), 2u);
    EXPECT_FALSE(has(cap.anomalies_at(frames[1]), Anomaly::ConnectionLimit));
    for (std::size_t i = 2; i < frames.size(); ++i)
        EXPECT_TRUE(has(cap.anomalies_at(frames[i]), Anomaly::ConnectionLimit)) << i;
    // A close on a connection never admitted is ignored.
    cap.close(5, kClient);
    EXPECT_EQ(cap.tracker.connection_count(), 2u);
}

TEST(TrackerLimits, PendingRequests) {
    Capture cap(Limits{.max_pending_per_connection = 2});
    smb1_connect(cap, kConn, {});
    AnomalySet seen = 0;
    for (std::uint16_t mid = 10; mid < 13; ++mid)
        seen = static_cast<AnomalySet>(
            seen | cap.anomalies_at(cap.pdu(
                       kConn, kClient, smb1_trans2_request(smb1::kTrans2GetDfsReferral, mid))));
    EXPECT_TRUE(has(seen, Anomaly::PendingLimit));
}

TEST(TrackerLimits, ClearForgetsEverything) {
    Capture cap;
    smb2_connect(cap, kConn, {});
    cap.tracker.clear();
    EXPECT_EQ(cap.tracker.session_count(), 0u);
    EXPECT_EQ(cap.tracker.connection_count(), 0u);
    EXPECT_TRUE(cap.tracker.frame_entries(1).empty());
    EXPECT_EQ(cap.tracker.view(0).number, 0u);
}

// ===========================================================================================
// SMB1
// ===========================================================================================

TEST(TrackerSmb1, SignedSession) {
    Capture cap;
    const auto setup = smb1_connect(cap, kConn, {.server_mode = kSmb1SecModeRequired});
    smb1_traffic(cap, kConn, kSmb1Signature, kSmb1Signature);
    const SessionView v = cap.view_at(setup);
    EXPECT_EQ(v.family, Family::Smb1);
    EXPECT_EQ(v.dialect, Dialect::NtLm012);
    EXPECT_EQ(v.id, kUid);
    EXPECT_EQ(v.client, Policy::Enabled);
    EXPECT_EQ(v.server, Policy::Required);
    EXPECT_EQ(v.verdict, Verdict::Signed);
    EXPECT_EQ(v.counted, 6u); // TREE_CONNECT counts in SMB1
    EXPECT_EQ(v.predicted, Predicted::Signed);
    EXPECT_EQ(v.observed, Observed::Established);
    EXPECT_EQ(v.consistent, std::optional<bool>(true));
    EXPECT_EQ(v.signing_algorithm, smb2::SigningAlgorithm::Md5);
}

TEST(TrackerSmb1, ServerPolicyFromSecurityMode) {
    struct Case {
        std::uint8_t mode;
        Policy policy;
    };
    for (const Case c :
         {Case{kSmb1SecModeDisabled, Policy::Disabled}, Case{kSmb1SecModeEnabled, Policy::Enabled},
          Case{kSmb1SecModeRequired, Policy::Required}, Case{0x02, Policy::Disabled}}) {
        Capture cap;
        const auto f = cap.pdu(kConn, kServer, smb1_negotiate_response(c.mode));
        EXPECT_EQ(cap.view_at(f).server, c.policy) << "SecurityMode " << int{c.mode};
    }
}

TEST(TrackerSmb1, RequiredWithoutEnabledIsAnAnomaly) {
    Capture cap;
    const auto f = cap.pdu(kConn, kServer, smb1_negotiate_response(0x0b));
    EXPECT_TRUE(has(cap.anomalies_at(f), Anomaly::InvalidSecurityMode));
    EXPECT_EQ(cap.view_at(f).server, Policy::Required);
}

TEST(TrackerSmb1, ClientPolicyFromLastSessionSetupRequest) {
    struct Case {
        std::uint16_t flags2;
        Policy policy;
    };
    for (const Case c :
         {Case{kFlags2Disabled, Policy::Disabled}, Case{kFlags2Enabled, Policy::Enabled},
          Case{kFlags2Required, Policy::Required}}) {
        Capture cap;
        // The NEGOTIATE request's Flags2 is no evidence (Windows always sets 0x0010).
        const auto setup = smb1_connect(
            cap, kConn, {.negotiate_flags2 = kFlags2WindowsNegotiate, .setup_flags2 = c.flags2});
        EXPECT_EQ(cap.view_at(setup).client, c.policy) << "Flags2 " << c.flags2;
        EXPECT_FALSE(cap.view_at(setup).client_inferred);
    }
    // Two legs: the last request decides.
    Capture cap;
    cap.pdu(kConn, kClient, smb1_negotiate_request(kFlags2Base));
    cap.pdu(kConn, kServer, smb1_negotiate_response(kSmb1SecModeEnabled));
    cap.pdu(kConn, kClient, smb1_setup_request(kFlags2Required, 0, Buf{0x60, 0x00}));
    cap.pdu(kConn, kServer, smb1_setup_response(kUid, smb1::kStatusMoreProcessingRequired));
    cap.pdu(kConn, kClient, smb1_setup_request(kFlags2Enabled, kUid, ntlm_authenticate("bob")));
    const auto ok = cap.pdu(kConn, kServer, smb1_setup_response(kUid, smb1::kStatusSuccess));
    EXPECT_EQ(cap.view_at(ok).client, Policy::Enabled);
    EXPECT_EQ(cap.tracker.session_count(), 1u);
}

TEST(TrackerSmb1, NoSessionSetupMeansClientUnknown) {
    Capture cap;
    cap.pdu(kConn, kClient, smb1_negotiate_request(kFlags2Required));
    const auto f = cap.pdu(kConn, kServer, smb1_negotiate_response(kSmb1SecModeEnabled));
    EXPECT_EQ(cap.view_at(f).client, Policy::Unknown);
}

TEST(TrackerSmb1, JunkSignatureInOneDirectionOnDisabledServerIsUnsigned) {
    // DoublePulsar-style: non-zero signature bytes from one side only, on a server
    // that advertised SecurityMode 0x03.
    for (const bool junk_from_server : {true, false}) {
        Capture cap;
        const auto setup = smb1_connect(
            cap, kConn, {.server_mode = kSmb1SecModeDisabled, .setup_response_sig = kNoSig});
        if (junk_from_server)
            smb1_traffic(cap, kConn, kNoSig, kJunk);
        else
            smb1_traffic(cap, kConn, kJunk, kNoSig);
        const SessionView v = cap.view_at(setup);
        EXPECT_EQ(v.server, Policy::Disabled);
        EXPECT_EQ(v.verdict, Verdict::Unsigned) << "junk from server: " << junk_from_server;
        EXPECT_EQ(v.predicted, Predicted::Unsigned);
        EXPECT_EQ(v.consistent, std::optional<bool>(true));
    }
}

TEST(TrackerSmb1, AllMessagesOnlyOneWayCarryingBytesOnDisabledServerIsUnsigned) {
    // Only requests seen, every one with signature bytes: on a connection that never
    // negotiated signing that is not enough (both directions must carry one).
    Capture cap;
    const auto setup = smb1_connect(
        cap, kConn, {.server_mode = kSmb1SecModeDisabled, .setup_response_sig = kNoSig});
    cap.pdu(kConn, kClient, smb1_close(false, kJunk));
    cap.pdu(kConn, kClient, smb1_close(false, kJunk));
    EXPECT_EQ(cap.view_at(setup).verdict, Verdict::Unsigned);
}

TEST(TrackerSmb1, SignaturesBothWaysOnDisabledServerAreSigned) {
    // Samba with server signing = disabled still signs for a client that requires it.
    Capture cap;
    const auto setup = smb1_connect(
        cap, kConn, {.server_mode = kSmb1SecModeDisabled, .setup_flags2 = kFlags2Required});
    smb1_traffic(cap, kConn, kSmb1Signature, kSmb1Signature);
    const SessionView v = cap.view_at(setup);
    EXPECT_EQ(v.verdict, Verdict::Signed);
    EXPECT_EQ(v.predicted, Predicted::BlockedAfterNegotiate);
    EXPECT_EQ(v.consistent, std::optional<bool>(false));
}

TEST(TrackerSmb1, PlaceholderIsNotASignature) {
    // A client that never leaves the "BSRSPYL " placeholder.
    const Sig8 placeholder = smb1::kPlaceholderSignature;
    Capture cap;
    const auto setup = smb1_connect(cap, kConn,
                                    {.server_mode = kSmb1SecModeEnabled,
                                     .setup_request_sig = placeholder,
                                     .setup_response_sig = kNoSig});
    smb1_traffic(cap, kConn, placeholder, kNoSig);
    const SessionView v = cap.view_at(setup);
    EXPECT_EQ(v.verdict, Verdict::Unsigned);
    EXPECT_EQ(v.counted_signed, 0u);
    EXPECT_EQ(v.first_signed_frame, kNoFrame);
    EXPECT_EQ(v.predicted, Predicted::Signed);
    EXPECT_EQ(v.consistent, std::optional<bool>(false));
}

TEST(TrackerSmb1, Kb887429ClientRequiresServerDisabled) {
    Capture cap;
    const auto neg = cap.pdu(kConn, kClient, smb1_negotiate_request(kFlags2WindowsNegotiate));
    const auto resp = cap.pdu(kConn, kServer, smb1_negotiate_response(kSmb1SecModeDisabled));
    const auto fin = cap.close(kConn, kClient);
    const SessionView v = cap.view_at(neg);
    EXPECT_EQ(v.client, Policy::Required);
    EXPECT_TRUE(v.client_inferred);
    EXPECT_EQ(v.server, Policy::Disabled);
    EXPECT_EQ(v.predicted, Predicted::BlockedAfterNegotiate);
    EXPECT_EQ(v.observed, Observed::ClosedAfterNegotiate);
    EXPECT_EQ(v.outcome_frame, fin);
    EXPECT_EQ(v.prediction_frame, fin); // the close completed the client's policy
    EXPECT_EQ(v.negotiate_frame, resp);
    EXPECT_EQ(v.verdict, Verdict::NotEstablished);
    EXPECT_EQ(v.consistent, std::optional<bool>(true));
    EXPECT_EQ(cap.session_at(fin), cap.session_at(neg));
}

TEST(TrackerSmb1, Kb887429NeedsTheClientToClose) {
    Capture cap;
    const auto neg = cap.pdu(kConn, kClient, smb1_negotiate_request(kFlags2WindowsNegotiate));
    cap.pdu(kConn, kServer, smb1_negotiate_response(kSmb1SecModeDisabled));
    cap.close(kConn, kServer);
    const SessionView v = cap.view_at(neg);
    EXPECT_EQ(v.client, Policy::Unknown);
    EXPECT_FALSE(v.client_inferred);
    EXPECT_EQ(v.observed, Observed::ClosedAfterNegotiate);
    EXPECT_EQ(v.consistent, std::nullopt);
}

TEST(TrackerSmb1, Kb887429NeedsFlags2RequiredInNegotiate) {
    Capture cap;
    const auto neg = cap.pdu(kConn, kClient, smb1_negotiate_request(kFlags2Enabled));
    cap.pdu(kConn, kServer, smb1_negotiate_response(kSmb1SecModeDisabled));
    cap.close(kConn, kClient);
    EXPECT_FALSE(cap.view_at(neg).client_inferred);
    EXPECT_EQ(cap.view_at(neg).client, Policy::Unknown);
}

TEST(TrackerSmb1, Kb887429NeedsServerDisabled) {
    Capture cap;
    const auto neg = cap.pdu(kConn, kClient, smb1_negotiate_request(kFlags2WindowsNegotiate));
    cap.pdu(kConn, kServer, smb1_negotiate_response(kSmb1SecModeEnabled));
    cap.close(kConn, kClient);
    EXPECT_FALSE(cap.view_at(neg).client_inferred);
}

TEST(TrackerSmb1, TreeConnectAccessDenied) {
    // KB887429: client disabled, server required.
    for (const bool dos_error : {false, true}) {
        Capture cap;
        const auto setup = smb1_connect(cap, kConn,
                                        {.server_mode = kSmb1SecModeRequired,
                                         .setup_flags2 = kFlags2Disabled,
                                         .setup_response_sig = kNoSig});
        cap.pdu(kConn, kClient, smb1_tree_connect_request(kNoSig));
        const auto denied =
            cap.pdu(kConn, kServer,
                    dos_error ? smb1_tree_connect_response(kNoSig, kSmb1ErrNoAccess, kFlags2Dos)
                              : smb1_tree_connect_response(kNoSig, smb1::kStatusAccessDenied));
        const SessionView v = cap.view_at(setup);
        EXPECT_EQ(v.client, Policy::Disabled);
        EXPECT_EQ(v.predicted, Predicted::DeniedAtTreeConnect);
        EXPECT_EQ(v.observed, Observed::DeniedAtTreeConnect) << "DOS error: " << dos_error;
        EXPECT_EQ(v.outcome_frame, denied);
        EXPECT_EQ(v.consistent, std::optional<bool>(true));
    }
}

TEST(TrackerSmb1, DeniedWinsOverAnEarlierSuccessfulTreeConnect) {
    Capture cap;
    const auto setup = smb1_connect(
        cap, kConn, {.server_mode = kSmb1SecModeRequired, .setup_flags2 = kFlags2Disabled});
    cap.pdu(kConn, kClient, smb1_tree_connect_request(kNoSig));
    cap.pdu(kConn, kServer, smb1_tree_connect_response(kNoSig));
    cap.pdu(kConn, kClient, smb1_tree_connect_request(kNoSig));
    const auto denied =
        cap.pdu(kConn, kServer, smb1_tree_connect_response(kNoSig, smb1::kStatusAccessDenied));
    EXPECT_EQ(cap.view_at(setup).observed, Observed::DeniedAtTreeConnect);
    EXPECT_EQ(cap.view_at(setup).outcome_frame, denied);
}

TEST(TrackerSmb1, DfsReferralAccessDeniedIsDenied) {
    Capture cap;
    const auto setup = smb1_connect(
        cap, kConn, {.server_mode = kSmb1SecModeRequired, .setup_flags2 = kFlags2Disabled});
    constexpr std::uint16_t kMid = 42;
    cap.pdu(kConn, kClient, smb1_trans2_request(smb1::kTrans2GetDfsReferral, kMid));
    const auto denied = cap.pdu(kConn, kServer, smb1_trans2_error(kMid, smb1::kStatusAccessDenied));
    const SessionView v = cap.view_at(setup);
    EXPECT_EQ(v.observed, Observed::DeniedAtTreeConnect);
    EXPECT_EQ(v.outcome_frame, denied);
    EXPECT_EQ(v.consistent, std::optional<bool>(true));
}

TEST(TrackerSmb1, OtherTrans2AccessDeniedIsNotDenied) {
    Capture cap;
    const auto setup = smb1_connect(
        cap, kConn, {.server_mode = kSmb1SecModeRequired, .setup_flags2 = kFlags2Disabled});
    constexpr std::uint16_t kMid = 42;
    cap.pdu(kConn, kClient, smb1_trans2_request(0x0005 /* QUERY_PATH_INFORMATION */, kMid));
    cap.pdu(kConn, kServer, smb1_trans2_error(kMid, smb1::kStatusAccessDenied));
    // A DFS referral answered by a response to another MID does not count either.
    cap.pdu(kConn, kClient, smb1_trans2_request(smb1::kTrans2GetDfsReferral, kMid + 1));
    cap.pdu(kConn, kServer, smb1_trans2_error(kMid + 2, smb1::kStatusAccessDenied));
    EXPECT_EQ(cap.view_at(setup).observed, Observed::Incomplete);
}

TEST(TrackerSmb1, ChainedTreeConnectDeniedInSessionSetupResponse) {
    // SESSION_SETUP_ANDX + TREE_CONNECT_ANDX answered in one response: the setup part
    // succeeded (its words are there), the tree connect was denied.
    Capture cap;
    cap.pdu(kConn, kClient, smb1_negotiate_request(kFlags2Base));
    cap.pdu(kConn, kServer, smb1_negotiate_response(kSmb1SecModeRequired));
    cap.pdu(kConn, kClient, smb1_setup_request(kFlags2Disabled, 0, ntlm_authenticate("bob")));
    Buf resp = smb1_setup_response(kUid, smb1::kStatusSuccess);
    put_u32le(resp, 5, smb1::kStatusAccessDenied); // the status of the chain
    resp[smb1::kHeaderSize + 1] = smb1::kCmdTreeConnectAndX;
    put_u16le(resp, smb1::kHeaderSize + 3, static_cast<std::uint16_t>(resp.size()));
    append(resp, Buf{0, 0, 0}); // TREE_CONNECT_ANDX error block: WordCount 0, ByteCount 0
    const auto f = cap.pdu(kConn, kServer, resp);
    const SessionView v = cap.view_at(f);
    EXPECT_EQ(v.id, kUid);
    EXPECT_EQ(v.setup_frame, f);
    EXPECT_EQ(v.observed, Observed::DeniedAtTreeConnect);
    EXPECT_EQ(v.predicted, Predicted::DeniedAtTreeConnect);
}

TEST(TrackerSmb1, SessionSetupFailureIsAuthFailed) {
    Capture cap;
    cap.pdu(kConn, kClient, smb1_negotiate_request(kFlags2Base));
    cap.pdu(kConn, kServer, smb1_negotiate_response(kSmb1SecModeEnabled));
    cap.pdu(kConn, kClient, smb1_setup_request(kFlags2Enabled, 0, ntlm_authenticate("bob")));
    const auto fail = cap.pdu(kConn, kServer, smb1_setup_response(0, kStatusLogonFailure));
    const SessionView v = cap.view_at(fail);
    EXPECT_EQ(v.observed, Observed::AuthFailed);
    EXPECT_EQ(v.verdict, Verdict::NotEstablished);
    EXPECT_FALSE(v.id_known);
}

// A second-leg refusal that names UID 0 answers the session the client was setting up:
// it does not open a second, phantom session.
TEST(TrackerSmb1, SecondLegRefusalWithUidZeroFailsTheSessionBeingSetUp) {
    constexpr std::uint16_t kAssigned = 0x0801;
    Capture cap;
    cap.pdu(kConn, kClient, smb1_negotiate_request(kFlags2Base));
    cap.pdu(kConn, kServer, smb1_negotiate_response(kSmb1SecModeEnabled));
    cap.pdu(kConn, kClient, smb1_setup_request(kFlags2Enabled, 0, ntlm_authenticate("bob")));
    cap.pdu(kConn, kServer, smb1_setup_response(kAssigned, smb1::kStatusMoreProcessingRequired));
    cap.pdu(kConn, kClient,
            smb1_setup_request(kFlags2Enabled, kAssigned, ntlm_authenticate("bob")));
    const auto fail = cap.pdu(kConn, kServer, smb1_setup_response(0, kStatusLogonFailure));
    EXPECT_EQ(cap.tracker.session_count(), 1u);
    const SessionView v = cap.view_at(fail);
    EXPECT_EQ(v.id, kAssigned);
    EXPECT_EQ(v.observed, Observed::AuthFailed);
    EXPECT_EQ(v.verdict, Verdict::NotEstablished);
}

TEST(TrackerSmb1, InvalidSignatureIsSigningFailure) {
    Capture cap;
    const auto setup = smb1_connect(cap, kConn, {.server_mode = kSmb1SecModeRequired});
    cap.pdu(kConn, kClient, smb1_tree_connect_request(kSmb1Signature));
    const auto bad =
        cap.pdu(kConn, kServer, smb1_tree_connect_response(kNoSig, smb1::kStatusInvalidSignature));
    EXPECT_EQ(cap.view_at(setup).observed, Observed::SigningFailure);
    EXPECT_EQ(cap.view_at(setup).outcome_frame, bad);
}

TEST(TrackerSmb1, ServerHangsUpOnUnsignedTreeConnect) {
    // Samba "server signing = mandatory" against a client that never signs: TCP close,
    // no SMB status. Inconsistent with the Windows prediction (denied at tree connect).
    Capture cap;
    const auto setup = smb1_connect(cap, kConn,
                                    {.server_mode = kSmb1SecModeRequired,
                                     .setup_flags2 = kFlags2Disabled,
                                     .setup_response_sig = kNoSig});
    cap.pdu(kConn, kClient, smb1_tree_connect_request(kNoSig));
    const auto fin = cap.close(kConn, kServer);
    const SessionView v = cap.view_at(setup);
    EXPECT_EQ(v.observed, Observed::SigningFailure);
    EXPECT_EQ(v.outcome_frame, fin);
    EXPECT_EQ(v.predicted, Predicted::DeniedAtTreeConnect);
    EXPECT_EQ(v.consistent, std::optional<bool>(false));
}

TEST(TrackerSmb1, AnonymousSessionWithJunkSignaturesIsUnsigned) {
    // EternalRomance against a server that requires signing: a null session, signature
    // fields with bytes in both directions. No session key: junk.
    Capture cap;
    const auto setup = smb1_connect(
        cap, kConn,
        {.server_mode = kSmb1SecModeRequired, .blob = Buf{}, .setup_response_sig = kNoSig});
    smb1_traffic(cap, kConn, kJunk, kJunk);
    const SessionView v = cap.view_at(setup);
    EXPECT_TRUE(v.anonymous);
    EXPECT_EQ(v.verdict, Verdict::Unsigned);
    EXPECT_EQ(v.predicted, Predicted::Unsigned);
    EXPECT_EQ(v.observed, Observed::Established);
    EXPECT_EQ(v.consistent, std::optional<bool>(true));
}

TEST(TrackerSmb1, GuestFromSessionSetupAction) {
    Capture cap;
    const auto setup = smb1_connect(
        cap, kConn, {.server_mode = kSmb1SecModeRequired, .action = smb1::kSetupActionGuest});
    smb1_traffic(cap, kConn, kNoSig, kNoSig);
    const SessionView v = cap.view_at(setup);
    EXPECT_TRUE(v.guest);
    EXPECT_FALSE(v.anonymous);
    EXPECT_EQ(v.verdict, Verdict::Unsigned);
    EXPECT_EQ(v.predicted, Predicted::Unsigned);
}

// A granted guest or anonymous SMB1 session has no session key (MS-CIFS 3.2.5.3): it is
// unsigned even when it sends nothing that counts, as a scanner's null session often does.
TEST(TrackerSmb1, AnonymousGrantWithNothingCountedIsUnsigned) {
    Capture cap;
    const auto setup = smb1_connect(
        cap, kConn,
        {.server_mode = kSmb1SecModeRequired, .blob = Buf{}, .setup_response_sig = kNoSig});
    cap.close(kConn, kClient);
    const SessionView v = cap.view_at(setup);
    EXPECT_TRUE(v.anonymous);
    EXPECT_EQ(v.counted, 0u);
    EXPECT_EQ(v.verdict, Verdict::Unsigned);
    EXPECT_EQ(v.verdict_reason, "guest/anonymous session: no session key, it cannot sign");
    EXPECT_EQ(v.predicted, Predicted::Unsigned);
}

TEST(TrackerSmb1, GuestGrantWithNothingCountedIsUnsigned) {
    Capture cap;
    const auto setup = smb1_connect(
        cap, kConn, {.server_mode = kSmb1SecModeEnabled, .action = smb1::kSetupActionGuest});
    const SessionView v = cap.view_at(setup);
    EXPECT_TRUE(v.guest);
    EXPECT_EQ(v.verdict, Verdict::Unsigned);
}

TEST(TrackerSmb1, AnonymousGrantAfterAnUnsignedSessionOnTheConnectionIsUnsigned) {
    Capture cap;
    smb1_connect(cap, kConn, {.server_mode = kSmb1SecModeEnabled});
    smb1_traffic(cap, kConn, kNoSig, kNoSig, 1);
    cap.pdu(kConn, kClient, smb1_setup_request(kFlags2Enabled, 0, Buf{}));
    const auto setup = cap.pdu(kConn, kServer, smb1_setup_response(0x0900, smb1::kStatusSuccess));
    EXPECT_TRUE(cap.view_at(setup).anonymous);
    EXPECT_EQ(cap.view_at(setup).verdict, Verdict::Unsigned);
}

TEST(TrackerSmb1, AuthenticatedGrantWithNothingCountedIsUnknown) {
    Capture cap;
    const auto setup = smb1_connect(cap, kConn, {.server_mode = kSmb1SecModeRequired});
    EXPECT_EQ(cap.view_at(setup).verdict, Verdict::Unknown);
}

// SMB1 signs per connection: after an authenticated session has signed, the connection's
// key signs every later message, a null session's too. Nothing counted proves nothing.
TEST(TrackerSmb1, AnonymousGrantAfterASignedSessionOnTheConnectionIsUnknown) {
    Capture cap;
    const auto first = smb1_connect(cap, kConn, {.server_mode = kSmb1SecModeRequired});
    smb1_traffic(cap, kConn, kSmb1Signature, kSmb1Signature, 1);
    cap.pdu(kConn, kClient, smb1_setup_request(kFlags2Enabled, 0, Buf{}, kSmb1Signature));
    constexpr std::uint16_t kNullUid = 0x0900;
    const auto setup = cap.pdu(
        kConn, kServer, smb1_setup_response(kNullUid, smb1::kStatusSuccess, 0, kSmb1Signature));
    const SessionView v = cap.view_at(setup);
    ASSERT_NE(cap.session_at(setup), cap.session_at(first));
    EXPECT_TRUE(v.anonymous);
    EXPECT_EQ(v.verdict, Verdict::Unknown);
    EXPECT_EQ(cap.view_at(first).verdict, Verdict::Signed);
}

TEST(TrackerSmb1, OplockBreaksAreNotCounted) {
    Capture cap;
    const auto setup = smb1_connect(cap, kConn, {.server_mode = kSmb1SecModeRequired});
    smb1_traffic(cap, kConn, kSmb1Signature, kSmb1Signature);
    // The server's unsigned oplock break: LOCKING_ANDX request with MID 0xFFFF.
    Buf words = andx_words(0);
    append_zeros(words, 12);
    cap.pdu(kConn, kServer,
            build(Smb1Msg{.command = smb1::kCmdLockingAndX,
                          .tid = kTid,
                          .uid = kUid,
                          .mid = smb1::kOplockBreakMid,
                          .words = words}));
    const SessionView v = cap.view_at(setup);
    EXPECT_EQ(v.verdict, Verdict::Signed);
    EXPECT_EQ(v.counted, 6u);
}

TEST(TrackerSmb1, MidCaptureSession) {
    Capture cap;
    const auto req = cap.pdu(kConn, kClient, smb1_close(false, kNoSig));
    cap.pdu(kConn, kServer, smb1_close(true, kNoSig));
    cap.pdu(kConn, kClient, smb1_close(false, kNoSig));
    const SessionView v = cap.view_at(req);
    EXPECT_TRUE(v.mid_capture);
    EXPECT_EQ(v.id, kUid);
    EXPECT_EQ(v.counted, 3u);
    EXPECT_EQ(v.client, Policy::Unknown);
    EXPECT_EQ(v.server, Policy::Unknown);
    EXPECT_EQ(v.verdict, Verdict::Unsigned);
    EXPECT_EQ(v.predicted, Predicted::Unknown);
    EXPECT_EQ(v.observed, Observed::Established);
}

TEST(TrackerSmb1, UnassignedUidAfterNegotiateBelongsToNoSession) {
    Capture cap;
    smb1_connect(cap, kConn, {});
    const auto stray = cap.pdu(kConn, kClient, smb1_close(false, kNoSig, kUid + 1));
    EXPECT_TRUE(cap.tracker.frame_entries(stray).empty());
    EXPECT_EQ(cap.tracker.session_count(), 1u);
}

TEST(TrackerSmb1, NoCommonDialect) {
    Capture cap;
    const auto neg = cap.pdu(kConn, kClient, smb1_negotiate_request(kFlags2Base));
    Buf words{};
    append_u16le(words, smb1::kNoDialectSelected);
    cap.pdu(kConn, kServer,
            build(Smb1Msg{.command = smb1::kCmdNegotiate, .reply = true, .words = words}));
    cap.close(kConn, kServer);
    const SessionView v = cap.view_at(neg);
    EXPECT_EQ(v.server, Policy::Unknown);
    EXPECT_EQ(v.observed, Observed::ClosedAfterNegotiate);
}

// ===========================================================================================
// Guest and anonymous grants whose client policy is not (fully) known (issue 14, rule 1)
// ===========================================================================================

// A capture that starts after NEGOTIATE: a two-leg anonymous SESSION_SETUP whose
// requests carry `mode`, granted with IS_NULL; then TREE_CONNECT and unsigned reads.
// Returns the final SESSION_SETUP response's frame.
std::uint32_t smb2_anonymous_without_negotiate(Capture &cap, std::uint8_t mode) {
    cap.pdu(kConn, kClient, smb2_setup_request(0, mode));
    cap.pdu(kConn, kServer, smb2_setup_response(kSessionA, smb2::kStatusMoreProcessingRequired));
    cap.pdu(kConn, kClient, smb2_setup_request(kSessionA, mode, ntlm_authenticate("")));
    const auto ok = cap.pdu(
        kConn, kServer, smb2_setup_response(kSessionA, smb2::kStatusSuccess, smb2::kSessionIsNull));
    smb2_traffic(cap, kConn, kSessionA, false);
    return ok;
}

TEST(TrackerKeylessGrant, Smb2RequiredInSessionSetupWithoutNegotiateIsNoPrediction) {
    // REQUIRED in SESSION_SETUP may be the server's requirement echoed (Windows), so
    // whether the client itself requires signing, which alone decides a keyless grant,
    // is unknown: no signing-failure prediction, no inconsistency.
    Capture cap;
    const SessionView v = cap.view_at(smb2_anonymous_without_negotiate(cap, kRequiredOnly));
    EXPECT_TRUE(v.anonymous);
    EXPECT_EQ(v.client, Policy::Required);
    EXPECT_EQ(v.server, Policy::Unknown);
    EXPECT_EQ(v.verdict, Verdict::Unsigned);
    EXPECT_EQ(v.observed, Observed::Established);
    EXPECT_EQ(v.predicted, Predicted::Unknown);
    EXPECT_EQ(v.consistent, std::nullopt);
}

TEST(TrackerKeylessGrant, Smb2EnabledInSessionSetupWithoutNegotiateIsNoPrediction) {
    // The capture starts after NEGOTIATE: the client's policy is not in it (the
    // SESSION_SETUP request shows what this logon asked for), and a client that requires
    // signing fails a keyless grant, so nothing can be predicted.
    Capture cap;
    const SessionView v = cap.view_at(smb2_anonymous_without_negotiate(cap, kEnabled));
    EXPECT_EQ(v.client, Policy::Enabled);
    EXPECT_EQ(v.verdict, Verdict::Unsigned);
    EXPECT_EQ(v.predicted, Predicted::Unknown);
    EXPECT_EQ(v.consistent, std::nullopt);
}

TEST(TrackerKeylessGrant, Smb2GrantSeenFromItsResponseOnlyIsNoPrediction) {
    Capture cap;
    const auto ok =
        cap.pdu(kConn, kServer,
                smb2_setup_response(kSessionA, smb2::kStatusSuccess, smb2::kSessionIsGuest));
    smb2_traffic(cap, kConn, kSessionA, false);
    const SessionView v = cap.view_at(ok);
    EXPECT_TRUE(v.guest);
    EXPECT_EQ(v.client, Policy::Unknown);
    EXPECT_EQ(v.predicted, Predicted::Unknown);
    EXPECT_EQ(v.verdict, Verdict::Unsigned);
}

TEST(TrackerKeylessGrant, Smb2RequiredInSessionSetupIsTheClientsOwnWhenTheServerDoesNotRequire) {
    Capture cap;
    cap.pdu(kConn, kServer, smb2_negotiate_response(kEnabled)); // request not captured
    cap.pdu(kConn, kClient, smb2_setup_request(0, kRequiredOnly));
    const auto ok =
        cap.pdu(kConn, kServer,
                smb2_setup_response(kSessionA, smb2::kStatusSuccess, smb2::kSessionIsGuest));
    EXPECT_EQ(cap.view_at(ok).predicted, Predicted::SigningFailure);
}

TEST(TrackerKeylessGrant, Smb2RequiredInSessionSetupAgainstARequiringServerIsNoPrediction) {
    Capture cap;
    cap.pdu(kConn, kServer, smb2_negotiate_response(kRequired)); // request not captured
    cap.pdu(kConn, kClient, smb2_setup_request(0, kRequiredOnly));
    const auto ok =
        cap.pdu(kConn, kServer,
                smb2_setup_response(kSessionA, smb2::kStatusSuccess, smb2::kSessionIsGuest));
    cap.close(kConn, kClient);
    const SessionView v = cap.view_at(ok);
    EXPECT_EQ(v.predicted, Predicted::Unknown);
    EXPECT_EQ(v.consistent, std::nullopt);
}

// SMB1 without NEGOTIATE: the anonymous SESSION_SETUP_ANDX request's Flags2 alone.
SessionView smb1_anonymous_without_negotiate(std::uint16_t setup_flags2) {
    Capture cap;
    cap.pdu(kConn, kClient, smb1_setup_request(setup_flags2, 0, ntlm_authenticate("")));
    const auto ok = cap.pdu(kConn, kServer, smb1_setup_response(kUid, smb1::kStatusSuccess));
    smb1_traffic(cap, kConn, kNoSig, kNoSig);
    return cap.view_at(ok);
}

TEST(TrackerKeylessGrant, Smb1ClientNotRequiringDecidesWithoutTheServer) {
    // Only client-required/server-disabled stops an SMB1 keyless grant (KB887429).
    const SessionView v = smb1_anonymous_without_negotiate(kFlags2Enabled);
    EXPECT_TRUE(v.anonymous);
    EXPECT_EQ(v.server, Policy::Unknown);
    EXPECT_EQ(v.predicted, Predicted::Unsigned);
    EXPECT_EQ(v.consistent, std::optional<bool>(true));
}

TEST(TrackerKeylessGrant, Smb1ClientRequiringNeedsTheServerPolicy) {
    const SessionView v = smb1_anonymous_without_negotiate(kFlags2Required);
    EXPECT_EQ(v.client, Policy::Required);
    EXPECT_EQ(v.predicted, Predicted::Unknown);
    EXPECT_EQ(v.consistent, std::nullopt);
}

// ===========================================================================================
// A new logon given the id of a session of its connection (issue 14, rule 2)
// ===========================================================================================

Buf smb1_logoff(bool reply, std::uint16_t uid = kUid) {
    return build(Smb1Msg{
        .command = smb1::kCmdLogoffAndX, .reply = reply, .uid = uid, .words = andx_words(0)});
}

// A second logon on the connection as an impacket SMB1 server answers it: the request
// with UID 0, each response with the UID it always gives (kUid). Returns the frames of
// the first request, the first response and the final response.
struct Relogon {
    std::uint32_t request, first_response, final_response;
};
Relogon smb1_relogon(Capture &cap, const std::string &user) {
    Relogon r{};
    r.request = cap.pdu(kConn, kClient, smb1_setup_request(kFlags2Enabled, 0, {0x60, 0x00}));
    r.first_response =
        cap.pdu(kConn, kServer, smb1_setup_response(kUid, smb1::kStatusMoreProcessingRequired));
    cap.pdu(kConn, kClient, smb1_setup_request(kFlags2Enabled, kUid, ntlm_authenticate(user)));
    r.final_response = cap.pdu(kConn, kServer, smb1_setup_response(kUid, smb1::kStatusSuccess));
    return r;
}

TEST(TrackerReusedId, Smb1NewLogonGivenTheUidOfALiveSessionReplacesIt) {
    Capture cap;
    const auto first_setup = smb1_connect(cap, kConn, {.server_mode = kSmb1SecModeDisabled});
    const auto first_traffic = smb1_traffic(cap, kConn, kNoSig, kNoSig);
    const std::uint32_t old_session = cap.session_at(first_setup);

    const Relogon r = smb1_relogon(cap, "bob");
    const auto second_traffic = smb1_traffic(cap, kConn, kNoSig, kNoSig, 3);
    const std::uint32_t new_session = cap.session_at(r.final_response);

    // Every frame of the new logon, from its UID-0 request on, shows the new session.
    EXPECT_NE(new_session, old_session);
    EXPECT_EQ(cap.session_at(r.request), new_session);
    EXPECT_EQ(cap.session_at(r.first_response), new_session);
    EXPECT_EQ(cap.session_at(second_traffic), new_session);
    EXPECT_EQ(cap.session_at(first_traffic), old_session);
    EXPECT_EQ(cap.tracker.session_count(), 2u);
    // The response that reused the id carries the anomaly, and only that one.
    EXPECT_TRUE(has(cap.anomalies_at(r.first_response), Anomaly::ReusedSessionId));
    EXPECT_FALSE(has(cap.anomalies_at(r.final_response), Anomaly::ReusedSessionId));
    EXPECT_FALSE(has(cap.anomalies_at(first_setup), Anomaly::ReusedSessionId));

    const SessionView n = cap.tracker.view(new_session);
    EXPECT_EQ(n.id, kUid);
    EXPECT_EQ(n.setup_frame, r.final_response);
    EXPECT_EQ(n.observed, Observed::Established);
    EXPECT_EQ(n.verdict, Verdict::Unsigned);
    EXPECT_EQ(n.counted, 8u); // its own TREE_CONNECT and 3 CLOSE exchanges only
    EXPECT_EQ(n.predicted, Predicted::Unsigned);

    const SessionView o = cap.tracker.view(old_session);
    EXPECT_EQ(o.setup_frame, first_setup);
    EXPECT_EQ(o.observed, Observed::Established);
    EXPECT_EQ(o.counted, 6u); // nothing of the new logon
}

TEST(TrackerReusedId, Smb1NewLogonAfterLogoffMayReuseTheUid) {
    Capture cap;
    const auto first_setup = smb1_connect(cap, kConn, {.server_mode = kSmb1SecModeDisabled});
    smb1_traffic(cap, kConn, kNoSig, kNoSig);
    cap.pdu(kConn, kClient, smb1_logoff(false));
    cap.pdu(kConn, kServer, smb1_logoff(true, 0)); // impacket answers with UID 0
    const Relogon r = smb1_relogon(cap, "bob");
    EXPECT_NE(cap.session_at(r.final_response), cap.session_at(first_setup));
    EXPECT_EQ(cap.session_at(r.request), cap.session_at(r.final_response));
    EXPECT_FALSE(has(cap.anomalies_at(r.first_response), Anomaly::ReusedSessionId));
}

TEST(TrackerReusedId, Smb1RefusedLogoffLeavesTheSessionLive) {
    Capture cap;
    smb1_connect(cap, kConn, {.server_mode = kSmb1SecModeDisabled});
    cap.pdu(kConn, kClient, smb1_logoff(false));
    cap.pdu(kConn, kServer,
            build(Smb1Msg{.command = smb1::kCmdLogoffAndX,
                          .reply = true,
                          .status = kStatusLogonFailure,
                          .uid = kUid}));
    const Relogon r = smb1_relogon(cap, "bob");
    EXPECT_TRUE(has(cap.anomalies_at(r.first_response), Anomaly::ReusedSessionId));
}

TEST(TrackerReusedId, Smb2NewLogonAfterLogoffMayReuseTheId) {
    Capture cap;
    const auto first_setup = smb2_connect(cap, kConn, {});
    cap.pdu(kConn, kClient,
            build({.command = smb2::kCmdLogoff, .session = kSessionA, .body = Buf{4, 0, 0, 0}}));
    cap.pdu(kConn, kServer,
            build({.command = smb2::kCmdLogoff,
                   .response = true,
                   .session = kSessionA,
                   .body = Buf{4, 0, 0, 0}}));
    cap.pdu(kConn, kClient, smb2_setup_request(0, kEnabled));
    const auto reuse =
        cap.pdu(kConn, kServer, smb2_setup_response(kSessionA, smb2::kStatusSuccess));
    EXPECT_NE(cap.session_at(reuse), cap.session_at(first_setup));
    EXPECT_FALSE(has(cap.anomalies_at(reuse), Anomaly::ReusedSessionId));
}

TEST(TrackerReusedId, Smb1RetryAfterAFailedLogonIsANewSession) {
    Capture cap;
    cap.pdu(kConn, kClient, smb1_negotiate_request(kFlags2Base));
    cap.pdu(kConn, kServer, smb1_negotiate_response(kSmb1SecModeDisabled));
    cap.pdu(kConn, kClient, smb1_setup_request(kFlags2Enabled, 0, ntlm_authenticate("alice")));
    const auto failed = cap.pdu(kConn, kServer, smb1_setup_response(kUid, kStatusLogonFailure));
    const Relogon r = smb1_relogon(cap, "bob");
    EXPECT_EQ(cap.view_at(failed).observed, Observed::AuthFailed);
    EXPECT_EQ(cap.view_at(r.final_response).setup_frame, r.final_response);
    EXPECT_NE(cap.session_at(failed), cap.session_at(r.final_response));
    EXPECT_FALSE(has(cap.anomalies_at(r.first_response), Anomaly::ReusedSessionId));
}

TEST(TrackerReusedId, Smb2NewLogonGivenTheIdOfALiveSessionReplacesIt) {
    Capture cap;
    const auto first_setup = smb2_connect(cap, kConn, {.server_mode = kRequired});
    smb2_traffic(cap, kConn, kSessionA, true);
    const auto request = cap.pdu(kConn, kClient, smb2_setup_request(0, kEnabled));
    const auto reuse =
        cap.pdu(kConn, kServer, smb2_setup_response(kSessionA, smb2::kStatusSuccess, 0, true));
    const auto later = smb2_traffic(cap, kConn, kSessionA, false);
    EXPECT_EQ(cap.session_at(request), cap.session_at(reuse));
    EXPECT_EQ(cap.session_at(later), cap.session_at(reuse));
    EXPECT_NE(cap.session_at(reuse), cap.session_at(first_setup));
    EXPECT_TRUE(has(cap.anomalies_at(reuse), Anomaly::ReusedSessionId));
    EXPECT_EQ(cap.view_at(first_setup).verdict, Verdict::Signed);
    EXPECT_EQ(cap.view_at(reuse).verdict, Verdict::Unsigned);
    EXPECT_EQ(cap.view_at(reuse).consistent, std::optional<bool>(false));
}

TEST(TrackerReusedId, ReplacedGuestSessionIsNotFailedByALaterClose) {
    // A guest grant to a client that requires signing fails when the connection closes
    // before a TREE_CONNECT is answered, but not once a new logon has taken its id.
    Capture cap;
    const auto guest = smb2_connect(
        cap, kConn,
        {.client_mode = kRequired, .session_flags = smb2::kSessionIsGuest, .sign_final = false});
    cap.pdu(kConn, kClient, smb2_setup_request(0, kRequired));
    const auto reuse =
        cap.pdu(kConn, kServer, smb2_setup_response(kSessionA, smb2::kStatusSuccess, 0, true));
    smb2_traffic(cap, kConn, kSessionA, true);
    cap.close(kConn, kClient);
    EXPECT_EQ(cap.view_at(guest).observed, Observed::Incomplete);
    EXPECT_EQ(cap.view_at(reuse).observed, Observed::Established);
}

TEST(TrackerReusedId, SecondLegWithTheAssignedIdContinuesTheSameLogon) {
    // The ordinary two-leg logon: the id the first response assigned is no reuse.
    Capture cap;
    const auto ok = smb2_connect(cap, kConn, {});
    EXPECT_EQ(cap.tracker.session_count(), 1u);
    for (std::uint32_t f = 1; f <= ok; ++f)
        EXPECT_FALSE(has(cap.anomalies_at(f), Anomaly::ReusedSessionId)) << f;
}

// ===========================================================================================
// Real sequences from the public captures
// ===========================================================================================

// smb1-sm03-win7-server-unsigned-treeconnect.pcap frames 1-7: SecurityMode 0x03, an
// anonymous WordCount-13 SESSION_SETUP, TREE_CONNECT to IPC$ and a TRANS2 request.
TEST(TrackerReal, Win7Smb1AnonymousUnsigned) {
    Capture cap;
    cap.pdu(kConn, kClient, vectors::kSmb1NegotiateRequestWin7);
    cap.pdu(kConn, kServer, vectors::kSmb1NegotiateResponseSm03);
    cap.pdu(kConn, kClient, vectors::kSmb1SetupRequestAnonymousWct13);
    const auto setup = cap.pdu(kConn, kServer, vectors::kSmb1SetupResponseWin7);
    cap.pdu(kConn, kClient, vectors::kSmb1TreeConnectRequestWin7);
    const auto tree = cap.pdu(kConn, kServer, vectors::kSmb1TreeConnectResponseWin7);
    cap.pdu(kConn, kClient, vectors::kSmb1Trans2RequestWin7);
    const SessionView v = cap.view_at(setup);
    EXPECT_EQ(v.family, Family::Smb1);
    EXPECT_EQ(v.dialect, Dialect::NtLm012);
    EXPECT_EQ(v.id, 2048u);
    EXPECT_EQ(v.server, Policy::Disabled);
    EXPECT_EQ(v.client, Policy::Enabled); // Flags2 0xc007
    EXPECT_FALSE(v.client_inferred);
    EXPECT_TRUE(v.anonymous);
    EXPECT_EQ(v.counted, 3u);
    EXPECT_EQ(v.verdict, Verdict::Unsigned);
    EXPECT_EQ(v.predicted, Predicted::Unsigned);
    EXPECT_EQ(v.observed, Observed::Established);
    EXPECT_EQ(v.outcome_frame, tree);
    EXPECT_EQ(v.consistent, std::optional<bool>(true));
    EXPECT_EQ(cap.tracker.session_count(), 1u);
}

// The same Windows 7 exchange up to the granted null session, then the client hangs up
// without sending anything that counts (seen in scanner traffic).
TEST(TrackerReal, Win7Smb1AnonymousGrantThenCloseIsUnsigned) {
    Capture cap;
    cap.pdu(kConn, kClient, vectors::kSmb1NegotiateRequestWin7);
    cap.pdu(kConn, kServer, vectors::kSmb1NegotiateResponseSm03);
    cap.pdu(kConn, kClient, vectors::kSmb1SetupRequestAnonymousWct13);
    const auto setup = cap.pdu(kConn, kServer, vectors::kSmb1SetupResponseWin7);
    cap.close(kConn, kClient);
    const SessionView v = cap.view_at(setup);
    EXPECT_TRUE(v.anonymous);
    EXPECT_EQ(v.counted, 0u);
    EXPECT_EQ(v.verdict, Verdict::Unsigned);
    EXPECT_EQ(v.predicted, Predicted::Unsigned);
    EXPECT_EQ(v.observed, Observed::Incomplete);
}

// smb311-client-sec03-requires-signing-samba.pcap frames 4-22.
TEST(TrackerReal, SambaSmb311ClientRequiresSigning) {
    Capture cap;
    cap.pdu(kConn, kClient, vectors::kSmb2NegotiateRequestSamba);
    cap.pdu(kConn, kServer, vectors::kSmb2NegotiateResponseSamba);
    cap.pdu(kConn, kClient, vectors::kSmb2SessionSetupRequestSamba);
    cap.pdu(kConn, kServer, vectors::kSmb2SessionSetupResponseMoreSamba);
    cap.pdu(kConn, kClient, vectors::kSmb2SessionSetupRequest2Samba);
    const auto setup = cap.pdu(kConn, kServer, vectors::kSmb2SessionSetupResponseSamba);
    cap.pdu(kConn, kClient, vectors::kSmb2TreeConnectRequestSamba);
    const auto tree = cap.pdu(kConn, kServer, vectors::kSmb2TreeConnectResponseSamba);
    SessionView v = cap.view_at(setup);
    EXPECT_EQ(v.verdict, Verdict::Unknown); // only excluded messages so far
    cap.pdu(kConn, kClient, vectors::kSmb2CreateRequestSamba);
    cap.pdu(kConn, kServer, vectors::kSmb2CreateResponseSamba);
    v = cap.view_at(setup);
    EXPECT_EQ(v.family, Family::Smb2);
    EXPECT_EQ(v.dialect, Dialect::Smb311);
    EXPECT_EQ(v.id, 0xf0849809u);
    EXPECT_EQ(v.client, Policy::Required);
    EXPECT_EQ(v.server, Policy::Enabled);
    EXPECT_FALSE(v.anonymous);
    EXPECT_FALSE(v.guest);
    EXPECT_EQ(v.cipher, smb2::Cipher::Aes128Gcm);
    EXPECT_EQ(v.signing_algorithm, smb2::SigningAlgorithm::AesCmac);
    EXPECT_EQ(v.counted, 2u);
    EXPECT_EQ(v.verdict, Verdict::Signed);
    EXPECT_EQ(v.predicted, Predicted::Signed);
    EXPECT_EQ(v.observed, Observed::Established);
    EXPECT_EQ(v.outcome_frame, tree);
    EXPECT_EQ(v.consistent, std::optional<bool>(true));
    EXPECT_EQ(cap.tracker.session_count(), 1u);
}

// smb1-sm02-samba-share-level.pcap, all 20 SMB frames: smbclient against Samba 3.6
// with share-level security (SecurityMode 0x02), a guest grant with UID 0 itself.
TEST(TrackerReal, SambaShareLevelSession) {
    struct Pdu {
        std::uint8_t side;
        Buf bytes;
    };
    const std::vector<Pdu> capture = {
        {kClient, to_buf(vectors::kShareLevelFrame04)},
        {kServer, to_buf(vectors::kShareLevelFrame06)},
        {kClient, to_buf(vectors::kShareLevelFrame08)},
        {kServer, to_buf(vectors::kShareLevelFrame09)},
        {kClient, to_buf(vectors::kShareLevelFrame10)},
        {kServer, to_buf(vectors::kShareLevelFrame11)},
        {kClient, to_buf(vectors::kShareLevelFrame13)},
        {kServer, to_buf(vectors::kShareLevelFrame14)},
        {kClient, to_buf(vectors::kShareLevelFrame16)},
        {kServer, to_buf(vectors::kShareLevelFrame17)},
        {kClient, to_buf(vectors::kShareLevelFrame19)},
        {kServer, to_buf(vectors::kShareLevelFrame20)},
        {kClient, to_buf(vectors::kShareLevelFrame22)},
        {kServer, to_buf(vectors::kShareLevelFrame23)},
        {kClient, to_buf(vectors::kShareLevelFrame24)},
        {kServer, to_buf(vectors::kShareLevelFrame25)},
        {kClient, to_buf(vectors::kShareLevelFrame26)},
        {kServer, to_buf(vectors::kShareLevelFrame27)},
        {kClient, to_buf(vectors::kShareLevelFrame29)},
        {kServer, to_buf(vectors::kShareLevelFrame30)},
    };
    Capture cap;
    std::vector<std::uint32_t> frames;
    for (const auto &p : capture)
        frames.push_back(cap.pdu(kConn, p.side, p.bytes));
    const std::uint32_t setup = frames[3];
    const SessionView v = cap.view_at(setup);
    EXPECT_EQ(v.id, 0u);
    EXPECT_TRUE(v.id_known);
    EXPECT_TRUE(v.guest);
    EXPECT_FALSE(v.anonymous); // account "user" with a 2-byte password
    EXPECT_EQ(v.server, Policy::Disabled);
    EXPECT_EQ(v.client, Policy::Disabled); // Flags2 0xc801: no signing bits
    EXPECT_EQ(v.setup_frame, setup);
    EXPECT_EQ(v.counted, 16u); // everything after the SESSION_SETUP response
    EXPECT_EQ(v.counted_signed, 0u);
    EXPECT_EQ(v.verdict, Verdict::Unsigned);
    EXPECT_EQ(v.predicted, Predicted::Unsigned);
    EXPECT_EQ(v.observed, Observed::Established);
    EXPECT_EQ(v.outcome_frame, frames[5]);
    EXPECT_EQ(v.consistent, std::optional<bool>(true));
    EXPECT_EQ(cap.tracker.session_count(), 1u);
    for (const auto f : frames)
        EXPECT_EQ(cap.session_at(f), cap.session_at(setup)) << "frame " << f;
}

// smb1-lanman-sm0003-negotiate-only.pcap frame 6.
TEST(TrackerReal, LanmanServerCannotSign) {
    Capture cap;
    const auto f = cap.pdu(kConn, kServer, vectors::kSmb1NegotiateResponseLanman);
    const SessionView v = cap.view_at(f);
    EXPECT_EQ(v.dialect, Dialect::Lanman);
    EXPECT_EQ(v.server, Policy::Disabled);
}

TEST(TrackerReal, OnPduReturnsWhatItAnalysed) {
    Tracker t;
    const Buf compound = to_buf(vectors::kSmb2CompoundResponseWin7);
    EXPECT_EQ(t.on_pdu(kConn, kServer, 1, span(compound), compound.size()), compound.size());
    const Buf smb1 = to_buf(vectors::kSmb1TreeConnectRequestWin7);
    EXPECT_EQ(t.on_pdu(kOtherConn, kClient, 2, span(smb1), smb1.size()), smb1.size());
}

} // namespace
