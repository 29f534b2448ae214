// The per-session tracker: feeds parsed SMB messages and TCP closes into
// bounded per-connection and per-session state, and derives, on request, the
// facts the plugin shows. Meaning of every derived value: doc/DEFINITIONS.md.
#pragma once

#include "smbsign/anomaly.hpp"
#include "smbsign/matrix.hpp"
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

inline constexpr std::uint32_t kNoSession = 0xFFFFFFFF;
inline constexpr std::uint32_t kNoFrame = 0;

enum class Dialect : std::uint8_t {
    Unknown,
    Core,     // SMB1 core dialect: no signing
    Lanman,   // SMB1 LANMAN family: no signing
    NtLm012,  // "NT LM 0.12"
    Smb2Wild, // 0x02FF: the SMB1-to-SMB2 negotiate is still under way
    Smb202,
    Smb210,
    Smb300,
    Smb302,
    Smb311,
};

constexpr std::string_view to_string(Dialect d) noexcept {
    switch (d) {
    case Dialect::Core:
        return "core";
    case Dialect::Lanman:
        return "LANMAN";
    case Dialect::NtLm012:
        return "NT LM 0.12";
    case Dialect::Smb2Wild:
        return "2.???";
    case Dialect::Smb202:
        return "2.0.2";
    case Dialect::Smb210:
        return "2.1";
    case Dialect::Smb300:
        return "3.0";
    case Dialect::Smb302:
        return "3.0.2";
    case Dialect::Smb311:
        return "3.1.1";
    case Dialect::Unknown:
        break;
    }
    return "unknown";
}

constexpr std::string_view to_string(smb2::SigningAlgorithm a) noexcept {
    switch (a) {
    case smb2::SigningAlgorithm::HmacSha256:
        return "HMAC-SHA256";
    case smb2::SigningAlgorithm::AesCmac:
        return "AES-128-CMAC";
    case smb2::SigningAlgorithm::AesGmac:
        return "AES-128-GMAC";
    case smb2::SigningAlgorithm::Md5:
        return "MD5 (SMB1 MAC)";
    case smb2::SigningAlgorithm::Unknown:
        break;
    }
    return "unknown";
}

constexpr std::string_view to_string(smb2::Cipher c) noexcept {
    switch (c) {
    case smb2::Cipher::Aes128Ccm:
        return "AES-128-CCM";
    case smb2::Cipher::Aes128Gcm:
        return "AES-128-GCM";
    case smb2::Cipher::Aes256Ccm:
        return "AES-256-CCM";
    case smb2::Cipher::Aes256Gcm:
        return "AES-256-GCM";
    case smb2::Cipher::Unknown:
        return "unknown";
    case smb2::Cipher::None:
        break;
    }
    return "none";
}

struct Limits {
    std::uint32_t max_connections = 100'000;
    std::uint32_t max_sessions = 250'000;
    std::uint32_t max_sessions_per_connection = 64;
    std::uint32_t max_pending_per_connection = 16;
};

// One analysed SMB message as the frame that carried it remembers it.
struct FrameEntry {
    std::uint32_t frame = 0;
    std::uint32_t session = kNoSession;
    AnomalySet anomalies = 0;
    verify::Code signature = 0; // the signature check of its message(s), verify/result.hpp
};

// The frame log: 8 bytes per (frame, session) pair; the rare anomalies live apart.
class FrameLog {
public:
    struct Slot {
        std::uint32_t frame;
        std::uint32_t session;
    };

    // The entries of one frame, read as FrameEntry values.
    class Entries {
    public:
        class iterator {
        public:
            using value_type = FrameEntry;
            using difference_type = std::ptrdiff_t;
            iterator(const FrameLog *log, std::size_t i) : log_(log), i_(i) {}
            FrameEntry operator*() const { return log_->entry(i_); }
            iterator &operator++() {
                ++i_;
                return *this;
            }
            bool operator==(const iterator &o) const { return i_ == o.i_; }
            bool operator!=(const iterator &o) const { return i_ != o.i_; }

        private:
            const FrameLog *log_;
            std::size_t i_;
        };
        Entries(const FrameLog *log, std::size_t lo, std::size_t hi) : log_(log), lo_(lo), hi_(hi) {}
        [[nodiscard]] std::size_t size() const { return hi_ - lo_; }
        [[nodiscard]] bool empty() const { return hi_ == lo_; }
        FrameEntry operator[](std::size_t i) const { return log_->entry(lo_ + i); }
        [[nodiscard]] FrameEntry front() const { return log_->entry(lo_); }
        [[nodiscard]] iterator begin() const { return {log_, lo_}; }
        [[nodiscard]] iterator end() const { return {log_, hi_}; }

    private:
        const FrameLog *log_;
        std::size_t lo_, hi_;
    };

    // Frames must come in increasing order; a repeated (frame, session) merges.
    void note(std::uint32_t frame, std::uint32_t session, AnomalySet anomalies) noexcept {
        std::size_t index = slots_.size();
        for (std::size_t i = slots_.size(); i > 0 && slots_[i - 1].frame == frame; --i)
            if (slots_[i - 1].session == session)
                index = i - 1;
        try {
            if (index == slots_.size())
                slots_.push_back({frame, session});
            if (anomalies != 0 && index < slots_.size())
                merge(static_cast<std::uint32_t>(index), anomalies);
        } catch (...) { // out of memory: the frame is shown without analysis
        }
    }

    [[nodiscard]] Entries of(std::uint32_t frame) const noexcept {
        const std::size_t n = slots_.size();
        std::size_t lo = hint_;
        // Passes ask in increasing order: a few steps on from the last answer; otherwise
        // (a user clicking around) a binary search.
        if (lo < n && slots_[lo].frame <= frame && (lo + 4 >= n || slots_[lo + 4].frame >= frame)) {
            while (lo < n && slots_[lo].frame < frame)
                ++lo;
        } else {
            lo = static_cast<std::size_t>(
                std::lower_bound(slots_.begin(), slots_.end(), frame,
                                 [](const Slot &e, std::uint32_t f) { return e.frame < f; }) -
                slots_.begin());
        }
        std::size_t hi = lo;
        while (hi < n && slots_[hi].frame == frame)
            ++hi;
        hint_ = lo;
        return {this, lo, hi};
    }

    [[nodiscard]] FrameEntry entry(std::size_t i) const {
        FrameEntry e{slots_[i].frame, slots_[i].session, 0, 0};
        auto it = std::lower_bound(anomalies_.begin(), anomalies_.end(), i,
                                   [](const auto &a, std::size_t k) { return a.first < k; });
        if (it != anomalies_.end() && it->first == i)
            e.anomalies = it->second;
        auto sig = std::lower_bound(signatures_.begin(), signatures_.end(), i,
                                    [](const auto &a, std::size_t k) { return a.first < k; });
        if (sig != signatures_.end() && sig->first == i)
            e.signature = sig->second;
        return e;
    }

    // The signature check of a message already noted for (frame, session); a frame's
    // several messages of one session (compound) keep the result that matters most.
    void note_signature(std::uint32_t frame, std::uint32_t session, verify::Code code) noexcept {
        if (verify::status_of(code) == verify::Status::None)
            return;
        for (std::size_t i = slots_.size(); i > 0 && slots_[i - 1].frame == frame; --i) {
            if (slots_[i - 1].session != session)
                continue;
            const auto key = static_cast<std::uint32_t>(i - 1);
            try {
                if (!signatures_.empty() && signatures_.back().first == key)
                    signatures_.back().second = verify::worse(signatures_.back().second, code);
                else
                    signatures_.emplace_back(key, code);
            } catch (...) { // out of memory: the message is shown unchecked
            }
            return;
        }
    }

    void clear() noexcept {
        slots_.clear();
        hint_ = 0;
        anomalies_.clear();
        signatures_.clear();
    }

private:
    void merge(std::uint32_t key, AnomalySet anomalies) {
        if (!anomalies_.empty() && anomalies_.back().first == key)
            anomalies_.back().second |= anomalies;
        else
            anomalies_.emplace_back(key, anomalies);
    }

    // A deque grows block by block: no copy of the whole log, and no unused half of a
    // doubled vector, on a capture of millions of frames.
    std::deque<Slot> slots_;
    mutable std::size_t hint_ = 0; // where the last of() answer started
    std::vector<std::pair<std::uint32_t, AnomalySet>> anomalies_; // by slot index
    std::vector<std::pair<std::uint32_t, verify::Code>> signatures_; // by slot index
};

// Everything the plugin shows about one session, derived on request.
struct SessionView {
    std::uint32_t number = 0; // 1-based, in order of first appearance
    std::uint64_t id = 0;     // SMB1 UID or SMB2 SessionId
    bool id_known = false;    // false: nothing assigned one yet (NEGOTIATE only, or failed setup)
    Family family = Family::Unknown;
    Dialect dialect = Dialect::Unknown;
    Policy client = Policy::Unknown;
    Policy server = Policy::Unknown;
    bool client_inferred = false; // KB887429 pattern: client closed after a NEGOTIATE
    bool guest = false;
    bool anonymous = false;
    bool mid_capture = false;
    Verdict verdict = Verdict::Unknown;
    std::string_view verdict_reason;
    Predicted predicted = Predicted::Unknown;
    Observed observed = Observed::Incomplete;
    std::optional<bool> consistent;
    smb2::SigningAlgorithm signing_algorithm = smb2::SigningAlgorithm::Unknown;
    smb2::Cipher cipher = smb2::Cipher::None;
    std::uint32_t counted = 0;
    std::uint32_t counted_signed = 0;
    std::uint32_t counted_encrypted = 0;
    std::uint32_t negotiate_frame = kNoFrame;
    std::uint32_t setup_frame = kNoFrame;   // final successful SESSION_SETUP response
    std::uint32_t outcome_frame = kNoFrame; // the frame that proves the observed outcome
    std::uint32_t prediction_frame = kNoFrame; // the frame that completed the prediction's facts
    std::uint32_t first_signed_frame = kNoFrame;
    std::uint32_t first_unsigned_frame = kNoFrame;
    bool malformed = false;
    // Signature verification (a verify::Hook set): doc/DEFINITIONS.md.
    verify::Integrity integrity = verify::Integrity::NotSigned;
    verify::SessionSummary signatures;
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
    };

    Connection *connection(std::uint32_t conn_id, std::uint32_t &index, AnomalySet &anomalies);
    void learn_direction(Msg &m, bool is_response) noexcept;
    std::uint32_t new_session(Msg &m, std::uint64_t id, bool id_known) noexcept;
    std::uint32_t find_session(const Connection &c, std::uint64_t id) const noexcept;
    std::uint32_t pending_session(Msg &m) noexcept;
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

    void smb1_message(Msg &m, Bytes data) noexcept;
    void smb1_negotiate(Msg &m, const smb1::Header &h, const smb1::Chain &c) noexcept;
    void smb1_session_setup(Msg &m, const smb1::Header &h, const smb1::Chain &c) noexcept;
    std::size_t smb2_chain(Msg &m, Bytes data) noexcept;
    void smb2_message(Msg &m, const smb2::Header &h, Bytes msg) noexcept;
    void smb2_negotiate(Msg &m, const smb2::Header &h, Bytes msg) noexcept;
    void smb2_session_setup(Msg &m, const smb2::Header &h, Bytes msg) noexcept;
    void smb2_transform(Msg &m, Bytes data) noexcept;
    void verify_message(const Msg &m, Bytes msg, bool smb2, bool negotiate,
                        bool truncated) noexcept;

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

// Hands one message to the verifier, if any, and notes its signature check.
inline void Tracker::verify_message(const Msg &m, Bytes msg, bool smb2, bool negotiate,
                                    bool truncated) noexcept {
    if (verifier_ == nullptr || (m.session == kNoSession && !negotiate))
        return;
    const Connection &c = *m.conn;
    verify::MessageContext ctx;
    ctx.conn = m.conn_index;
    ctx.session = m.session;
    ctx.frame = m.frame;
    ctx.truncated = truncated;
    ctx.mid_capture = m.session != kNoSession && sessions_[m.session].mid_capture;
    static constexpr std::uint16_t kDialects[] = {smb2::kDialect202, smb2::kDialect210,
                                                  smb2::kDialect300, smb2::kDialect302,
                                                  smb2::kDialect311};
    if (c.dialect >= Dialect::Smb202)
        ctx.smb2_dialect = kDialects[static_cast<int>(c.dialect) - static_cast<int>(Dialect::Smb202)];
    ctx.smb2_signing_id = verify::signing_id(c.signing_algorithm);
    const verify::Code code = smb2 ? verifier_->smb2(ctx, msg) : verifier_->smb1(ctx, msg);
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
        smb1_message(m, data);
        verify_message(m, data, false, data.size() > 4 && data[4] == smb1::kCmdNegotiate,
                       m.truncated);
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

// --- SMB1 -------------------------------------------------------------------

inline void Tracker::smb1_message(Msg &m, Bytes data) noexcept {
    smb1::Header h;
    if (auto e = smb1::parse_header(data, h); e != ParseError::None) {
        header_error(m, e);
        return;
    }
    Connection &c = *m.conn;
    learn_direction(m, h.is_reply());
    if (c.family == Family::Unknown)
        c.family = Family::Smb1;
    const smb1::Chain chain = smb1::parse_chain(data, h);
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
        conn.setup_request_seen = true;
        m.session = h.uid != 0 ? find_session(conn, h.uid) : kNoSession;
        if (m.session == kNoSession)
            m.session = h.uid != 0 ? new_session(m, h.uid, true) : pending_session(m);
        conn.last_setup_session = m.session;
        if (m.session == kNoSession)
            return;
        Session &s = sessions_[m.session];
        s.setup_request_seen = true;
        s.smb1_setup_flags2 = h.flags2;
        s.smb1_setup_flags2_seen = true;
        s.client_policy_frame = m.frame;
        if (c.count == 0) {
            body_error(m, c.error);
            return;
        }
        smb1::SessionSetupRequest req;
        const auto e = smb1::parse_session_setup_request(h, c.blocks[0], req);
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
        smb2_message(one, h, smb2::message_bytes(rest, h));
        verify_message(one, smb2::message_bytes(rest, h), true, h.command == smb2::kCmdNegotiate,
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

// MS-SMB2 2.2.3/2.2.4 SecurityMode as a policy.
inline Policy policy_from_smb2_mode(std::uint16_t mode) noexcept {
    if (mode & smb2::kSigningRequired)
        return Policy::Required;
    return (mode & smb2::kSigningEnabled) ? Policy::Enabled : Policy::Disabled;
}

inline Dialect dialect_from_smb2(std::uint16_t d) noexcept {
    switch (d) {
    case smb2::kDialect202:
        return Dialect::Smb202;
    case smb2::kDialect210:
        return Dialect::Smb210;
    case smb2::kDialect300:
        return Dialect::Smb300;
    case smb2::kDialect302:
        return Dialect::Smb302;
    case smb2::kDialect311:
        return Dialect::Smb311;
    case smb2::kDialectWildcard:
        return Dialect::Smb2Wild;
    default:
        return Dialect::Unknown;
    }
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
    if (r.has_signing_context)
        c.signing_algorithm = smb2::signing_algorithm_from_id(r.signing_algorithm_id);
    else if (r.dialect >= smb2::kDialect300 && r.dialect != smb2::kDialectWildcard)
        c.signing_algorithm = smb2::SigningAlgorithm::AesCmac;
    else
        c.signing_algorithm = smb2::SigningAlgorithm::HmacSha256;
    c.cipher = r.cipher;
    // MS-SMB2 2.2.4: a server always sets SIGNING_ENABLED.
    if (!(r.security_mode & smb2::kSigningEnabled))
        m.anomalies |= bit(Anomaly::InvalidSecurityMode);
    set_server_policy(m, policy_from_smb2_mode(r.security_mode));
}

inline void Tracker::smb2_session_setup(Msg &m, const smb2::Header &h, Bytes msg) noexcept {
    Connection &conn = *m.conn;
    if (!h.is_response()) {
        conn.setup_request_seen = true;
        m.session = h.session_id != 0 ? find_session(conn, h.session_id) : kNoSession;
        if (m.session == kNoSession)
            m.session = h.session_id != 0 ? new_session(m, h.session_id, true) : pending_session(m);
        conn.last_setup_session = m.session;
        if (m.session == kNoSession)
            return;
        Session &s = sessions_[m.session];
        s.setup_request_seen = true;
        smb2::SessionSetupRequest r;
        const auto e = smb2::parse_session_setup_request(msg, r);
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
    std::uint16_t flags = 0;
    const auto e = smb2::parse_session_setup_response(msg, flags);
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

// --- Derived view -------------------------------------------------------------

// Client policy (doc/DEFINITIONS.md, "Policies"), and whether it is only inferred.
inline std::pair<Policy, bool> Tracker::client_policy(const Session &s,
                                                      const Connection &c) const noexcept {
    switch (c.family != Family::Unknown ? c.family : s.family) {
    case Family::Smb1:
        if (s.smb1_setup_flags2_seen) {
            if (s.smb1_setup_flags2 & smb1::kFlags2SecuritySignatureRequired)
                return {Policy::Required, false};
            if (s.smb1_setup_flags2 & smb1::kFlags2SecuritySignature)
                return {Policy::Enabled, false};
            return {Policy::Disabled, false};
        }
        if (s.client_inferred_required)
            return {Policy::Required, true};
        break;
    case Family::Smb2:
        if (c.smb2_client_security_mode_seen)
            return {policy_from_smb2_mode(c.smb2_client_security_mode), false};
        if (s.smb2_setup_security_mode_seen)
            return {policy_from_smb2_mode(s.smb2_setup_security_mode), false};
        break;
    case Family::Unknown:
        break;
    }
    return {Policy::Unknown, false};
}

// A granted session that has no session key and so cannot sign.
// SMB1 (MS-CIFS 3.2.5.3): a guest or anonymous grant never activates signing; but SMB1
// signs per connection, so once an earlier authenticated session of the connection has
// signed, the connection's key goes on signing every message and a later grant proves
// nothing.
// SMB2/3 (MS-SMB2 3.2.5.3): the server's IS_GUEST or IS_NULL flag. An anonymous NTLM
// grant without IS_NULL may still sign: Windows Server 2019 does.
inline bool Tracker::keyless(const Session &s, const Connection &c, Family family) const noexcept {
    if (s.setup != SetupState::Succeeded)
        return false;
    if (family == Family::Smb2)
        return s.guest || s.smb2_null;
    if (family != Family::Smb1 || !(s.guest || s.anonymous))
        return false;
    if (c.server_policy == Policy::Disabled) // signing never negotiated on this connection
        return true;
    for (const std::uint32_t other : c.sessions) {
        const Session &o = sessions_[other];
        if (&o != &s && !o.guest && !o.anonymous && o.setup == SetupState::Succeeded &&
            o.first_signed_frame != kNoFrame && o.first_signed_frame < s.setup_frame)
            return false;
    }
    return true;
}

inline SessionView Tracker::view(std::uint32_t index) const noexcept {
    SessionView v;
    if (index >= sessions_.size())
        return v;
    const Session &s = sessions_[index];
    const Connection &c = connections_[s.conn];
    v.number = index + 1;
    v.id = s.id;
    v.id_known = s.id_known;
    v.family = c.family != Family::Unknown ? c.family : s.family;
    v.dialect = c.dialect;
    v.server = c.server_policy;
    v.guest = s.guest;
    v.anonymous = s.anonymous;
    v.mid_capture = s.mid_capture;
    v.signing_algorithm = c.signing_algorithm;
    v.cipher = c.cipher;
    v.negotiate_frame = s.negotiate_frame != kNoFrame ? s.negotiate_frame : c.negotiate_frame;
    v.setup_frame = s.setup_frame;
    v.first_signed_frame = s.first_signed_frame;
    v.first_unsigned_frame = s.first_unsigned_frame;
    v.malformed = s.malformed || c.malformed;

    std::tie(v.client, v.client_inferred) = client_policy(s, c);

    // Verdict.
    const std::uint32_t counted = s.counted_requests + s.counted_responses;
    const std::uint32_t signed_count = s.signed_requests + s.signed_responses;
    v.counted = counted + s.counted_encrypted;
    v.counted_signed = signed_count;
    v.counted_encrypted = s.counted_encrypted;
    const bool granted = s.setup == SetupState::Succeeded || s.mid_capture;
    if (v.malformed) {
        v.verdict = Verdict::Unknown;
        v.verdict_reason = "a message of this session or connection could not be parsed";
    } else if (!granted) {
        if (s.setup_request_seen) {
            v.verdict = Verdict::NotEstablished;
            v.verdict_reason = "the session never got past authentication";
        } else if (c.negotiate_response_seen || c.negotiate_request_seen) {
            v.verdict = Verdict::NotEstablished;
            v.verdict_reason = "no SESSION_SETUP: the connection got no further than NEGOTIATE";
        } else {
            v.verdict_reason = "no SESSION_SETUP and no message of the session seen";
        }
    } else if (s.counted_encrypted > 0 && signed_count == counted) {
        v.verdict = Verdict::Encrypted;
        v.verdict_reason = "messages after SESSION_SETUP travel in SMB3 transform headers";
    } else if (v.counted == 0) {
        if (keyless(s, c, v.family)) {
            v.verdict = Verdict::Unsigned;
            v.verdict_reason = "guest/anonymous session: no session key, it cannot sign";
        } else {
            v.verdict_reason = "no message after the final SESSION_SETUP seen yet";
        }
    } else if (v.family == Family::Smb2) {
        v.verdict = signed_count == counted ? Verdict::Signed : Verdict::Unsigned;
        if (v.verdict == Verdict::Signed)
            v.verdict_reason = "every counted message has SMB2_FLAGS_SIGNED";
        else if (signed_count > 0)
            v.verdict_reason = "some counted messages are signed, others are not";
        else if (s.guest || s.anonymous)
            v.verdict_reason = "guest/anonymous session: no session key, nothing signed";
        else
            v.verdict_reason = "counted messages lack SMB2_FLAGS_SIGNED";
    } else {
        const bool all_signed = signed_count == counted;
        const bool both_ways = s.counted_requests > 0 && s.counted_responses > 0;
        if (s.guest || s.anonymous) {
            v.verdict = Verdict::Unsigned;
            v.verdict_reason = signed_count > 0 ? "guest/anonymous session: signature bytes are "
                                                  "junk, not signatures (no session key)"
                                                : "guest/anonymous session: nothing signed";
        } else if (all_signed && (c.server_policy != Policy::Disabled || both_ways)) {
            v.verdict = Verdict::Signed;
            v.verdict_reason = "every counted message carries a signature";
        } else {
            v.verdict = Verdict::Unsigned;
            if (signed_count == 0)
                v.verdict_reason = "signature fields are zero or the BSRSPYL placeholder";
            else if (c.server_policy == Policy::Disabled)
                v.verdict_reason = "non-zero signature bytes on a connection that never "
                                   "negotiated signing: junk, not signatures";
            else
                v.verdict_reason = "some counted messages are signed, others are not";
        }
    }

    // Prediction.
    MatrixFacts f;
    f.family = v.family;
    f.client = v.client;
    f.server = v.server;
    f.guest_or_anonymous = s.setup == SetupState::Succeeded && (s.guest || s.anonymous);
    f.client_from_session_setup = v.family == Family::Smb2 && !c.smb2_client_security_mode_seen;
    v.predicted = predict(f);
    v.prediction_frame = std::max({v.negotiate_frame,
                                   c.smb2_client_security_mode_seen ? c.client_policy_frame
                                                                    : s.client_policy_frame,
                                   f.guest_or_anonymous ? s.setup_frame : kNoFrame});

    // Observed outcome, first match wins.
    struct Candidate {
        Observed outcome;
        std::uint32_t frame;
    };
    const Candidate order[] = {
        {Observed::SigningFailure, s.signing_failure_frame},
        {Observed::ClosedAfterNegotiate, s.closed_after_negotiate_frame},
        {Observed::AuthFailed,
         s.setup == SetupState::Failed ? s.auth_failed_frame : kNoFrame},
        {Observed::DeniedAtTreeConnect, s.denied_frame},
        {Observed::Established, s.established_frame},
    };
    for (const auto &cand : order) {
        if (cand.frame != kNoFrame) {
            v.observed = cand.outcome;
            v.outcome_frame = cand.frame;
            break;
        }
    }
    v.consistent = consistent(v.predicted, v.observed, v.verdict, v.server);

    // Integrity (doc/DEFINITIONS.md, "Signature verification").
    if (verifier_ != nullptr)
        v.signatures = verifier_->summary(index);
    v.integrity = verify::integrity_of(
        v.signatures, v.verdict == Verdict::Signed || v.verdict == Verdict::Encrypted);
    return v;
}

} // namespace smbsign
