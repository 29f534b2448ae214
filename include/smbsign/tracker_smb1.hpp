// The tracker, part 2 of 4: SMB1 messages (header, NEGOTIATE, SESSION_SETUP_ANDX, the
// messages that decide outcomes). Included by tracker.hpp.
#pragma once

#include "smbsign/tracker.hpp"

namespace smbsign {

// --- SMB1 -------------------------------------------------------------------

// One SMB1 message, its header and AndX chain parsed by on_pdu.
inline void Tracker::smb1_message(Msg &m, const smb1::Header &h,
                                  const smb1::Chain &chain) noexcept {
    Connection &c = *m.conn;
    learn_direction(m, h.is_reply());
    if (c.family == Family::Unknown)
        c.family = Family::Smb1;
    const bool chain_ok = chain.count > 0;

    if (h.command == smb1::kCmdNegotiate) {
        smb1_negotiate(m, h, chain);
        finish(m, !h.is_reply(), false);
        return;
    }
    if (h.command == smb1::kCmdSessionSetupAndX) {
        smb1_session_setup(m, h, chain);
        finish(m, !h.is_reply(), h.has_signature());
        return;
    }
    const std::uint64_t key = h.mid | static_cast<std::uint64_t>(h.pid) << 16;
    if (h.command == smb1::kCmdLogoffAndX && h.is_reply())
        logoff_answered(c, key, h.success());
    m.session = session_for(m, h.uid);
    c.last_is_negotiate_response = false;
    if (m.session == kNoSession) {
        finish(m, !h.is_reply(), h.has_signature());
        return;
    }
    Session &s = sessions_[m.session];
    if (h.is_reply() && h.nt_status() && h.status == smb1::kStatusInvalidSignature &&
        s.signing_failure_frame == kNoFrame)
        s.signing_failure_frame = m.frame;
    if (h.is_reply() && (h.command == smb1::kCmdTreeConnectAndX || h.command == smb1::kCmdTreeConnect))
        tree_connect_answered(s, m.frame, h.access_denied());
    if (h.command == smb1::kCmdLogoffAndX && !h.is_reply())
        remember(m, key, PendingKind::Logoff);
    if (h.command == smb1::kCmdTransaction2) {
        // Trans2 GET_DFS_REFERRAL: the response does not repeat the subcommand.
        if (!h.is_reply()) {
            std::uint16_t sub = 0;
            if (chain_ok && smb1::trans2_subcommand(chain.blocks[0], sub) &&
                sub == smb1::kTrans2GetDfsReferral)
                remember(m, key, PendingKind::DfsReferral);
        } else if (answered(c, key, PendingKind::DfsReferral) && h.access_denied() &&
                   s.denied_frame == kNoFrame) {
            s.denied_frame = m.frame;
        }
    }
    if (s.mid_capture && h.is_reply() && h.tid != 0 && h.success() && s.established_frame == kNoFrame)
        s.established_frame = m.frame;
    const bool counts = s.setup == SetupState::Succeeded || s.mid_capture;
    if (counts && !(chain_ok && smb1::is_oplock_break(h, chain.blocks[0])))
        count(s, m.frame, h.is_reply(), h.has_signature());
    finish(m, !h.is_reply(), h.has_signature());
}

inline void Tracker::smb1_negotiate(Msg &m, const smb1::Header &h, const smb1::Chain &c) noexcept {
    Connection &conn = *m.conn;
    m.session = pending_session(m);
    if (c.count == 0) {
        body_error(m, c.error);
        return;
    }
    if (!h.is_reply()) {
        conn.negotiate_request_seen = true;
        conn.smb1_negotiate_flags2 = h.flags2;
        return;
    }
    smb1::NegotiateResponse r;
    if (auto e = smb1::parse_negotiate_response(c.blocks[0], r); e != ParseError::None) {
        body_error(m, e);
        return;
    }
    conn.family = Family::Smb1;
    Policy p = Policy::Unknown;
    switch (r.format) {
    case smb1::NegotiateFormat::NtLm: {
        // MS-CIFS 2.2.4.52.2 SecurityMode.
        if (r.security_mode & smb1::kSecModeSignaturesRequired)
            p = Policy::Required;
        else if (r.security_mode & smb1::kSecModeSignaturesEnabled)
            p = Policy::Enabled;
        else
            p = Policy::Disabled;
        if ((r.security_mode & smb1::kSecModeSignaturesRequired) &&
            !(r.security_mode & smb1::kSecModeSignaturesEnabled))
            m.anomalies |= bit(Anomaly::InvalidSecurityMode);
        // The NT LM 0.12 format, also when the name chosen was an alias such as
        // "NT LANMAN 1.0" or "Samba".
        conn.dialect = Dialect::NtLm012;
        conn.signing_algorithm = smb2::SigningAlgorithm::Md5;
        break;
    }
    case smb1::NegotiateFormat::Lanman: // LANMAN dialects cannot sign
        p = Policy::Disabled;
        conn.dialect = Dialect::Lanman;
        break;
    case smb1::NegotiateFormat::Core:
        p = Policy::Disabled;
        conn.dialect = Dialect::Core;
        break;
    case smb1::NegotiateFormat::None:
        break; // no common dialect: the connection cannot go on
    }
    set_server_policy(m, p);
    if (r.format == smb1::NegotiateFormat::None)
        conn.negotiate_response_seen = true;
}

inline void Tracker::smb1_session_setup(Msg &m, const smb1::Header &h,
                                        const smb1::Chain &c) noexcept {
    Connection &conn = *m.conn;
    conn.last_is_negotiate_response = false;
    if (!h.is_reply()) {
        m.session = setup_request_session(m, h.uid);
        if (m.session == kNoSession)
            return;
        Session &s = sessions_[m.session];
        s.smb1_setup_flags2 = h.flags2;
        s.smb1_setup_flags2_seen = true;
        s.client_policy_frame = m.frame;
        if (c.count == 0) {
            body_error(m, c.error);
            return;
        }
        smb1::SessionSetupRequest req;
        const auto e = smb1::parse_session_setup_request(h, c.blocks[0], req);
        m.setup.security_blob = req.security_blob;
        body_error(m, e == ParseError::Truncated && !m.truncated ? ParseError::Malformed : e);
        if (e == ParseError::None || req.anonymous)
            s.anonymous = req.anonymous;
        return;
    }
    const bool setup_words = c.count > 0 && c.blocks[0].word_count > 0;
    m.session = setup_response_session(m, h.uid, h.success() || setup_words);
    if (m.session == kNoSession)
        return;
    Session &s = sessions_[m.session];
    if (setup_words)
        m.setup.security_blob = smb1::session_setup_response_blob(c.blocks[0]);
    if (h.nt_status() && h.status == smb1::kStatusMoreProcessingRequired) {
        s.setup = SetupState::InProgress;
    } else if (h.success() || setup_words) {
        // A chained TREE_CONNECT may carry the error while the setup itself succeeded.
        s.setup = SetupState::Succeeded;
        s.setup_frame = m.frame;
        s.auth_failed_frame = kNoFrame;
        s.guest = setup_words && smb1::session_setup_response_guest(c.blocks[0]);
        for (std::size_t i = 1; i < c.count; ++i)
            if (c.blocks[i].command == smb1::kCmdTreeConnectAndX)
                tree_connect_answered(s, m.frame, h.access_denied());
    } else {
        s.setup = SetupState::Failed;
        s.auth_failed_frame = m.frame;
        if (h.nt_status() && h.status == smb1::kStatusInvalidSignature &&
            s.signing_failure_frame == kNoFrame)
            s.signing_failure_frame = m.frame;
    }
}

} // namespace smbsign
