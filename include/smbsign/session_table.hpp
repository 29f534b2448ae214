// The session/connection table: every connection and session the tracker knows, their facts
// (facts.hpp), the limits that bound them, and which session a message belongs to: lookup by
// connection id and session id, pending logons, id reuse by a new logon, mid-capture sessions.
// Rules: doc/DEFINITIONS.md, "Sessions and messages".
#pragma once

#include "smbsign/anomaly.hpp"
#include "smbsign/facts.hpp"
#include "smbsign/frame_log.hpp"
#include "smbsign/pending.hpp"
#include "smbsign/verify/result.hpp"

#include <cstdint>
#include <deque>
#include <unordered_map>
#include <vector>

namespace smbsign {

struct Limits {
    std::uint32_t max_connections = 100'000;
    std::uint32_t max_sessions = 250'000;
    std::uint32_t max_sessions_per_connection = 64;
    std::uint32_t max_pending_per_connection = 16;
};

struct Connection {
    std::uint32_t id = 0; // as the plugin registered it
    ConnectionFacts facts;
    CloseFact close;
    std::uint32_t pending_session = kNoSession;    // SESSION_SETUP not yet assigned an id
    std::uint32_t last_setup_session = kNoSession; // of the last SESSION_SETUP request
    std::uint8_t server_side = 0;
    bool server_side_known = false;
    std::vector<std::uint32_t> sessions; // indexes, in order of appearance
    PendingRequests pending;             // requests awaiting an answer (bounded)

    // The first message tells which TCP side is the server.
    void learn_direction(std::uint8_t side, bool is_response) noexcept {
        if (server_side_known)
            return;
        server_side = is_response ? side : static_cast<std::uint8_t>(side ^ 1u);
        server_side_known = true;
    }
    [[nodiscard]] CloseSide side_of(std::uint8_t side) const noexcept {
        if (!server_side_known)
            return CloseSide::Unknown;
        return side == server_side ? CloseSide::Server : CloseSide::Client;
    }
};

struct Session {
    std::uint32_t conn = 0; // connection index
    SessionFacts facts;
};

// A message being recorded: where it came from, the session it was given, what it found.
struct CurrentMessage {
    Connection *conn = nullptr;
    std::uint32_t conn_index = 0;
    std::uint8_t side = 0;
    std::uint32_t frame = 0;
    bool truncated = false; // the capture cut this PDU short
    AnomalySet anomalies = 0;
    std::uint32_t session = kNoSession;
    verify::SetupRecord setup; // a SESSION_SETUP's body facts, for the verifier
    bool decrypted = false;    // a message taken out of an SMB3 TRANSFORM whose tag checked
};

class SessionTable {
public:
    explicit SessionTable(Limits limits) : limits_(limits) {}

    [[nodiscard]] const Limits &limits() const noexcept { return limits_; }
    [[nodiscard]] std::size_t session_count() const noexcept { return sessions_.size(); }
    [[nodiscard]] std::size_t connection_count() const noexcept { return connections_.size(); }
    [[nodiscard]] Session &session(std::uint32_t i) noexcept { return sessions_[i]; }
    [[nodiscard]] const Session &session(std::uint32_t i) const noexcept { return sessions_[i]; }
    [[nodiscard]] const Connection &connection_at(std::uint32_t i) const noexcept {
        return connections_[i];
    }

    // The connection of `conn_id`, made on first sight; nullptr beyond the limit.
    Connection *connection(std::uint32_t conn_id, std::uint32_t &index, AnomalySet &anomalies);
    // The known connection of `conn_id`, or nullptr.
    Connection *find_connection(std::uint32_t conn_id) noexcept {
        auto it = conn_index_.find(conn_id);
        return it == conn_index_.end() ? nullptr : &connections_[it->second];
    }

    std::uint32_t pending_session(CurrentMessage &m) noexcept;
    std::uint32_t setup_request_session(CurrentMessage &m, std::uint64_t id) noexcept;
    std::uint32_t setup_response_session(CurrentMessage &m, std::uint64_t id,
                                         bool assigns) noexcept;
    std::uint32_t session_for(CurrentMessage &m, std::uint64_t id) noexcept;

    // A NEGOTIATE response's server policy; it also dates the NEGOTIATE of the connection's
    // sessions that have not started a logon.
    void record_negotiate_response(CurrentMessage &m, Policy p) noexcept;

    // A request remembered until its answer (Anomaly::PendingLimit when the table is full).
    void remember(CurrentMessage &m, std::uint64_t key, PendingKind kind) noexcept {
        if (!m.conn->pending.remember(key, m.session, kind, limits_.max_pending_per_connection))
            m.anomalies |= bit(Anomaly::PendingLimit);
    }
    // A LOGOFF response: the session its request named has ended, whatever id the response
    // carries.
    void logoff_answered(Connection &c, std::uint64_t key, bool success) noexcept {
        const auto s = c.pending.take(key, PendingKind::Logoff);
        if (success && s && *s < sessions_.size())
            sessions_[*s].facts.logged_off = true;
    }

    // SMB1 signs per connection: whether an authenticated session of the session's connection
    // signed before this session's grant (derive.hpp, key-less grants).
    [[nodiscard]] bool connection_signed_before_grant(std::uint32_t session) const noexcept;

    void clear() noexcept {
        sessions_.clear();
        connections_.clear();
        conn_index_.clear();
        last_conn_ = kNoConnection;
    }

private:
    std::uint32_t new_session(CurrentMessage &m, std::uint64_t id, bool id_known) noexcept;
    std::uint32_t find_session(const Connection &c, std::uint64_t id) const noexcept;

    Limits limits_;
    std::deque<Session> sessions_;       // deques: growth copies nothing and leaves no
    std::deque<Connection> connections_; // unused capacity behind
    std::unordered_map<std::uint32_t, std::uint32_t> conn_index_;
    static constexpr std::uint32_t kNoConnection = 0xffffffffu;
    std::uint32_t last_conn_ = kNoConnection; // index of the connection of the last message
};

// ---------------------------------------------------------------------------
// Implementation

inline Connection *SessionTable::connection(std::uint32_t conn_id, std::uint32_t &index,
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

inline std::uint32_t SessionTable::new_session(CurrentMessage &m, std::uint64_t id,
                                               bool id_known) noexcept {
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
        s.conn = m.conn_index;
        s.facts.id = id;
        s.facts.id_known = id_known;
        s.facts.family = c.facts.family;
        s.facts.negotiate_frame = c.facts.negotiate.response_frame;
        c.sessions.push_back(index);
    } catch (...) { // out of memory: like a limit
        m.anomalies |= bit(Anomaly::SessionLimit);
        return kNoSession;
    }
    return index;
}

// The session that holds `id` now: one whose id a new logon took over holds it no more.
inline std::uint32_t SessionTable::find_session(const Connection &c,
                                                std::uint64_t id) const noexcept {
    for (auto idx : c.sessions) {
        const SessionFacts &s = sessions_[idx].facts;
        if (s.id_known && s.id == id && s.replaced_frame == kNoFrame)
            return idx;
    }
    return kNoSession;
}

// The session that NEGOTIATE and a first SESSION_SETUP (id 0) belong to.
inline std::uint32_t SessionTable::pending_session(CurrentMessage &m) noexcept {
    if (m.conn->pending_session == kNoSession)
        m.conn->pending_session = new_session(m, 0, false);
    return m.conn->pending_session;
}

// The session a SESSION_SETUP request belongs to: the one holding its id, a new one for an
// id no response assigned, or the connection's pending logon for id 0.
inline std::uint32_t SessionTable::setup_request_session(CurrentMessage &m,
                                                         std::uint64_t id) noexcept {
    Connection &conn = *m.conn;
    conn.facts.setup_request_seen = true;
    std::uint32_t s = id != 0 ? find_session(conn, id) : kNoSession;
    if (s == kNoSession)
        s = id != 0 ? new_session(m, id, true) : pending_session(m);
    conn.last_setup_session = s;
    if (s != kNoSession)
        sessions_[s].facts.logon.request_seen = true;
    return s;
}

// A SESSION_SETUP response names the session id the server assigned: the known
// session of that id, else the pending one adopts it. A refusal may carry id 0,
// which assigns nothing; SMB1 share-level servers grant UID 0 itself (`assigns`).
inline std::uint32_t SessionTable::setup_response_session(CurrentMessage &m, std::uint64_t id,
                                                          bool assigns) noexcept {
    if (id != 0 || assigns) {
        if (auto s = find_session(*m.conn, id); s != kNoSession) {
            // The answer to a new logon (SESSION_SETUP with id 0: MS-SMB2 3.3.5.5.1,
            // MS-CIFS 3.3.5.3) names the id of a session whose own logon is over: the
            // server has put the new logon under that id. The new logon is a session of
            // its own and replaces the old one, whose frames stay its own. (UID 0 of an
            // SMB1 share-level server names no user session: nothing to replace.)
            SessionFacts &old = sessions_[s].facts;
            const SetupState st = old.logon.state;
            const bool logon_over =
                st == SetupState::Succeeded || st == SetupState::Failed || old.mid_capture;
            const std::uint32_t p = m.conn->pending_session;
            if (id == 0 || p == kNoSession || p != m.conn->last_setup_session || !logon_over)
                return s;
            old.replaced_frame = m.frame;
            if ((st == SetupState::Succeeded || old.mid_capture) && !old.logged_off)
                m.anomalies |= bit(Anomaly::ReusedSessionId);
        }
    } else if (m.conn->last_setup_session != kNoSession) {
        return m.conn->last_setup_session; // a refusal that names no id answers the last request
    }
    const std::uint32_t s = pending_session(m);
    if (s != kNoSession && (id != 0 || assigns)) {
        sessions_[s].facts.id = id;
        sessions_[s].facts.id_known = true;
        m.conn->pending_session = kNoSession;
    }
    return s;
}

// Any other message belongs to the session of its exact id. On a connection whose
// NEGOTIATE was not captured, an unknown non-zero id is a session already under way.
inline std::uint32_t SessionTable::session_for(CurrentMessage &m, std::uint64_t id) noexcept {
    if (auto s = find_session(*m.conn, id); s != kNoSession)
        return s;
    const NegotiateFacts &n = m.conn->facts.negotiate;
    if (id == 0 || n.request_seen || n.response_seen)
        return kNoSession;
    const std::uint32_t s = new_session(m, id, true);
    if (s != kNoSession)
        sessions_[s].facts.mid_capture = true;
    return s;
}

inline void SessionTable::record_negotiate_response(CurrentMessage &m, Policy p) noexcept {
    Connection &c = *m.conn;
    NegotiateFacts &n = c.facts.negotiate;
    if (n.response_seen && n.server_policy != Policy::Unknown && p != Policy::Unknown &&
        n.server_policy != p)
        m.anomalies |= bit(Anomaly::ContradictoryServerPolicy);
    n.server_policy = p;
    n.response_seen = true;
    n.response_frame = m.frame;
    c.facts.last.negotiate_response = true;
    for (auto idx : c.sessions) {
        SessionFacts &s = sessions_[idx].facts;
        if (s.negotiate_frame == kNoFrame || !s.logon.request_seen)
            s.negotiate_frame = m.frame;
    }
}

inline bool SessionTable::connection_signed_before_grant(std::uint32_t session) const noexcept {
    const SessionFacts &s = sessions_[session].facts;
    for (const std::uint32_t other : connections_[sessions_[session].conn].sessions) {
        const SessionFacts &o = sessions_[other].facts;
        if (other != session && !o.logon.guest && !o.logon.anonymous &&
            o.logon.state == SetupState::Succeeded && o.counts.first_signed_frame != kNoFrame &&
            o.counts.first_signed_frame < s.setup_frame)
            return true;
    }
    return false;
}

} // namespace smbsign
