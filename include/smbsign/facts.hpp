// What the tracker observed, per connection and per session, as plain structs: the inputs of
// derive() (derive.hpp). Nothing here is derived: policies, verdicts and outcomes are computed
// from these facts on request. Like Samba's smb_signing_state, what a peer advertised
// (NegotiateFacts, LogonFacts) is kept apart from what its messages showed (MessageCounts,
// SessionFacts' outcome frames) and from how the connection ended (CloseFact). Meanings:
// doc/DEFINITIONS.md.
#pragma once

#include "smbsign/dialect.hpp"
#include "smbsign/frame_log.hpp"
#include "smbsign/matrix.hpp"
#include "smbsign/smb2.hpp"

#include <cstdint>

namespace smbsign {

// --- Per connection ---------------------------------------------------------------------

// What the connection's NEGOTIATE exchange showed (MS-CIFS 2.2.4.52, MS-SMB2 2.2.3/2.2.4).
struct NegotiateFacts {
    std::uint32_t response_frame = kNoFrame;      // the last NEGOTIATE response
    std::uint32_t client_policy_frame = kNoFrame; // the SMB2 NEGOTIATE request
    Dialect dialect = Dialect::Unknown;
    Policy server_policy = Policy::Unknown;
    smb2::SigningAlgorithm signing_algorithm = smb2::SigningAlgorithm::Unknown;
    smb2::Cipher cipher = smb2::Cipher::None;
    std::uint16_t smb1_request_flags2 = 0;       // SMB1 NEGOTIATE request Flags2
    std::uint16_t smb2_client_security_mode = 0; // SMB2 NEGOTIATE request SecurityMode
    bool request_seen = false;
    bool response_seen = false;
    bool smb2_client_security_mode_seen = false;
};

// The connection's last SMB message (the close rules look at it).
struct LastMessage {
    std::uint32_t session = kNoSession;
    bool is_request = false;
    bool is_signed = false;
    bool negotiate_response = false; // a NEGOTIATE response and nothing after it
};

struct ConnectionFacts {
    Family family = Family::Unknown; // of the NEGOTIATE response, else of the first message
    NegotiateFacts negotiate;
    LastMessage last;
    bool setup_request_seen = false; // any SESSION_SETUP request on the connection
    bool malformed = false;          // a message no session could own failed to parse
};

enum class CloseSide : std::uint8_t { Unknown, Client, Server };

// The connection's first FIN or RST: which frame, from which side, and the connection's facts
// as they stood then (messages may still follow a FIN; the close rules judge the state the
// close ended).
struct CloseFact {
    std::uint32_t frame = kNoFrame;
    CloseSide by = CloseSide::Unknown;
    ConnectionFacts then;
};

// --- Per session -------------------------------------------------------------------------

enum class SetupState : std::uint8_t { None, InProgress, Succeeded, Failed };

// What the session's SESSION_SETUP exchange showed: the client's advertised policy, the
// server's grant.
struct LogonFacts {
    SetupState state = SetupState::None;
    std::uint16_t smb1_request_flags2 = 0;       // of the last SESSION_SETUP_ANDX request
    std::uint8_t smb2_request_security_mode = 0; // of the last SMB2 SESSION_SETUP request
    bool smb1_request_flags2_seen = false;
    bool smb2_request_security_mode_seen = false;
    bool request_seen = false;
    bool guest = false;
    bool anonymous = false;
    bool smb2_null = false; // SESSION_SETUP response SessionFlags IS_NULL
    bool tree_connect_answered = false;
};

// The session's counted messages (doc/DEFINITIONS.md, "Counted messages and signatures").
struct MessageCounts {
    std::uint32_t requests = 0;
    std::uint32_t responses = 0;
    std::uint32_t signed_requests = 0;
    std::uint32_t signed_responses = 0;
    std::uint32_t encrypted = 0;
    std::uint32_t first_signed_frame = kNoFrame;
    std::uint32_t first_unsigned_frame = kNoFrame;
};

struct SessionFacts {
    std::uint64_t id = 0;
    std::uint32_t negotiate_frame = kNoFrame;
    std::uint32_t setup_frame = kNoFrame;       // final successful SESSION_SETUP response
    std::uint32_t auth_failed_frame = kNoFrame; // last failed SESSION_SETUP response
    std::uint32_t client_policy_frame = kNoFrame;
    std::uint32_t invalid_signature_frame = kNoFrame; // first STATUS_INVALID_SIGNATURE answer
    std::uint32_t denied_frame = kNoFrame;
    std::uint32_t established_frame = kNoFrame;
    std::uint32_t replaced_frame = kNoFrame; // a new logon took over this session's id
    MessageCounts counts;
    LogonFacts logon;
    LogonFacts logon_at_close;  // the logon as it stood at the connection's close
    bool open_at_close = false; // the session was live (not replaced) when its connection closed
    Family family = Family::Unknown; // the connection's, when the session was opened
    bool id_known = false;
    bool mid_capture = false;
    bool logged_off = false; // a LOGOFF of this session was answered with success
    bool malformed = false;
};

// --- Recording ---------------------------------------------------------------------------

// One counted message of a session.
inline void record_counted(MessageCounts &c, std::uint32_t frame, bool response,
                           bool is_signed) noexcept {
    (response ? c.responses : c.requests)++;
    if (is_signed) {
        (response ? c.signed_responses : c.signed_requests)++;
        if (c.first_signed_frame == kNoFrame)
            c.first_signed_frame = frame;
    } else if (c.first_unsigned_frame == kNoFrame) {
        c.first_unsigned_frame = frame;
    }
}

// A TREE_CONNECT (or SMB1 chained TREE_CONNECT_ANDX) response of the session.
inline void record_tree_connect_answer(SessionFacts &s, std::uint32_t frame, bool denied) noexcept {
    s.logon.tree_connect_answered = true;
    if (denied) {
        if (s.denied_frame == kNoFrame)
            s.denied_frame = frame;
    } else if (s.established_frame == kNoFrame) {
        s.established_frame = frame;
    }
}

inline void record_invalid_signature(SessionFacts &s, std::uint32_t frame) noexcept {
    if (s.invalid_signature_frame == kNoFrame)
        s.invalid_signature_frame = frame;
}

} // namespace smbsign
