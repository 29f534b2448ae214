// SMB1 messages (parsed by smb1.hpp) as facts: NEGOTIATE, SESSION_SETUP_ANDX, and the
// messages that decide outcomes and counts. Rules: doc/DEFINITIONS.md.
#pragma once

#include "smbsign/facts.hpp"
#include "smbsign/recorder.hpp"
#include "smbsign/smb1.hpp"

namespace smbsign {

class Smb1Handler {
public:
    explicit Smb1Handler(Recorder rec) noexcept : rec_(rec) {}

    // One SMB1 message, from \xffSMB to its end.
    void message(CurrentMessage &m, const smb1::Header &h, const smb1::Chain &chain) const noexcept;

private:
    void negotiate(CurrentMessage &m, const smb1::Header &h, const smb1::Chain &c) const noexcept;
    void session_setup(CurrentMessage &m, const smb1::Header &h,
                       const smb1::Chain &c) const noexcept;
    void setup_response(CurrentMessage &m, const smb1::Header &h,
                        const smb1::Chain &c) const noexcept;
    // Runs for every message of a session: kept inline, as a call costs a noticeable share.
    [[gnu::always_inline]] void session_message(CurrentMessage &m, SessionFacts &s,
                                                const smb1::Header &h,
                                                const smb1::Chain &c) const noexcept;

    Recorder rec_;
};

// One SMB1 message, its header and AndX chain parsed by the tracker (which hands the same
// records to the verifier).
inline void Smb1Handler::message(CurrentMessage &m, const smb1::Header &h,
                                 const smb1::Chain &chain) const noexcept {
    Connection &c = *m.conn;
    c.learn_direction(m.side, h.is_reply());
    if (c.facts.family == Family::Unknown)
        c.facts.family = Family::Smb1;

    if (h.command == smb1::kCmdNegotiate) {
        negotiate(m, h, chain);
        rec_.finish(m, !h.is_reply(), false);
        return;
    }
    if (h.command == smb1::kCmdSessionSetupAndX) {
        session_setup(m, h, chain);
        rec_.finish(m, !h.is_reply(), h.has_signature());
        return;
    }
    if (h.command == smb1::kCmdLogoffAndX && h.is_reply())
        rec_.table().logoff_answered(c, PendingRequests::smb1_key(h.mid, h.pid), h.success());
    m.session = rec_.table().session_for(m, h.uid);
    c.facts.last.negotiate_response = false;
    if (m.session != kNoSession)
        session_message(m, rec_.table().session(m.session).facts, h, chain);
    rec_.finish(m, !h.is_reply(), h.has_signature());
}

// Any other message of a known session.
inline void Smb1Handler::session_message(CurrentMessage &m, SessionFacts &s, const smb1::Header &h,
                                         const smb1::Chain &chain) const noexcept {
    const bool chain_ok = chain.count > 0;
    const std::uint64_t key = PendingRequests::smb1_key(h.mid, h.pid);
    if (h.is_reply() && h.nt_status() && h.status == smb1::kStatusInvalidSignature)
        record_invalid_signature(s, m.frame);
    if (h.is_reply() &&
        (h.command == smb1::kCmdTreeConnectAndX || h.command == smb1::kCmdTreeConnect))
        record_tree_connect_answer(s, m.frame, h.access_denied());
    if (h.command == smb1::kCmdLogoffAndX && !h.is_reply())
        rec_.table().remember(m, key, PendingKind::Logoff);
    if (h.command == smb1::kCmdTransaction2) {
        // Trans2 GET_DFS_REFERRAL: the response does not repeat the subcommand.
        if (!h.is_reply()) {
            std::uint16_t sub = 0;
            if (chain_ok && smb1::trans2_subcommand(chain.blocks[0], sub) &&
                sub == smb1::kTrans2GetDfsReferral)
                rec_.table().remember(m, key, PendingKind::DfsReferral);
        } else if (m.conn->pending.answered(key, PendingKind::DfsReferral) && h.access_denied() &&
                   s.denied_frame == kNoFrame) {
            s.denied_frame = m.frame;
        }
    }
    if (s.mid_capture && h.is_reply() && h.tid != 0 && h.success() &&
        s.established_frame == kNoFrame)
        s.established_frame = m.frame;
    const bool counts = s.logon.state == SetupState::Succeeded || s.mid_capture;
    if (counts && !(chain_ok && smb1::is_oplock_break(h, chain.blocks[0])))
        record_counted(s.counts, m.frame, h.is_reply(), h.has_signature());
}

inline void Smb1Handler::negotiate(CurrentMessage &m, const smb1::Header &h,
                                   const smb1::Chain &c) const noexcept {
    ConnectionFacts &conn = m.conn->facts;
    m.session = rec_.table().pending_session(m);
    if (c.count == 0) {
        rec_.body_error(m, c.error);
        return;
    }
    if (!h.is_reply()) {
        conn.negotiate.request_seen = true;
        conn.negotiate.smb1_request_flags2 = h.flags2;
        return;
    }
    smb1::NegotiateResponse r;
    if (auto e = smb1::parse_negotiate_response(c.blocks[0], r); e != ParseError::None) {
        rec_.body_error(m, e);
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
        conn.negotiate.dialect = Dialect::NtLm012;
        conn.negotiate.signing_algorithm = smb2::SigningAlgorithm::Md5;
        break;
    }
    case smb1::NegotiateFormat::Lanman: // LANMAN dialects cannot sign
        p = Policy::Disabled;
        conn.negotiate.dialect = Dialect::Lanman;
        break;
    case smb1::NegotiateFormat::Core:
        p = Policy::Disabled;
        conn.negotiate.dialect = Dialect::Core;
        break;
    case smb1::NegotiateFormat::None:
        break; // no common dialect: the connection cannot go on
    }
    rec_.table().record_negotiate_response(m, p);
}

inline void Smb1Handler::session_setup(CurrentMessage &m, const smb1::Header &h,
                                       const smb1::Chain &c) const noexcept {
    m.conn->facts.last.negotiate_response = false;
    if (h.is_reply()) {
        setup_response(m, h, c);
        return;
    }
    m.session = rec_.table().setup_request_session(m, h.uid);
    if (m.session == kNoSession)
        return;
    SessionFacts &s = rec_.table().session(m.session).facts;
    s.logon.smb1_request_flags2 = h.flags2;
    s.logon.smb1_request_flags2_seen = true;
    s.client_policy_frame = m.frame;
    if (c.count == 0) {
        rec_.body_error(m, c.error);
        return;
    }
    smb1::SessionSetupRequest req;
    const auto e = smb1::parse_session_setup_request(h, c.blocks[0], req);
    m.setup.security_blob = req.security_blob;
    rec_.body_error(m, e == ParseError::Truncated && !m.truncated ? ParseError::Malformed : e);
    if (e == ParseError::None || req.anonymous)
        s.logon.anonymous = req.anonymous;
}

inline void Smb1Handler::setup_response(CurrentMessage &m, const smb1::Header &h,
                                        const smb1::Chain &c) const noexcept {
    const bool setup_words = c.count > 0 && c.blocks[0].word_count > 0;
    m.session = rec_.table().setup_response_session(m, h.uid, h.success() || setup_words);
    if (m.session == kNoSession)
        return;
    SessionFacts &s = rec_.table().session(m.session).facts;
    if (setup_words)
        m.setup.security_blob = smb1::session_setup_response_blob(c.blocks[0]);
    if (h.nt_status() && h.status == smb1::kStatusMoreProcessingRequired) {
        s.logon.state = SetupState::InProgress;
    } else if (h.success() || setup_words) {
        // A chained TREE_CONNECT may carry the error while the setup itself succeeded.
        s.logon.state = SetupState::Succeeded;
        s.setup_frame = m.frame;
        s.auth_failed_frame = kNoFrame;
        s.logon.guest = setup_words && smb1::session_setup_response_guest(c.blocks[0]);
        for (std::size_t i = 1; i < c.count; ++i)
            if (c.blocks[i].command == smb1::kCmdTreeConnectAndX)
                record_tree_connect_answer(s, m.frame, h.access_denied());
    } else {
        s.logon.state = SetupState::Failed;
        s.auth_failed_frame = m.frame;
        if (h.nt_status() && h.status == smb1::kStatusInvalidSignature)
            record_invalid_signature(s, m.frame);
    }
}

} // namespace smbsign
