// The tracker, part 3 of 4: SMB2/3 messages (compound chains, NEGOTIATE, SESSION_SETUP,
// transform headers, the messages that decide outcomes). Included by tracker.hpp.
#pragma once

#include "smbsign/tracker.hpp"

namespace smbsign {

// --- SMB2/3 -----------------------------------------------------------------

inline std::size_t Tracker::smb2_chain(Msg &m, Bytes data) noexcept {
    std::size_t off = 0;
    std::uint64_t previous_session = 0;
    for (;;) {
        Bytes rest = data.subspan(off);
        smb2::Header h;
        if (auto e = smb2::parse_header(rest, h); e != ParseError::None) {
            header_error(m, e);
            return data.size();
        }
        // MS-SMB2 3.2.4.1.4: related operations may inherit the session id.
        if (h.is_related() && h.session_id == smb2::kRelatedSessionInherit)
            h.session_id = previous_session;
        previous_session = h.session_id;
        Msg one = m;
        one.anomalies = 0;
        const Bytes bytes = smb2::message_bytes(rest, h);
        smb2_message(one, h, bytes);
        verify_message(one, h, bytes,
                       m.truncated && (h.next_command == 0 || h.next_command > rest.size()));
        // Wireshark locates each element of a compound chain on its own, so a link past
        // the located bytes is normal: the next element comes as its own PDU.
        if (h.next_command == 0 || h.next_command >= rest.size())
            return data.size();
        off += h.next_command;
    }
}

inline void Tracker::smb2_message(Msg &m, const smb2::Header &h, Bytes msg) noexcept {
    Connection &c = *m.conn;
    learn_direction(m, h.is_response());
    if (h.command == smb2::kCmdNegotiate) {
        smb2_negotiate(m, h, msg);
        finish(m, !h.is_response(), h.is_signed());
        return;
    }
    c.last_is_negotiate_response = false;
    if (c.family == Family::Unknown)
        c.family = Family::Smb2;
    if (h.command == smb2::kCmdSessionSetup) {
        smb2_session_setup(m, h, msg);
        finish(m, !h.is_response(), h.is_signed());
        return;
    }
    if (h.command == smb2::kCmdLogoff && h.is_response() && !h.is_interim())
        logoff_answered(c, h.message_id, h.status == smb2::kStatusSuccess);
    m.session = session_for(m, h.session_id);
    if (m.session == kNoSession) {
        finish(m, !h.is_response(), h.is_signed());
        return;
    }
    Session &s = sessions_[m.session];
    if (h.is_response() && h.status == smb2::kStatusInvalidSignature &&
        s.signing_failure_frame == kNoFrame)
        s.signing_failure_frame = m.frame;
    bool counts = s.setup == SetupState::Succeeded || s.mid_capture;
    switch (h.command) {
    case smb2::kCmdTreeConnect:
        if (h.is_response() && !h.is_interim())
            tree_connect_answered(s, m.frame, h.status == smb2::kStatusAccessDenied);
        counts = false; // signed even in unsigned sessions
        break;
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
                remember(m, h.message_id, PendingKind::ExcludedIoctl);
            counts = counts && !excluded;
        } else if (!h.is_interim()) {
            const bool asked = answered(c, h.message_id, PendingKind::ExcludedIoctl);
            counts = counts && !excluded && !asked;
        }
        break;
    }
    case smb2::kCmdLogoff:
        if (!h.is_response())
            remember(m, h.message_id, PendingKind::Logoff);
        break;
    case smb2::kCmdCancel:
    case smb2::kCmdOplockBreak:
        counts = false;
        break;
    default:
        break;
    }
    if (h.is_interim())
        counts = false;
    if (s.mid_capture && h.is_response() && h.tree_id != 0 && h.status == smb2::kStatusSuccess &&
        s.established_frame == kNoFrame)
        s.established_frame = m.frame;
    if (counts)
        count(s, m.frame, h.is_response(), h.is_signed());
    finish(m, !h.is_response(), h.is_signed());
}

inline void Tracker::smb2_negotiate(Msg &m, const smb2::Header &h, Bytes msg) noexcept {
    Connection &c = *m.conn;
    m.session = pending_session(m);
    if (!h.is_response()) {
        smb2::NegotiateRequest r;
        const auto e = smb2::parse_negotiate_request(msg, r);
        c.negotiate_request_seen = true;
        if (e != ParseError::None) {
            body_error(m, e);
            return;
        }
        c.smb2_client_security_mode = r.security_mode;
        c.smb2_client_security_mode_seen = true;
        c.client_policy_frame = m.frame;
        return;
    }
    if (smb2::is_error(h.status)) {
        c.negotiate_response_seen = true;
        return;
    }
    smb2::NegotiateResponse r;
    if (auto e = smb2::parse_negotiate_response(msg, r); e != ParseError::None) {
        body_error(m, e);
        if (e == ParseError::Truncated && r.dialect == 0)
            return;
    }
    c.family = Family::Smb2;
    c.dialect = dialect_from_smb2(r.dialect);
    c.signing_algorithm = smb2::signing_algorithm_of(r);
    c.cipher = r.cipher;
    // MS-SMB2 2.2.4: a server always sets SIGNING_ENABLED.
    if (!(r.security_mode & smb2::kSigningEnabled))
        m.anomalies |= bit(Anomaly::InvalidSecurityMode);
    set_server_policy(m, policy_from_smb2_mode(r.security_mode));
}

inline void Tracker::smb2_session_setup(Msg &m, const smb2::Header &h, Bytes msg) noexcept {
    Connection &conn = *m.conn;
    if (!h.is_response()) {
        m.session = setup_request_session(m, h.session_id);
        if (m.session == kNoSession)
            return;
        Session &s = sessions_[m.session];
        smb2::SessionSetupRequest r;
        const auto e = smb2::parse_session_setup_request(msg, r);
        m.setup = {r.security_blob, (r.flags & smb2::kSessionFlagBinding) != 0};
        if (e != ParseError::Truncated || m.truncated)
            body_error(m, e);
        else
            body_error(m, ParseError::Malformed); // the blob lies outside the message
        if (e == ParseError::Malformed)
            return;
        s.smb2_setup_security_mode = r.security_mode;
        s.smb2_setup_security_mode_seen = true;
        if (!conn.smb2_client_security_mode_seen)
            s.client_policy_frame = m.frame;
        if (r.auth != NtlmAuth::None)
            s.anonymous = r.auth == NtlmAuth::Anonymous;
        return;
    }
    if (h.is_interim())
        return;
    m.session = setup_response_session(m, h.session_id, false);
    if (m.session == kNoSession)
        return;
    Session &s = sessions_[m.session];
    smb2::SessionSetupResponse r;
    const auto e = smb2::parse_session_setup_response(msg, r);
    m.setup.security_blob = r.security_blob;
    if (h.status == smb2::kStatusMoreProcessingRequired) {
        s.setup = SetupState::InProgress;
        return;
    }
    if (h.status != smb2::kStatusSuccess) {
        s.setup = SetupState::Failed;
        s.auth_failed_frame = m.frame;
        if (h.status == smb2::kStatusInvalidSignature && s.signing_failure_frame == kNoFrame)
            s.signing_failure_frame = m.frame;
        return;
    }
    const std::uint16_t flags = r.session_flags;
    body_error(m, e);
    s.setup = SetupState::Succeeded;
    s.setup_frame = m.frame;
    s.auth_failed_frame = kNoFrame;
    s.guest = (flags & smb2::kSessionIsGuest) != 0;
    s.smb2_null = (flags & smb2::kSessionIsNull) != 0;
    if (s.smb2_null)
        s.anonymous = true;
}

inline void Tracker::smb2_transform(Msg &m, Bytes data) noexcept {
    smb2::TransformHeader t;
    if (auto e = smb2::parse_transform_header(data, t); e != ParseError::None) {
        header_error(m, e);
        return;
    }
    Connection &c = *m.conn;
    c.last_is_negotiate_response = false;
    if (c.family == Family::Unknown)
        c.family = Family::Smb2;
    m.session = session_for(m, t.session_id);
    const bool from_client = c.server_side_known && m.side != c.server_side;
    if (m.session != kNoSession) {
        Session &s = sessions_[m.session];
        if (s.setup == SetupState::Succeeded || s.mid_capture) {
            s.counted_encrypted++;
            if (s.established_frame == kNoFrame)
                s.established_frame = m.frame;
        }
    }
    // An encrypted request hides whether it is answered; treat it as signed.
    finish(m, from_client, true);
}

} // namespace smbsign
