// The tracker: the entry point the plugin feeds with SMB messages and TCP closes. It owns the
// session/connection table (session_table.hpp), the frame log (frame_log.hpp) and the
// verifier pointer, hands each message to its family's handler (smb1_handler.hpp,
// smb2_handler.hpp), the verifier and the relay index (relay.hpp), records closes, and
// answers view() with derive() (derive.hpp). Meaning of every derived value: doc/DEFINITIONS.md.
#pragma once

#include "smbsign/anomaly.hpp"
#include "smbsign/derive.hpp"
#include "smbsign/dialect.hpp"
#include "smbsign/frame_log.hpp"
#include "smbsign/krb/kerberos.hpp"
#include "smbsign/recorder.hpp"
#include "smbsign/relay.hpp"
#include "smbsign/session_table.hpp"
#include "smbsign/session_view.hpp"
#include "smbsign/smb1.hpp"
#include "smbsign/smb1_handler.hpp"
#include "smbsign/smb2.hpp"
#include "smbsign/smb2_handler.hpp"
#include "smbsign/verify/result.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace smbsign {

class Tracker {
public:
    explicit Tracker(Limits limits = {}, RelayLimits relay_limits = {})
        : table_(limits), relay_(relay_limits) {}
    // The handlers refer to the table and the frame log of this object.
    Tracker(const Tracker &) = delete;
    Tracker &operator=(const Tracker &) = delete;

    // One SMB PDU located by the host dissector, starting at its FF/FE/FD 'SMB' header.
    // `side` names the TCP endpoint that sent it (0 or 1, stable per connection);
    // `reported_size` is the PDU's size on the wire, larger than data.size() when the
    // capture cut it short. Returns how many bytes of `data` were analysed (an SMB2
    // compound chain is analysed whole).
    std::size_t on_pdu(std::uint32_t conn_id, std::uint8_t side, std::uint32_t frame, Bytes data,
                       std::size_t reported_size) noexcept;

    // A FIN or RST from `side`. Only the first one of a connection matters.
    void on_tcp_close(std::uint32_t conn_id, std::uint8_t side, std::uint32_t frame) noexcept;

    // The analysed messages of `frame`, one entry per session (and per anomaly without
    // session), in the order they were seen. Frames must be fed in increasing order.
    [[nodiscard]] FrameLog::Entries frame_entries(std::uint32_t frame) const noexcept {
        return frames_.of(frame);
    }

    [[nodiscard]] std::size_t session_count() const noexcept { return table_.session_count(); }
    [[nodiscard]] std::size_t connection_count() const noexcept {
        return table_.connection_count();
    }
    [[nodiscard]] SessionView view(std::uint32_t session) const noexcept;

    // Peer endpoints of the session's connection as the plugin registered them.
    [[nodiscard]] std::uint32_t session_connection(std::uint32_t session) const noexcept {
        if (session >= table_.session_count())
            return 0;
        return table_.connection_at(table_.session(session).conn).id;
    }
    [[nodiscard]] std::optional<std::uint8_t> server_side(std::uint32_t session) const noexcept {
        if (session >= table_.session_count())
            return std::nullopt;
        const Connection &c = table_.connection_at(table_.session(session).conn);
        if (!c.server_side_known)
            return std::nullopt;
        return c.server_side;
    }

    // Relay linking wants the addresses of the connection whose message was just fed (a
    // SESSION_SETUP with NTLM): give them with set_endpoints, `side` being the sender of
    // `src`. Addresses as text, without ports.
    [[nodiscard]] bool wants_endpoints(std::uint32_t conn_id) const noexcept {
        return relay_.wants_endpoints(conn_id);
    }
    void set_endpoints(std::uint32_t conn_id, std::uint8_t side, std::string_view src,
                       std::string_view dst) noexcept;

    // The verifier fed with every message from now on (nullptr: none); not owned.
    void set_verifier(verify::Hook *verifier) noexcept { verifier_ = verifier; }

    void clear() noexcept {
        if (verifier_ != nullptr)
            verifier_->clear();
        table_.clear();
        frames_.clear();
        plain_ = {};
        relay_.clear();
    }

private:
    std::size_t smb2_chain(CurrentMessage &m, Bytes data) noexcept;
    verify::MessageContext verify_context(const CurrentMessage &m, bool truncated) const noexcept;
    void verify_message(const CurrentMessage &m, const smb2::Header &h, Bytes msg,
                        bool truncated) noexcept;
    void verify_message(const CurrentMessage &m, const smb1::Header &h, const smb1::Chain &chain,
                        Bytes msg) noexcept;
    void transform(CurrentMessage &m, Bytes data);
    void compressed(CurrentMessage &m) noexcept;
    void relay_setup(const CurrentMessage &m, bool response);
    void check_security_token(const CurrentMessage &m, bool truncated);
    [[nodiscard]] RelayView relay_view(std::uint32_t index, const SessionView &v) const noexcept;

    SessionTable table_;
    FrameLog frames_;
    verify::Hook *verifier_ = nullptr;
    RelayIndex relay_;
    Smb1Handler smb1_{Recorder(table_, frames_)};
    Smb2Handler smb2_{Recorder(table_, frames_)};
    std::vector<std::uint8_t> plain_; // the decrypted message being fed (reused)
};

// ---------------------------------------------------------------------------
// Implementation

inline std::size_t Tracker::smb2_chain(CurrentMessage &m, Bytes data) noexcept {
    std::size_t off = 0;
    std::uint64_t previous_session = 0;
    for (;;) {
        Bytes rest = data.subspan(off);
        smb2::Header h;
        if (auto e = smb2::parse_header(rest, h); e != ParseError::None) {
            Recorder(table_, frames_).header_error(m, e);
            return data.size();
        }
        // MS-SMB2 3.2.4.1.4: related operations may inherit the session id.
        if (h.is_related() && h.session_id == smb2::kRelatedSessionInherit)
            h.session_id = previous_session;
        previous_session = h.session_id;
        CurrentMessage one = m;
        one.anomalies = 0;
        const Bytes bytes = smb2::message_bytes(rest, h);
        smb2_.message(one, h, bytes);
        const bool cut = m.truncated && (h.next_command == 0 || h.next_command > rest.size());
        if (h.command == smb2::kCmdSessionSetup) {
            relay_setup(one, h.is_response());
            check_security_token(one, cut);
        }
        verify_message(one, h, bytes, cut);
        // Wireshark locates each element of a compound chain on its own, so a link past
        // the located bytes is normal: the next element comes as its own PDU.
        if (h.next_command == 0 || h.next_command >= rest.size())
            return data.size();
        off += h.next_command;
    }
}

// What the verifier is told with a message: the tracker's indices and the connection's
// dialect and signing algorithm.
inline verify::MessageContext Tracker::verify_context(const CurrentMessage &m,
                                                      bool truncated) const noexcept {
    const NegotiateFacts &n = m.conn->facts.negotiate;
    verify::MessageContext ctx;
    ctx.conn = m.conn_index;
    ctx.session = m.session;
    ctx.frame = m.frame;
    ctx.truncated = truncated;
    ctx.mid_capture = m.session != kNoSession && table_.session(m.session).facts.mid_capture;
    ctx.dialect = n.dialect;
    ctx.algorithm = n.signing_algorithm;
    ctx.cipher = n.cipher;
    if (m.conn->server_side_known)
        ctx.from_client = m.side != m.conn->server_side;
    return ctx;
}

// Hands one parsed message to the verifier, if any, and notes its signature check.
inline void Tracker::verify_message(const CurrentMessage &m, const smb2::Header &h, Bytes msg,
                                    bool truncated) noexcept {
    if (verifier_ == nullptr || (m.session == kNoSession && h.command != smb2::kCmdNegotiate))
        return;
    const bool setup = h.command == smb2::kCmdSessionSetup;
    const verify::Code code =
        verifier_->smb2(verify_context(m, truncated), {h, msg, setup ? &m.setup : nullptr});
    if (m.session != kNoSession)
        frames_.note_signature(m.frame, m.session, code);
}

inline void Tracker::verify_message(const CurrentMessage &m, const smb1::Header &h,
                                    const smb1::Chain &chain, Bytes msg) noexcept {
    if (verifier_ == nullptr || (m.session == kNoSession && h.command != smb1::kCmdNegotiate))
        return;
    const bool setup = h.command == smb1::kCmdSessionSetupAndX;
    const verify::Code code = verifier_->smb1(verify_context(m, m.truncated),
                                              {h, chain, msg, setup ? &m.setup : nullptr});
    if (m.session != kNoSession)
        frames_.note_signature(m.frame, m.session, code);
}

// Hands a SESSION_SETUP's security blob, located by its handler, to the relay index.
inline void Tracker::relay_setup(const CurrentMessage &m, bool response) {
    if (m.session == kNoSession || m.setup.security_blob.empty())
        return;
    const AnomalySet a =
        relay_.on_setup(m.conn->id, m.session, m.frame, response, m.setup.security_blob);
    if (a != 0)
        frames_.note(m.frame, m.session, a);
}

// A SESSION_SETUP security blob captured whole whose SPNEGO or Kerberos does not parse
// (RFC 4178 4.2, RFC 2743 3.1, RFC 4120 5.5.1/5.5.2) is malformed on the wire: an anomaly of
// its frame. Other mechanisms (NTLMSSP) are not ours to judge, and a blob the capture cut
// short is not malformed.
inline void Tracker::check_security_token(const CurrentMessage &m, bool truncated) {
    if (truncated || m.session == kNoSession || m.setup.security_blob.empty())
        return;
    if (krb::find_kerberos(m.setup.security_blob).error != ParseError::None)
        frames_.note(m.frame, m.session, bit(Anomaly::MalformedSecurityToken));
}

inline void Tracker::set_endpoints(std::uint32_t conn_id, std::uint8_t side, std::string_view src,
                                   std::string_view dst) noexcept {
    const Connection *c = table_.find_connection(conn_id);
    if (c == nullptr || !c->server_side_known)
        return;
    const bool src_is_server = side == c->server_side;
    try {
        relay_.set_endpoints(conn_id, std::string(src_is_server ? dst : src),
                             std::string(src_is_server ? src : dst));
    } catch (...) { // out of memory: compared without addresses
    }
}

inline std::size_t Tracker::on_pdu(std::uint32_t conn_id, std::uint8_t side, std::uint32_t frame,
                                   Bytes data, std::size_t reported_size) noexcept {
    CurrentMessage m;
    m.side = side;
    m.frame = frame;
    m.truncated = reported_size > data.size();
    try {
        m.conn = table_.connection(conn_id, m.conn_index, m.anomalies);
        if (m.conn == nullptr) {
            frames_.note(frame, kNoSession, m.anomalies);
            return data.size();
        }
        if (smb2::starts_with(data, smb2::kProtocolId))
            return smb2_chain(m, data);
        if (smb2::starts_with(data, smb2::kTransformProtocolId)) {
            transform(m, data);
            return data.size();
        }
        if (smb2::starts_with(data, smb2::kCompressionProtocolId)) {
            compressed(m);
            return data.size();
        }
        smb1::Header h;
        if (auto e = smb1::parse_header(data, h); e != ParseError::None) {
            Recorder(table_, frames_).header_error(m, e);
            return data.size();
        }
        const smb1::Chain chain = smb1::parse_chain(data, h);
        smb1_.message(m, h, chain);
        if (h.command == smb1::kCmdSessionSetupAndX) {
            relay_setup(m, h.is_reply());
            check_security_token(m, m.truncated);
        }
        verify_message(m, h, chain, data);
    } catch (...) { // std::bad_alloc from a container: stop analysing, never unwind into C
    }
    return data.size();
}

// An SMB3 TRANSFORM message: counted by the handler; for a counted message of a known
// session, the verifier checks its tag and decrypts it, and a message whose tag is valid
// is fed as if it had come in clear (marked decrypted: it counts as encrypted, not as
// signed or unsigned). A message failing its tag is never fed.
inline void Tracker::transform(CurrentMessage &m, Bytes data) {
    smb2::TransformHeader t;
    if (!smb2_.transform(m, data, t) || verifier_ == nullptr || m.session == kNoSession)
        return;
    plain_.resize(t.ciphertext.size());
    const verify::Code code =
        verifier_->transform(verify_context(m, m.truncated), {t, data}, plain_);
    frames_.note_encryption(m.frame, m.session, code);
    if (verify::status_of(code) != verify::Status::Valid)
        return;
    CurrentMessage inner = m;
    inner.anomalies = 0;
    inner.session = kNoSession;
    inner.decrypted = true;
    inner.truncated = false;
    const Bytes plain = Bytes(plain_).first(t.original_size);
    if (smb2::starts_with(plain, smb2::kProtocolId))
        smb2_chain(inner, plain);
    // Anything else (a COMPRESSION_TRANSFORM inside) cannot be read here.
}

// An SMB 3.1.1 COMPRESSION_TRANSFORM in clear (MS-SMB2 2.2.42): its header names no
// session and its content is not decompressed here (no well-kept library for MS-XCA LZ77,
// LZ77+Huffman and pattern_v1 outside Wireshark's epan), so nothing in it is analysed. On a
// connection with exactly one session it is that session's, and the verifier counts it as
// unverifiable (reason compressed): the session is never `verified` over it.
inline void Tracker::compressed(CurrentMessage &m) noexcept {
    if (verifier_ == nullptr || m.conn->sessions.size() != 1)
        return;
    m.session = m.conn->sessions.front();
    Recorder(table_, frames_).note(m.frame, m.session, m.anomalies);
    frames_.note_signature(m.frame, m.session,
                           verifier_->compressed(verify_context(m, m.truncated)));
}

// Records the close: which frame, which side, and the facts as they stood (facts.hpp,
// CloseFact). What the close proves is derive()'s (close_outcome); the frame shows each
// session whose outcome it decides.
inline void Tracker::on_tcp_close(std::uint32_t conn_id, std::uint8_t side,
                                  std::uint32_t frame) noexcept {
    Connection *c = table_.find_connection(conn_id);
    if (c == nullptr || c->close.frame != kNoFrame)
        return;
    c->close.frame = frame;
    c->close.by = c->side_of(side);
    c->close.then = c->facts;
    for (const std::uint32_t idx : c->sessions) {
        SessionFacts &s = table_.session(idx).facts;
        if (s.replaced_frame != kNoFrame)
            continue; // it ended when a new logon took its id
        s.open_at_close = true;
        s.logon_at_close = s.logon;
        const CloseOutcome o = close_outcome(idx, s, c->close);
        if (o.closed_after_negotiate_frame != kNoFrame ||
            (o.signing_failure && s.invalid_signature_frame == kNoFrame))
            frames_.note(frame, idx, 0);
    }
}

inline SessionView Tracker::view(std::uint32_t index) const noexcept {
    if (index >= table_.session_count())
        return {};
    const Session &s = table_.session(index);
    const Connection &c = table_.connection_at(s.conn);
    DeriveContext x;
    x.index = index;
    // Only the key-less rule of a session with nothing counted asks (derive.hpp, keyless).
    const LogonFacts &logon = s.facts.logon;
    const MessageCounts &n = s.facts.counts;
    if (logon.state == SetupState::Succeeded && (logon.guest || logon.anonymous) &&
        n.requests + n.responses + n.encrypted == 0)
        x.connection_signed_before_grant = table_.connection_signed_before_grant(index);
    if (verifier_ != nullptr)
        x.signatures = verifier_->summary(index);
    SessionView v = derive(s.facts, c.facts, c.close, x);
    v.ntlm = relay_.ntlm(index);
    if (v.ntlm != nullptr)
        v.relay = relay_view(index, v);
    return v;
}

// The session's relay evidence, with what became of the relayed session: its own for a
// relayed or suspected leg, its peer's for a victim leg.
inline RelayView Tracker::relay_view(std::uint32_t index, const SessionView &v) const noexcept {
    RelayView r = relay_.view(index);
    if (r.role == RelayRole::Relayed || r.role == RelayRole::Suspected)
        r.outcome = relay::outcome_of(v.observed, v.server);
    if (r.role == RelayRole::Victim && r.peer_session < table_.session_count()) {
        const Session &p = table_.session(r.peer_session);
        const Connection &pc = table_.connection_at(p.conn);
        DeriveContext px;
        px.index = r.peer_session;
        const SessionView pv = derive(p.facts, pc.facts, pc.close, px);
        r.outcome = relay::outcome_of(pv.observed, pv.server);
    }
    return r;
}

} // namespace smbsign
