// SMB2/3 messages (parsed by smb2.hpp) as facts: NEGOTIATE, SESSION_SETUP, transform headers,
// and the messages that decide outcomes and counts. One compound element at a time: the
// tracker walks the chain. Rules: doc/DEFINITIONS.md.
#pragma once

#include "smbsign/derive.hpp"
#include "smbsign/facts.hpp"
#include "smbsign/recorder.hpp"
#include "smbsign/smb2.hpp"

namespace smbsign {

class Smb2Handler {
public:
    explicit Smb2Handler(Recorder rec) noexcept : rec_(rec) {}

    // One SMB2 message (a compound element up to its NextCommand) with its parsed header.
    void message(CurrentMessage &m, const smb2::Header &h, Bytes msg) const noexcept;
    // One SMB3 transform header (an encrypted message), parsed into `t`. True when the
    // message counts for an established session (the ones the verifier checks).
    bool transform(CurrentMessage &m, Bytes data, smb2::TransformHeader &t) const noexcept;

private:
    void negotiate(CurrentMessage &m, const smb2::Header &h, Bytes msg) const noexcept;
    void session_setup(CurrentMessage &m, const smb2::Header &h, Bytes msg) const noexcept;
    void setup_response(CurrentMessage &m, const smb2::Header &h, Bytes msg) const noexcept;
    // Runs for every message of a session: kept inline, as a call costs a noticeable share.
    [[gnu::always_inline]] bool counts(CurrentMessage &m, SessionFacts &s, const smb2::Header &h,
                                       Bytes msg) const noexcept;

    Recorder rec_;
};

inline void Smb2Handler::message(CurrentMessage &m, const smb2::Header &h,
                                 Bytes msg) const noexcept {
    Connection &c = *m.conn;
    c.learn_direction(m.side, h.is_response());
    if (h.command == smb2::kCmdNegotiate) {
        negotiate(m, h, msg);
        rec_.finish(m, !h.is_response(), h.is_signed());
        return;
    }
    c.facts.last.negotiate_response = false;
    if (c.facts.family == Family::Unknown)
        c.facts.family = Family::Smb2;
    if (h.command == smb2::kCmdSessionSetup) {
        session_setup(m, h, msg);
        rec_.finish(m, !h.is_response(), h.is_signed());
        return;
    }
    if (h.command == smb2::kCmdLogoff && h.is_response() && !h.is_interim())
        rec_.table().logoff_answered(c, h.message_id, h.status == smb2::kStatusSuccess);
    m.session = rec_.table().session_for(m, h.session_id);
    if (m.session == kNoSession) {
        rec_.finish(m, !h.is_response(), h.is_signed() || m.decrypted);
        return;
    }
    SessionFacts &s = rec_.table().session(m.session).facts;
    if (h.is_response() && h.status == smb2::kStatusInvalidSignature)
        record_invalid_signature(s, m.frame);
    const bool counted =
        counts(m, s, h, msg) && (s.logon.state == SetupState::Succeeded || s.mid_capture);
    if (s.mid_capture && h.is_response() && h.tree_id != 0 && h.status == smb2::kStatusSuccess &&
        s.established_frame == kNoFrame)
        s.established_frame = m.frame;
    // A decrypted message was counted as encrypted already; its TREE_CONNECT answers,
    // logoffs and closes count like any other (doc/DEFINITIONS.md, "Encrypted messages").
    if (counted && !m.decrypted)
        record_counted(s.counts, m.frame, h.is_response(), h.is_signed());
    rec_.finish(m, !h.is_response(), h.is_signed() || m.decrypted);
}

// Whether a message of the session says something about its signing (doc/DEFINITIONS.md,
// "Counted messages"); also records the TREE_CONNECT answers and the requests whose answers
// must be recognised by MessageId.
inline bool Smb2Handler::counts(CurrentMessage &m, SessionFacts &s, const smb2::Header &h,
                                Bytes msg) const noexcept {
    bool counts = !h.is_interim();
    switch (h.command) {
    case smb2::kCmdTreeConnect:
        if (h.is_response() && !h.is_interim())
            record_tree_connect_answer(s, m.frame, h.status == smb2::kStatusAccessDenied);
        return false; // signed even in unsigned sessions
    case smb2::kCmdIoctl: {
        // VALIDATE_NEGOTIATE_INFO and QUERY_NETWORK_INTERFACE_INFO are signed even in
        // unsigned sessions; an error response to them carries no CtlCode, so the
        // request is remembered by MessageId.
        std::uint32_t code = 0;
        const bool excluded = smb2::ioctl_code(msg, h.is_response(), code) &&
                              (code == smb2::kFsctlValidateNegotiateInfo ||
                               code == smb2::kFsctlQueryNetworkInterfaceInfo);
        if (!h.is_response()) {
            if (excluded)
                rec_.table().remember(m, h.message_id, PendingKind::ExcludedIoctl);
            return counts && !excluded;
        }
        if (!h.is_interim()) {
            const bool asked = m.conn->pending.answered(h.message_id, PendingKind::ExcludedIoctl);
            return counts && !excluded && !asked;
        }
        return counts;
    }
    case smb2::kCmdLogoff:
        if (!h.is_response())
            rec_.table().remember(m, h.message_id, PendingKind::Logoff);
        return counts;
    case smb2::kCmdCancel:
    case smb2::kCmdOplockBreak:
        return false;
    default:
        return counts;
    }
}

inline void Smb2Handler::negotiate(CurrentMessage &m, const smb2::Header &h,
                                   Bytes msg) const noexcept {
    ConnectionFacts &c = m.conn->facts;
    NegotiateFacts &n = c.negotiate;
    m.session = rec_.table().pending_session(m);
    if (!h.is_response()) {
        smb2::NegotiateRequest r;
        const auto e = smb2::parse_negotiate_request(msg, r);
        n.request_seen = true;
        if (e != ParseError::None) {
            rec_.body_error(m, e);
            return;
        }
        n.smb2_client_security_mode = r.security_mode;
        n.smb2_client_security_mode_seen = true;
        n.client_policy_frame = m.frame;
        return;
    }
    if (smb2::is_error(h.status)) {
        n.response_seen = true;
        return;
    }
    smb2::NegotiateResponse r;
    if (auto e = smb2::parse_negotiate_response(msg, r); e != ParseError::None) {
        rec_.body_error(m, e);
        if (e == ParseError::Truncated && r.dialect == 0)
            return;
    }
    c.family = Family::Smb2;
    n.dialect = dialect_from_smb2(r.dialect);
    n.signing_algorithm = smb2::signing_algorithm_of(r);
    n.cipher = r.cipher;
    // MS-SMB2 2.2.4: a server always sets SIGNING_ENABLED.
    if (!(r.security_mode & smb2::kSigningEnabled))
        m.anomalies |= bit(Anomaly::InvalidSecurityMode);
    rec_.table().record_negotiate_response(m, policy_from_smb2_mode(r.security_mode));
}

inline void Smb2Handler::session_setup(CurrentMessage &m, const smb2::Header &h,
                                       Bytes msg) const noexcept {
    if (h.is_response()) {
        if (!h.is_interim())
            setup_response(m, h, msg);
        return;
    }
    m.session = rec_.table().setup_request_session(m, h.session_id);
    if (m.session == kNoSession)
        return;
    SessionFacts &s = rec_.table().session(m.session).facts;
    smb2::SessionSetupRequest r;
    const auto e = smb2::parse_session_setup_request(msg, r);
    m.setup = {r.security_blob, (r.flags & smb2::kSessionFlagBinding) != 0};
    if (e != ParseError::Truncated || m.truncated)
        rec_.body_error(m, e);
    else
        rec_.body_error(m, ParseError::Malformed); // the blob lies outside the message
    if (e == ParseError::Malformed)
        return;
    s.logon.smb2_request_security_mode = r.security_mode;
    s.logon.smb2_request_security_mode_seen = true;
    if (!m.conn->facts.negotiate.smb2_client_security_mode_seen)
        s.client_policy_frame = m.frame;
    if (r.auth != NtlmAuth::None)
        s.logon.anonymous = r.auth == NtlmAuth::Anonymous;
}

inline void Smb2Handler::setup_response(CurrentMessage &m, const smb2::Header &h,
                                        Bytes msg) const noexcept {
    m.session = rec_.table().setup_response_session(m, h.session_id, false);
    if (m.session == kNoSession)
        return;
    SessionFacts &s = rec_.table().session(m.session).facts;
    smb2::SessionSetupResponse r;
    const auto e = smb2::parse_session_setup_response(msg, r);
    m.setup.security_blob = r.security_blob;
    if (h.status == smb2::kStatusMoreProcessingRequired) {
        s.logon.state = SetupState::InProgress;
        return;
    }
    if (h.status != smb2::kStatusSuccess) {
        s.logon.state = SetupState::Failed;
        s.auth_failed_frame = m.frame;
        if (h.status == smb2::kStatusInvalidSignature)
            record_invalid_signature(s, m.frame);
        return;
    }
    const std::uint16_t flags = r.session_flags;
    rec_.body_error(m, e);
    s.logon.state = SetupState::Succeeded;
    s.setup_frame = m.frame;
    s.auth_failed_frame = kNoFrame;
    s.logon.guest = (flags & smb2::kSessionIsGuest) != 0;
    s.logon.smb2_null = (flags & smb2::kSessionIsNull) != 0;
    if (s.logon.smb2_null)
        s.logon.anonymous = true;
}

inline bool Smb2Handler::transform(CurrentMessage &m, Bytes data,
                                   smb2::TransformHeader &t) const noexcept {
    if (auto e = smb2::parse_transform_header(data, t); e != ParseError::None) {
        rec_.header_error(m, e);
        return false;
    }
    Connection &c = *m.conn;
    c.facts.last.negotiate_response = false;
    if (c.facts.family == Family::Unknown)
        c.facts.family = Family::Smb2;
    m.session = rec_.table().session_for(m, t.session_id);
    const bool from_client = c.server_side_known && m.side != c.server_side;
    bool counted = false;
    if (m.session != kNoSession) {
        SessionFacts &s = rec_.table().session(m.session).facts;
        if (s.logon.state == SetupState::Succeeded || s.mid_capture) {
            s.counts.encrypted++;
            counted = true;
            if (s.established_frame == kNoFrame)
                s.established_frame = m.frame;
        }
    }
    // An encrypted request hides whether it is answered; treat it as signed.
    rec_.finish(m, from_client, true);
    return counted;
}

} // namespace smbsign
