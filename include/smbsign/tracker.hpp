// The per-session tracker, part 1 of 4: bounded per-connection and per-session state fed
// with SMB messages and TCP closes, and the dispatch common to both SMB families. Parts 2-4
// (tracker_smb1.hpp, tracker_smb2.hpp, tracker_view.hpp) are included at the end. Meaning of
// every derived value: doc/DEFINITIONS.md.
#pragma once

#include "smbsign/anomaly.hpp"
#include "smbsign/dialect.hpp"
#include "smbsign/frame_log.hpp"
#include "smbsign/matrix.hpp"
#include "smbsign/session_view.hpp"
#include "smbsign/smb1.hpp"
#include "smbsign/smb2.hpp"
#include "smbsign/verify/result.hpp"

#include <algorithm>
#include <deque>
#include <optional>
#include <tuple>
#include <unordered_map>
#include <utility>
#include <vector>

namespace smbsign {

// MS-SMB2 2.2.3/2.2.4 SecurityMode as a policy.
inline Policy policy_from_smb2_mode(std::uint16_t mode) noexcept {
    if (mode & smb2::kSigningRequired)
        return Policy::Required;
    return (mode & smb2::kSigningEnabled) ? Policy::Enabled : Policy::Disabled;
}

struct Limits {
    std::uint32_t max_connections = 100'000;
    std::uint32_t max_sessions = 250'000;
    std::uint32_t max_sessions_per_connection = 64;
    std::uint32_t max_pending_per_connection = 16;
};

class Tracker {
public:
    explicit Tracker(Limits limits = {}) : limits_(limits) {}

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

    [[nodiscard]] std::size_t session_count() const noexcept { return sessions_.size(); }
    [[nodiscard]] std::size_t connection_count() const noexcept { return connections_.size(); }
    [[nodiscard]] SessionView view(std::uint32_t session) const noexcept;

    // Peer endpoints of the session's connection as the plugin registered them.
    [[nodiscard]] std::uint32_t session_connection(std::uint32_t session) const noexcept {
        return session < sessions_.size() ? connections_[sessions_[session].conn].id : 0;
    }
    [[nodiscard]] std::optional<std::uint8_t> server_side(std::uint32_t session) const noexcept {
        if (session >= sessions_.size())
            return std::nullopt;
        const auto &c = connections_[sessions_[session].conn];
        if (!c.server_side_known)
            return std::nullopt;
        return c.server_side;
    }

    // The verifier fed with every message from now on (nullptr: none); not owned.
    void set_verifier(verify::Hook *verifier) noexcept { verifier_ = verifier; }

    void clear() noexcept {
        if (verifier_ != nullptr)
            verifier_->clear();
        sessions_.clear();
        connections_.clear();
        conn_index_.clear();
        last_conn_ = kNoConnection;
        frames_.clear();
    }

private:
    enum class SetupState : std::uint8_t { None, InProgress, Succeeded, Failed };

    struct Session {
        std::uint64_t id = 0;
        std::uint32_t conn = 0;
        std::uint32_t negotiate_frame = kNoFrame;
        std::uint32_t setup_frame = kNoFrame;
        std::uint32_t auth_failed_frame = kNoFrame;
        std::uint32_t closed_after_negotiate_frame = kNoFrame;
        std::uint32_t signing_failure_frame = kNoFrame;
        std::uint32_t denied_frame = kNoFrame;
        std::uint32_t established_frame = kNoFrame;
        std::uint32_t first_signed_frame = kNoFrame;
        std::uint32_t first_unsigned_frame = kNoFrame;
        std::uint32_t client_policy_frame = kNoFrame;
        std::uint32_t replaced_frame = kNoFrame; // a new logon took over this session's id
        std::uint32_t counted_requests = 0;
        std::uint32_t counted_responses = 0;
        std::uint32_t signed_requests = 0;
        std::uint32_t signed_responses = 0;
        std::uint32_t counted_encrypted = 0;
        std::uint16_t smb1_setup_flags2 = 0;
        std::uint8_t smb2_setup_security_mode = 0;
        Family family = Family::Unknown;
        SetupState setup = SetupState::None;
        bool id_known = false;
        bool setup_request_seen = false;
        bool logged_off = false; // a LOGOFF of this session was answered with success
        bool smb1_setup_flags2_seen = false;
        bool smb2_setup_security_mode_seen = false;
        bool client_inferred_required = false;
        bool guest = false;
        bool anonymous = false;
        bool smb2_null = false; // SESSION_SETUP response SessionFlags IS_NULL
        bool mid_capture = false;
        bool tree_connect_answered = false;
        bool malformed = false;
    };

    // A request whose response cannot be told apart by its own bytes.
    enum class PendingKind : std::uint8_t {
        DfsReferral,   // SMB1 Trans2 GET_DFS_REFERRAL (the response lacks the subcommand)
        ExcludedIoctl, // SMB2 IOCTL not counted (an error response lacks the CtlCode)
        Logoff         // LOGOFF (an impacket server answers with id 0)
    };
    struct Pending {
        std::uint64_t key = 0; // SMB1: MID | PID << 16; SMB2: MessageId
        std::uint32_t session = kNoSession;
        PendingKind kind = PendingKind::DfsReferral;
    };

    struct Connection {
        std::uint32_t id = 0;
        std::uint32_t negotiate_frame = kNoFrame;
        std::uint32_t closed_frame = kNoFrame;
        std::uint32_t client_policy_frame = kNoFrame; // SMB2 NEGOTIATE request
        std::uint32_t pending_session = kNoSession; // SESSION_SETUP not yet assigned an id
        std::uint32_t last_setup_session = kNoSession; // of the last SESSION_SETUP request
        std::uint32_t last_session = kNoSession;    // of the last SMB message seen
        Family family = Family::Unknown;
        Dialect dialect = Dialect::Unknown;
        Policy server_policy = Policy::Unknown;
        smb2::SigningAlgorithm signing_algorithm = smb2::SigningAlgorithm::Unknown;
        smb2::Cipher cipher = smb2::Cipher::None;
        std::uint16_t smb1_negotiate_flags2 = 0;
        std::uint16_t smb2_client_security_mode = 0;
        std::uint8_t server_side = 0;
        bool server_side_known = false;
        bool negotiate_request_seen = false;
        bool smb2_client_security_mode_seen = false;
        bool negotiate_response_seen = false;
        bool setup_request_seen = false;
        bool last_is_request = false;
        bool last_signed = false;
        bool last_is_negotiate_response = false;
        bool malformed = false;
        std::vector<std::uint32_t> sessions;
        std::vector<Pending> pending; // requests awaiting an answer (bounded)
    };

    // Per-message context handed between the dispatch steps.
    struct Msg {
        Connection *conn = nullptr;
        std::uint32_t conn_index = 0;
        std::uint8_t side = 0;
        std::uint32_t frame = 0;
        bool truncated = false; // the capture cut this PDU short
        AnomalySet anomalies = 0;
        std::uint32_t session = kNoSession;
        verify::SetupRecord setup; // a SESSION_SETUP's body facts, for the verifier
    };

    Connection *connection(std::uint32_t conn_id, std::uint32_t &index, AnomalySet &anomalies);
    void learn_direction(Msg &m, bool is_response) noexcept;
    std::uint32_t new_session(Msg &m, std::uint64_t id, bool id_known) noexcept;
    std::uint32_t find_session(const Connection &c, std::uint64_t id) const noexcept;
    std::uint32_t pending_session(Msg &m) noexcept;
    std::uint32_t setup_request_session(Msg &m, std::uint64_t id) noexcept;
    std::uint32_t setup_response_session(Msg &m, std::uint64_t id, bool assigns) noexcept;
    std::uint32_t session_for(Msg &m, std::uint64_t id) noexcept;
    void header_error(Msg &m, ParseError e) noexcept;
    void body_error(Msg &m, ParseError e) noexcept;
    std::pair<Policy, bool> client_policy(const Session &s, const Connection &c) const noexcept;
    bool keyless(const Session &s, const Connection &c, Family family) const noexcept;
    void set_server_policy(Msg &m, Policy p) noexcept;
    void count(Session &s, std::uint32_t frame, bool response, bool is_signed) noexcept;
    void tree_connect_answered(Session &s, std::uint32_t frame, bool denied) noexcept;
    void note(std::uint32_t frame, std::uint32_t session, AnomalySet anomalies) noexcept;
    void remember(Msg &m, std::uint64_t key, PendingKind kind) noexcept;
    bool answered(Connection &c, std::uint64_t key, PendingKind kind) noexcept;
    std::optional<std::uint32_t> take_pending(Connection &c, std::uint64_t key,
                                              PendingKind kind) noexcept;
    void logoff_answered(Connection &c, std::uint64_t key, bool success) noexcept;
    void finish(Msg &m, bool is_request, bool is_signed) noexcept;

    void smb1_message(Msg &m, const smb1::Header &h, const smb1::Chain &chain) noexcept;
    void smb1_negotiate(Msg &m, const smb1::Header &h, const smb1::Chain &c) noexcept;
    void smb1_session_setup(Msg &m, const smb1::Header &h, const smb1::Chain &c) noexcept;
    std::size_t smb2_chain(Msg &m, Bytes data) noexcept;
    void smb2_message(Msg &m, const smb2::Header &h, Bytes msg) noexcept;
    void smb2_negotiate(Msg &m, const smb2::Header &h, Bytes msg) noexcept;
    void smb2_session_setup(Msg &m, const smb2::Header &h, Bytes msg) noexcept;
    void smb2_transform(Msg &m, Bytes data) noexcept;
    verify::MessageContext verify_context(const Msg &m, bool truncated) const noexcept;
    void verify_message(const Msg &m, const smb2::Header &h, Bytes msg, bool truncated) noexcept;
    void verify_message(const Msg &m, const smb1::Header &h, const smb1::Chain &chain,
                        Bytes msg) noexcept;

    Limits limits_;
    verify::Hook *verifier_ = nullptr;
    std::deque<Session> sessions_;       // deques: growth copies nothing and leaves no
    std::deque<Connection> connections_; // unused capacity behind
    std::unordered_map<std::uint32_t, std::uint32_t> conn_index_;
    static constexpr std::uint32_t kNoConnection = 0xffffffffu;
    std::uint32_t last_conn_ = kNoConnection; // index of the connection of the last message
    FrameLog frames_;
};

// ---------------------------------------------------------------------------
// Implementation

inline Tracker::Connection *Tracker::connection(std::uint32_t conn_id, std::uint32_t &index,
                                                AnomalySet &anomalies) {
    if (last_conn_ != kNoConnection && connections_[last_conn_].id == conn_id) {
        index = last_conn_; // messages come in runs on one connection
        return &connections_[index];
    }
    if (auto it = conn_index_.find(conn_id); it != conn_index_.end()) {
        index = last_conn_ = it->second;
        return &connections_[index];
    }
    if (connections_.size() >= limits_.max_connections) {
        anomalies |= bit(Anomaly::ConnectionLimit);
        return nullptr;
    }
    index = static_cast<std::uint32_t>(connections_.size());
    Connection &c = connections_.emplace_back();
    c.id = conn_id;
    try {
        conn_index_.emplace(conn_id, index);
    } catch (...) {
        connections_.pop_back();
        throw;
    }
    last_conn_ = index;
    return &c;
}

inline void Tracker::note(std::uint32_t frame, std::uint32_t session, AnomalySet anomalies) noexcept {
    if (session == kNoSession && anomalies == 0)
        return;
    frames_.note(frame, session, anomalies);
}

inline void Tracker::remember(Msg &m, std::uint64_t key, PendingKind kind) noexcept {
    Connection &c = *m.conn;
    if (c.pending.size() >= limits_.max_pending_per_connection) {
        m.anomalies |= bit(Anomaly::PendingLimit);
        return;
    }
    try {
        c.pending.push_back({key, m.session, kind});
    } catch (...) {
        m.anomalies |= bit(Anomaly::PendingLimit);
    }
}

// The session of the request remembered under `key` as `kind`, if one was; forgets it.
inline std::optional<std::uint32_t> Tracker::take_pending(Connection &c, std::uint64_t key,
                                                          PendingKind kind) noexcept {
    auto it = std::find_if(c.pending.begin(), c.pending.end(), [&](const Pending &p) {
        return p.key == key && p.kind == kind;
    });
    if (it == c.pending.end())
        return std::nullopt;
    const std::uint32_t session = it->session;
    c.pending.erase(it);
    return session;
}

// Whether `key` was remembered as `kind`; forgets it.
inline bool Tracker::answered(Connection &c, std::uint64_t key, PendingKind kind) noexcept {
    return take_pending(c, key, kind).has_value();
}

// A LOGOFF response: the session its request named has ended, whatever id the response
// carries.
inline void Tracker::logoff_answered(Connection &c, std::uint64_t key, bool success) noexcept {
    const auto s = take_pending(c, key, PendingKind::Logoff);
    if (success && s && *s < sessions_.size())
        sessions_[*s].logged_off = true;
}

inline void Tracker::learn_direction(Msg &m, bool is_response) noexcept {
    Connection &c = *m.conn;
    if (c.server_side_known)
        return;
    c.server_side = is_response ? m.side : static_cast<std::uint8_t>(m.side ^ 1u);
    c.server_side_known = true;
}

inline std::uint32_t Tracker::new_session(Msg &m, std::uint64_t id, bool id_known) noexcept {
    Connection &c = *m.conn;
    if (sessions_.size() >= limits_.max_sessions ||
        c.sessions.size() >= limits_.max_sessions_per_connection) {
        m.anomalies |= bit(Anomaly::SessionLimit);
        return kNoSession;
    }
    const auto index = static_cast<std::uint32_t>(sessions_.size());
    try {
        c.sessions.reserve(c.sessions.size() + 1);
        Session &s = sessions_.emplace_back();
        s.id = id;
        s.id_known = id_known;
        s.conn = m.conn_index;
        s.family = c.family;
        s.negotiate_frame = c.negotiate_frame;
        c.sessions.push_back(index);
    } catch (...) { // out of memory: like a limit
        m.anomalies |= bit(Anomaly::SessionLimit);
        return kNoSession;
    }
    return index;
}

// The session that holds `id` now: one whose id a new logon took over holds it no more.
inline std::uint32_t Tracker::find_session(const Connection &c, std::uint64_t id) const noexcept {
    for (auto idx : c.sessions)
        if (sessions_[idx].id_known && sessions_[idx].id == id &&
            sessions_[idx].replaced_frame == kNoFrame)
            return idx;
    return kNoSession;
}

// The session that NEGOTIATE and a first SESSION_SETUP (id 0) belong to.
inline std::uint32_t Tracker::pending_session(Msg &m) noexcept {
    if (m.conn->pending_session == kNoSession)
        m.conn->pending_session = new_session(m, 0, false);
    return m.conn->pending_session;
}

// The session a SESSION_SETUP request belongs to: the one holding its id, a new one for an
// id no response assigned, or the connection's pending logon for id 0.
inline std::uint32_t Tracker::setup_request_session(Msg &m, std::uint64_t id) noexcept {
    Connection &conn = *m.conn;
    conn.setup_request_seen = true;
    std::uint32_t s = id != 0 ? find_session(conn, id) : kNoSession;
    if (s == kNoSession)
        s = id != 0 ? new_session(m, id, true) : pending_session(m);
    conn.last_setup_session = s;
    if (s != kNoSession)
        sessions_[s].setup_request_seen = true;
    return s;
}

// A SESSION_SETUP response names the session id the server assigned: the known
// session of that id, else the pending one adopts it. A refusal may carry id 0,
// which assigns nothing; SMB1 share-level servers grant UID 0 itself (`assigns`).
inline std::uint32_t Tracker::setup_response_session(Msg &m, std::uint64_t id,
                                                     bool assigns) noexcept {
    if (id != 0 || assigns) {
        if (auto s = find_session(*m.conn, id); s != kNoSession) {
            // The answer to a new logon (SESSION_SETUP with id 0: MS-SMB2 3.3.5.5.1,
            // MS-CIFS 3.3.5.3) names the id of a session whose own logon is over: the
            // server has put the new logon under that id. The new logon is a session of
            // its own and replaces the old one, whose frames stay its own. (UID 0 of an
            // SMB1 share-level server names no user session: nothing to replace.)
            Session &old = sessions_[s];
            const bool logon_over = old.setup == SetupState::Succeeded ||
                                    old.setup == SetupState::Failed || old.mid_capture;
            const std::uint32_t p = m.conn->pending_session;
            if (id == 0 || p == kNoSession || p != m.conn->last_setup_session || !logon_over)
                return s;
            old.replaced_frame = m.frame;
            if ((old.setup == SetupState::Succeeded || old.mid_capture) && !old.logged_off)
                m.anomalies |= bit(Anomaly::ReusedSessionId);
        }
    } else if (m.conn->last_setup_session != kNoSession) {
        return m.conn->last_setup_session; // a refusal that names no id answers the last request
    }
    const std::uint32_t s = pending_session(m);
    if (s != kNoSession && (id != 0 || assigns)) {
        sessions_[s].id = id;
        sessions_[s].id_known = true;
        m.conn->pending_session = kNoSession;
    }
    return s;
}

// Any other message belongs to the session of its exact id. On a connection whose
// NEGOTIATE was not captured, an unknown non-zero id is a session already under way.
inline std::uint32_t Tracker::session_for(Msg &m, std::uint64_t id) noexcept {
    if (auto s = find_session(*m.conn, id); s != kNoSession)
        return s;
    if (id == 0 || m.conn->negotiate_request_seen || m.conn->negotiate_response_seen)
        return kNoSession;
    const std::uint32_t s = new_session(m, id, true);
    if (s != kNoSession)
        sessions_[s].mid_capture = true;
    return s;
}

// A header the core cannot parse: the message belongs to no session, and no verdict on
// this connection can be trusted.
inline void Tracker::header_error(Msg &m, ParseError e) noexcept {
    m.anomalies |= bit(e == ParseError::Truncated ? Anomaly::TruncatedHeader
                                                  : Anomaly::MalformedHeader);
    m.conn->malformed = true;
    note(m.frame, kNoSession, m.anomalies);
}

inline void Tracker::body_error(Msg &m, ParseError e) noexcept {
    if (e == ParseError::None)
        return;
    m.anomalies |= bit(e == ParseError::Truncated ? Anomaly::TruncatedBody : Anomaly::MalformedBody);
    if (m.session != kNoSession)
        sessions_[m.session].malformed = true;
    else
        m.conn->malformed = true;
}

inline void Tracker::set_server_policy(Msg &m, Policy p) noexcept {
    Connection &c = *m.conn;
    if (c.negotiate_response_seen && c.server_policy != Policy::Unknown && p != Policy::Unknown &&
        c.server_policy != p)
        m.anomalies |= bit(Anomaly::ContradictoryServerPolicy);
    c.server_policy = p;
    c.negotiate_response_seen = true;
    c.negotiate_frame = m.frame;
    c.last_is_negotiate_response = true;
    for (auto idx : c.sessions)
        if (sessions_[idx].negotiate_frame == kNoFrame || !sessions_[idx].setup_request_seen)
            sessions_[idx].negotiate_frame = m.frame;
}

inline void Tracker::count(Session &s, std::uint32_t frame, bool response, bool is_signed) noexcept {
    (response ? s.counted_responses : s.counted_requests)++;
    if (is_signed) {
        (response ? s.signed_responses : s.signed_requests)++;
        if (s.first_signed_frame == kNoFrame)
            s.first_signed_frame = frame;
    } else if (s.first_unsigned_frame == kNoFrame) {
        s.first_unsigned_frame = frame;
    }
}

inline void Tracker::tree_connect_answered(Session &s, std::uint32_t frame, bool denied) noexcept {
    s.tree_connect_answered = true;
    if (denied) {
        if (s.denied_frame == kNoFrame)
            s.denied_frame = frame;
    } else if (s.established_frame == kNoFrame) {
        s.established_frame = frame;
    }
}

inline void Tracker::finish(Msg &m, bool is_request, bool is_signed) noexcept {
    Connection &c = *m.conn;
    c.last_session = m.session;
    c.last_is_request = is_request;
    c.last_signed = is_signed;
    note(m.frame, m.session, m.anomalies);
}

// What the verifier is told with a message: the tracker's indices and the connection's
// dialect and signing algorithm.
inline verify::MessageContext Tracker::verify_context(const Msg &m, bool truncated) const noexcept {
    verify::MessageContext ctx;
    ctx.conn = m.conn_index;
    ctx.session = m.session;
    ctx.frame = m.frame;
    ctx.truncated = truncated;
    ctx.mid_capture = m.session != kNoSession && sessions_[m.session].mid_capture;
    ctx.dialect = m.conn->dialect;
    ctx.algorithm = m.conn->signing_algorithm;
    return ctx;
}

// Hands one parsed message to the verifier, if any, and notes its signature check.
inline void Tracker::verify_message(const Msg &m, const smb2::Header &h, Bytes msg,
                                    bool truncated) noexcept {
    if (verifier_ == nullptr || (m.session == kNoSession && h.command != smb2::kCmdNegotiate))
        return;
    const bool setup = h.command == smb2::kCmdSessionSetup;
    const verify::Code code = verifier_->smb2(verify_context(m, truncated),
                                              {h, msg, setup ? &m.setup : nullptr});
    if (m.session != kNoSession)
        frames_.note_signature(m.frame, m.session, code);
}

inline void Tracker::verify_message(const Msg &m, const smb1::Header &h,
                                    const smb1::Chain &chain, Bytes msg) noexcept {
    if (verifier_ == nullptr || (m.session == kNoSession && h.command != smb1::kCmdNegotiate))
        return;
    const bool setup = h.command == smb1::kCmdSessionSetupAndX;
    const verify::Code code = verifier_->smb1(verify_context(m, m.truncated),
                                              {h, chain, msg, setup ? &m.setup : nullptr});
    if (m.session != kNoSession)
        frames_.note_signature(m.frame, m.session, code);
}

inline std::size_t Tracker::on_pdu(std::uint32_t conn_id, std::uint8_t side, std::uint32_t frame,
                                   Bytes data, std::size_t reported_size) noexcept {
    Msg m;
    m.side = side;
    m.frame = frame;
    m.truncated = reported_size > data.size();
    try {
        m.conn = connection(conn_id, m.conn_index, m.anomalies);
        if (m.conn == nullptr) {
            note(frame, kNoSession, m.anomalies);
            return data.size();
        }
        if (smb2::starts_with(data, smb2::kProtocolId))
            return smb2_chain(m, data);
        if (smb2::starts_with(data, smb2::kTransformProtocolId)) {
            smb2_transform(m, data);
            return data.size();
        }
        if (smb2::starts_with(data, smb2::kCompressionProtocolId))
            return data.size(); // compressed: its content cannot be read here
        smb1::Header h;
        if (auto e = smb1::parse_header(data, h); e != ParseError::None) {
            header_error(m, e);
            return data.size();
        }
        const smb1::Chain chain = smb1::parse_chain(data, h);
        smb1_message(m, h, chain);
        verify_message(m, h, chain, data);
    } catch (...) { // std::bad_alloc from a container: stop analysing, never unwind into C
        m.anomalies |= bit(Anomaly::SessionLimit);
    }
    return data.size();
}

inline void Tracker::on_tcp_close(std::uint32_t conn_id, std::uint8_t side,
                                  std::uint32_t frame) noexcept {
    auto it = conn_index_.find(conn_id);
    if (it == conn_index_.end())
        return;
    Connection &c = connections_[it->second];
    if (c.closed_frame != kNoFrame)
        return;
    c.closed_frame = frame;
    const bool by_server = c.server_side_known && side == c.server_side;
    const bool by_client = c.server_side_known && side != c.server_side;
    try {
        for (auto idx : c.sessions) {
            Session &s = sessions_[idx];
            if (s.replaced_frame != kNoFrame)
                continue; // it ended when a new logon took its id
            bool decided = false;
            if (!c.setup_request_seen && c.negotiate_response_seen) {
                // KB887429: a client that requires signing closes after a NEGOTIATE
                // response with signing disabled; its NEGOTIATE said 0x0010.
                if (c.family == Family::Smb1 && by_client && c.last_is_negotiate_response &&
                    c.server_policy == Policy::Disabled &&
                    (c.smb1_negotiate_flags2 & smb1::kFlags2SecuritySignatureRequired))
                {
                    s.client_inferred_required = true;
                    s.client_policy_frame = frame;
                }
                s.closed_after_negotiate_frame = frame;
                decided = true;
            }
            if (s.setup == SetupState::Succeeded && s.signing_failure_frame == kNoFrame) {
                const Policy client = client_policy(s, c).first;
                const bool required =
                    client == Policy::Required || c.server_policy == Policy::Required;
                // A guest/anonymous grant to a client that requires signing.
                if ((s.guest || s.anonymous) && client == Policy::Required &&
                    !s.tree_connect_answered)
                    s.signing_failure_frame = frame;
                // The server hangs up on an unanswered, unsigned request.
                else if (by_server && c.last_session == idx && c.last_is_request &&
                         !c.last_signed && required)
                    s.signing_failure_frame = frame;
                decided = decided || s.signing_failure_frame == frame;
            }
            if (decided)
                note(frame, idx, 0);
        }
    } catch (...) {
    }
}

} // namespace smbsign

#include "smbsign/tracker_smb1.hpp"
#include "smbsign/tracker_smb2.hpp"
#include "smbsign/tracker_view.hpp"
