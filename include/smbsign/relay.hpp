// NTLM relay: the NTLM facts of each session (names, flags, MIC, a short fingerprint of the
// NTProofStr) and the bounded index that links the two legs of a relay: the victim's
// authentication to the relaying host and the relaying host's use of it against the target.
// Fed by the tracker with the SESSION_SETUP security blobs its handlers already located; reads
// them with the one NTLMSSP reader (ntlmssp.hpp). Meanings: doc/DEFINITIONS.md, "NTLM relay".
#pragma once

#include "smbsign/anomaly.hpp"
#include "smbsign/bytes.hpp"
#include "smbsign/frame_log.hpp"
#include "smbsign/matrix.hpp"
#include "smbsign/ntlmssp.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace smbsign {

enum class RelayRole : std::uint8_t { None, Victim, Relayed, Suspected };

enum class RelaySignal : std::uint8_t {
    SameResponse,  // the same NTProofStr answered on two connections
    SameChallenge, // the same server challenge on two connections
    TargetName,    // MsvAvTargetName names another host than this server
    MicDropped,    // the client promised a MIC (MsvAvFlags) that the message lacks
    FlagsDropped,  // sign or key exchange asked for (and granted) but dropped in AUTHENTICATE
    Reflection,    // the relayed leg's server is the victim itself
    Count
};
using RelaySignals = std::uint8_t;
static_assert(static_cast<unsigned>(RelaySignal::Count) <= 8);

constexpr RelaySignals bit(RelaySignal s) noexcept {
    return static_cast<RelaySignals>(1u << static_cast<unsigned>(s));
}

// What became of the relayed session (the relayed leg's own session; a victim leg shows its
// peer's).
enum class RelayOutcome : std::uint8_t { None, Worked, FailedSigning, FailedAuth, Incomplete };

constexpr std::string_view to_string(RelayRole r) noexcept {
    switch (r) {
    case RelayRole::Victim:
        return "victim";
    case RelayRole::Relayed:
        return "relayed";
    case RelayRole::Suspected:
        return "suspected";
    case RelayRole::None:
        break;
    }
    return "none";
}

constexpr std::string_view to_string(RelaySignal s) noexcept {
    switch (s) {
    case RelaySignal::SameResponse:
        return "same-response";
    case RelaySignal::SameChallenge:
        return "same-challenge";
    case RelaySignal::TargetName:
        return "target-name";
    case RelaySignal::MicDropped:
        return "mic-dropped";
    case RelaySignal::FlagsDropped:
        return "flags-dropped";
    case RelaySignal::Reflection:
        return "reflection";
    case RelaySignal::Count:
        break;
    }
    return "unknown";
}

constexpr std::string_view to_string(RelayOutcome o) noexcept {
    switch (o) {
    case RelayOutcome::Worked:
        return "worked";
    case RelayOutcome::FailedSigning:
        return "failed-signing-required";
    case RelayOutcome::FailedAuth:
        return "failed-auth";
    case RelayOutcome::Incomplete:
        return "incomplete";
    case RelayOutcome::None:
        break;
    }
    return "none";
}

// Signals found on both legs of a linked pair (an error) as opposed to one leg only (a warning).
inline constexpr RelaySignals kPairSignals =
    bit(RelaySignal::SameResponse) | bit(RelaySignal::SameChallenge);

// The NTLM facts of one session: never a response, hash or key (the NTProofStr is kept for
// linking and shown only as a 32-bit fingerprint). The names are the relay index's own
// (NamePool: a name many sessions share is kept once), each all of a NUL-terminated text,
// valid as long as the index.
struct NtlmFacts {
    std::string_view user;            // AUTHENTICATE UserName
    std::string_view domain;          // AUTHENTICATE DomainName
    std::string_view workstation;     // AUTHENTICATE Workstation
    std::string_view server_nb_name;  // CHALLENGE MsvAvNbComputerName
    std::string_view server_dns_name; // CHALLENGE MsvAvDnsComputerName
    std::string_view target_name;     // AUTHENTICATE NTLMv2 MsvAvTargetName
    std::uint32_t negotiate_flags = 0;
    std::uint32_t challenge_flags = 0;
    std::uint32_t authenticate_flags = 0;
    std::uint32_t challenge_frame = kNoFrame;
    std::uint32_t authenticate_frame = kNoFrame;
    std::uint32_t proof_fingerprint = 0; // of the NTProofStr (relay::fingerprint)
    std::array<std::uint8_t, ntlm::kServerChallengeSize> server_challenge{};
    std::array<std::uint8_t, ntlm::kNtProofStrSize> proof{}; // linking only, never shown
    bool negotiate_seen = false;
    bool challenge_seen = false;
    bool authenticate_seen = false;
    bool ntlmv2 = false;       // the response is NTLMv2: proof and fingerprint are set
    bool mic = false;          // the AUTHENTICATE carries a MIC
    bool mic_promised = false; // its NTLMv2 MsvAvFlags say it does
};

// A session's relay evidence as shown (relay.* fields).
struct RelayView {
    RelayRole role = RelayRole::None;
    RelaySignals signals = 0;
    std::uint32_t peer_session = kNoSession; // the other leg's session
    std::uint32_t peer_frame = kNoFrame;     // the other leg's AUTHENTICATE (or CHALLENGE)
    std::uint32_t frame = kNoFrame;          // this leg's AUTHENTICATE (or CHALLENGE)
    RelayOutcome outcome = RelayOutcome::None;
};

namespace relay {

// 32 bits of FNV-1a 64 over a fixed tag and the NTProofStr: enough to tell responses apart
// and link legs across captures, and no way back to the 16 bytes (2^96 preimages each).
// Without the NTLMv2 blob it is no password-guessing oracle either.
inline std::uint32_t fingerprint(Bytes proof) noexcept {
    constexpr std::string_view kTag = "smbsign-ntproofstr";
    const std::uint64_t h = fnv1a64(
        proof, fnv1a64(Bytes(reinterpret_cast<const std::uint8_t *>(kTag.data()), kTag.size())));
    return static_cast<std::uint32_t>(h ^ (h >> 32));
}

// The host of an SPN "service/host[:port][/name]" (MS-NLMP 2.2.2.1 MsvAvTargetName); IPv6
// addresses may come in brackets. Empty when there is none.
inline std::string_view spn_host(std::string_view spn) noexcept {
    const auto slash = spn.find('/');
    if (slash == std::string_view::npos)
        return {};
    std::string_view host = spn.substr(slash + 1);
    if (!host.empty() && host.front() == '[') {
        const auto close = host.find(']');
        return close == std::string_view::npos ? std::string_view{} : host.substr(1, close - 1);
    }
    host = host.substr(0, host.find('/'));
    if (std::count(host.begin(), host.end(), ':') == 1)
        host = host.substr(0, host.find(':'));
    return host;
}

inline std::string_view first_label(std::string_view name) noexcept {
    return name.substr(0, name.find('.'));
}

// Whether a target-name host names this server: one of the CHALLENGE's names (a DNS name
// also by its first label, which is the NetBIOS name for Windows and Samba), or the address
// the capture shows for it. "localhost" and loopback addresses name the machine itself.
inline bool names_server(std::string_view host, const NtlmFacts &f,
                         std::string_view server_address) noexcept {
    if (iequal(host, "localhost") || host.starts_with("127.") || host == "::1")
        return true;
    if (!server_address.empty() && iequal(host, server_address))
        return true;
    const std::string_view label = first_label(host);
    for (const std::string_view name : {f.server_nb_name, f.server_dns_name}) {
        if (name.empty())
            continue;
        if (iequal(host, name) || iequal(label, name) || iequal(label, first_label(name)))
            return true;
    }
    return false;
}

// Whether `host` is an address (IPv4 dotted or IPv6) rather than a name.
inline bool is_address(std::string_view host) noexcept {
    const bool v4 = !host.empty() && std::all_of(host.begin(), host.end(), [](char c) {
        return (c >= '0' && c <= '9') || c == '.';
    });
    return v4 || host.find(':') != std::string_view::npos;
}

// One-leg signal: the client's MsvAvTargetName names another host than this server. Nothing
// is concluded from an empty target name, from a session whose CHALLENGE is not in the capture,
// or from an address target when the server's address is unknown.
inline bool target_name_elsewhere(const NtlmFacts &f, std::string_view server_address) noexcept {
    if (!f.authenticate_seen || !f.challenge_seen || f.target_name.empty())
        return false;
    const std::string_view host = spn_host(f.target_name);
    if (host.empty())
        return false;
    if (is_address(host) && server_address.empty())
        return false;
    if (!is_address(host) && f.server_nb_name.empty() && f.server_dns_name.empty())
        return false;
    return !names_server(host, f, server_address);
}

inline constexpr std::uint32_t kProtectionFlags = ntlm::kFlagSign | ntlm::kFlagKeyExchange;

// One-leg signal: signing or key exchange that the NEGOTIATE asked for and the CHALLENGE
// granted is missing from the AUTHENTICATE (MS-NLMP 3.1.5.1.2: the client keeps what both
// support; only a rewrite drops it).
inline bool flags_dropped(const NtlmFacts &f) noexcept {
    if (!f.negotiate_seen || !f.challenge_seen || !f.authenticate_seen)
        return false;
    const std::uint32_t agreed = f.negotiate_flags & f.challenge_flags & kProtectionFlags;
    return (agreed & ~f.authenticate_flags) != 0;
}

// What became of a relayed session, from its observed outcome and the server's policy.
constexpr RelayOutcome outcome_of(Observed observed, Policy server) noexcept {
    switch (observed) {
    case Observed::Established:
        return RelayOutcome::Worked;
    case Observed::AuthFailed:
        return RelayOutcome::FailedAuth;
    case Observed::DeniedAtTreeConnect:
    case Observed::SigningFailure:
        return server == Policy::Required ? RelayOutcome::FailedSigning : RelayOutcome::Incomplete;
    default:
        return RelayOutcome::Incomplete;
    }
}

// An index key: the bytes folded into 64 bits (a challenge fits whole; an NTProofStr is
// compared in full after a hit).
inline std::uint64_t fold(Bytes b) noexcept {
    std::uint64_t k = 0;
    for (std::size_t i = 0; i < b.size(); ++i)
        k ^= static_cast<std::uint64_t>(b[i]) << (8 * (i % 8));
    return k;
}

} // namespace relay

// Each name kept once: users, domains and hosts repeat over the sessions of a capture. At
// most six names per leg, and legs are bounded (RelayLimits). Views stay valid until clear()
// (a set's elements do not move).
class NamePool {
public:
    std::string_view intern(std::string name) {
        if (name.empty())
            return {};
        return *names_.insert(std::move(name)).first;
    }
    void clear() noexcept { names_.clear(); }

private:
    std::unordered_set<std::string> names_;
};

struct RelayLimits {
    std::uint32_t max_legs = 100'000; // sessions with NTLM facts (and index entries of each kind)
};

// The index: NTLM facts per session, and server challenges and NTProofStrs over connections.
// One pass links a leg to the legs seen before it; a second pass sees them all.
class RelayIndex {
public:
    explicit RelayIndex(RelayLimits limits = {}) : limits_(limits) {}

    // A SESSION_SETUP security blob of `session` on connection `conn` (the plugin's id).
    // Returns the anomalies to note on the frame (Anomaly::RelayIndexLimit).
    AnomalySet on_setup(std::uint32_t conn, std::uint32_t session, std::uint32_t frame,
                        bool response, Bytes blob);

    // Whether the connection's addresses are wanted (a leg was recorded on it without them).
    [[nodiscard]] bool wants_endpoints(std::uint32_t conn) const noexcept {
        return awaiting_ == conn && awaiting_set_;
    }
    void set_endpoints(std::uint32_t conn, std::string client, std::string server);

    [[nodiscard]] const NtlmFacts *ntlm(std::uint32_t session) const noexcept {
        const Leg *l = leg(session);
        return l == nullptr ? nullptr : &l->facts;
    }
    // The session's relay evidence, without its outcome (the tracker adds that).
    [[nodiscard]] RelayView view(std::uint32_t session) const noexcept;

    void clear() noexcept {
        ++changes_;
        leg_of_.clear();
        legs_.clear();
        by_challenge_.clear();
        by_proof_.clear();
        endpoints_.clear();
        names_.clear();
        awaiting_set_ = false;
    }

private:
    struct Leg {
        std::uint32_t conn = 0;
        std::uint32_t peer = kNoSession;
        RelayRole pair_role = RelayRole::None;
        RelaySignals pair_signals = 0;
        NtlmFacts facts;
    };
    struct Endpoints { // addresses as text (short: kept in the strings themselves)
        std::string client;
        std::string server;
    };
    static constexpr std::uint32_t kNoLeg = 0xffffffffu;

    [[nodiscard]] const Leg *leg(std::uint32_t session) const noexcept {
        if (session >= leg_of_.size() || leg_of_[session] == kNoLeg)
            return nullptr;
        return &legs_[leg_of_[session]];
    }
    Leg *leg_for(std::uint32_t conn, std::uint32_t session, AnomalySet &anomalies);
    void challenge(Leg &l, std::uint32_t session, std::uint32_t frame, Bytes msg);
    void authenticate(Leg &l, std::uint32_t session, std::uint32_t frame, Bytes msg);
    void pair(std::uint32_t a, RelayRole role_a, std::uint32_t b, RelayRole role_b,
              RelaySignal s) noexcept;
    [[nodiscard]] const Endpoints *endpoints(std::uint32_t conn) const noexcept {
        auto it = endpoints_.find(conn);
        return it == endpoints_.end() ? nullptr : &it->second;
    }
    [[nodiscard]] RelaySignals pair_evidence(const Leg &self, const Leg &peer) const noexcept;
    void await(std::uint32_t conn) {
        if (endpoints_.find(conn) == endpoints_.end()) {
            awaiting_ = conn;
            awaiting_set_ = true;
        }
    }

    RelayLimits limits_;
    std::vector<std::uint32_t> leg_of_; // session index -> legs_ index
    std::deque<Leg> legs_;
    std::unordered_map<std::uint64_t, std::uint32_t> by_challenge_; // -> first session
    std::unordered_map<std::uint64_t, std::uint32_t> by_proof_;     // (folded) -> first session
    std::unordered_map<std::uint32_t, Endpoints> endpoints_;
    NamePool names_; // of the legs' NtlmFacts
    std::uint32_t awaiting_ = 0;
    bool awaiting_set_ = false;
    std::uint64_t changes_ = 1; // counts on_setup, set_endpoints and clear calls
    // The last view() answer, as derived when the index had seen `viewed_at_` changes: a
    // session's view is asked for on each of its frames (mostly one after the other), the
    // index changes only with a SESSION_SETUP carrying NTLM or a connection's addresses.
    mutable std::uint64_t viewed_at_ = 0;
    mutable std::uint32_t viewed_session_ = kNoSession;
    mutable RelayView viewed_;
};

// ---------------------------------------------------------------------------
// Implementation

inline RelayIndex::Leg *RelayIndex::leg_for(std::uint32_t conn, std::uint32_t session,
                                            AnomalySet &anomalies) {
    if (session < leg_of_.size() && leg_of_[session] != kNoLeg)
        return &legs_[leg_of_[session]];
    if (legs_.size() >= limits_.max_legs) {
        anomalies |= bit(Anomaly::RelayIndexLimit);
        return nullptr;
    }
    if (session >= leg_of_.size())
        leg_of_.resize(static_cast<std::size_t>(session) + 1, kNoLeg);
    leg_of_[session] = static_cast<std::uint32_t>(legs_.size());
    legs_.push_back({});
    legs_.back().conn = conn;
    return &legs_.back();
}

inline AnomalySet RelayIndex::on_setup(std::uint32_t conn, std::uint32_t session,
                                       std::uint32_t frame, bool response, Bytes blob) {
    ++changes_;
    AnomalySet anomalies = 0;
    const std::uint32_t type = response ? ntlm::kMessageChallenge : ntlm::kMessageAuthenticate;
    auto msg = find_ntlmssp(blob, type);
    std::uint32_t negotiate_flags = 0;
    if (!msg && !response) {
        msg = find_ntlmssp(blob, ntlm::kMessageNegotiate);
        if (!msg || parse_ntlm_negotiate(*msg, negotiate_flags) != ParseError::None)
            return 0;
    }
    if (!msg)
        return 0;
    Leg *l = leg_for(conn, session, anomalies);
    if (l == nullptr)
        return anomalies;
    if (!response && negotiate_flags != 0) {
        l->facts.negotiate_flags = negotiate_flags;
        l->facts.negotiate_seen = true;
    } else if (response) {
        challenge(*l, session, frame, *msg);
    } else {
        authenticate(*l, session, frame, *msg);
    }
    await(conn);
    return anomalies;
}

inline void RelayIndex::challenge(Leg &l, std::uint32_t session, std::uint32_t frame, Bytes msg) {
    NtlmChallenge c;
    if (parse_ntlm_challenge(msg, c) != ParseError::None)
        return;
    NtlmFacts &f = l.facts;
    f.challenge_seen = true;
    f.challenge_frame = frame;
    f.challenge_flags = c.flags;
    f.server_challenge = c.server_challenge;
    if (const auto nb = find_av_pair(c.target_info, ntlm::kAvNbComputerName))
        f.server_nb_name = names_.intern(ntlm_text(*nb, true));
    if (const auto dns = find_av_pair(c.target_info, ntlm::kAvDnsComputerName))
        f.server_dns_name = names_.intern(ntlm_text(*dns, true));
    if (by_challenge_.size() >= limits_.max_legs)
        return;
    // The target's CHALLENGE is forwarded to the victim: the earlier one is the relayed leg's.
    auto [it, added] = by_challenge_.try_emplace(relay::fold(c.server_challenge), session);
    if (!added && it->second != session)
        pair(session, RelayRole::Victim, it->second, RelayRole::Relayed,
             RelaySignal::SameChallenge);
}

inline void RelayIndex::authenticate(Leg &l, std::uint32_t session, std::uint32_t frame,
                                     Bytes msg) {
    NtlmAuthenticate a;
    if (parse_ntlm_authenticate(msg, a) != ParseError::None)
        return;
    NtlmFacts &f = l.facts;
    const bool unicode = (a.flags & ntlm::kFlagUnicode) != 0;
    f.authenticate_seen = true;
    f.authenticate_frame = frame;
    f.authenticate_flags = a.flags;
    f.user = names_.intern(ntlm_text(a.user, unicode));
    f.domain = names_.intern(ntlm_text(a.domain, unicode));
    f.workstation = names_.intern(ntlm_text(a.workstation, unicode));
    f.mic = !a.mic.empty();
    const Bytes pairs = ntlmv2_av_pairs(a.nt_response);
    f.ntlmv2 = !pairs.empty();
    if (!f.ntlmv2)
        return; // NTLM v1 or anonymous: nothing to link by
    std::copy_n(a.nt_response.begin(), ntlm::kNtProofStrSize, f.proof.begin());
    f.proof_fingerprint = relay::fingerprint(Bytes(f.proof));
    f.target_name = {};
    if (const auto t = find_av_pair(pairs, ntlm::kAvTargetName))
        f.target_name = names_.intern(ntlm_text(*t, true, 128));
    std::uint32_t av_flags = 0;
    if (const auto v = find_av_pair(pairs, ntlm::kAvFlags); v && v->size() == sizeof av_flags) {
        Reader r(*v);
        r.read_u32le(av_flags);
    }
    f.mic_promised = (av_flags & ntlm::kAvFlagMicProvided) != 0;
    if (by_proof_.size() >= limits_.max_legs)
        return;
    // The victim answers first; the relaying host replays its response to the target.
    auto [it, added] = by_proof_.try_emplace(relay::fold(Bytes(f.proof)), session);
    if (!added && it->second != session) {
        const Leg *other = leg(it->second);
        if (other != nullptr && other->facts.proof == f.proof)
            pair(session, RelayRole::Relayed, it->second, RelayRole::Victim,
                 RelaySignal::SameResponse);
    }
}

// Links two sessions on different connections; each keeps its first peer and role.
inline void RelayIndex::pair(std::uint32_t a, RelayRole role_a, std::uint32_t b, RelayRole role_b,
                             RelaySignal s) noexcept {
    Leg *la = a < leg_of_.size() && leg_of_[a] != kNoLeg ? &legs_[leg_of_[a]] : nullptr;
    Leg *lb = b < leg_of_.size() && leg_of_[b] != kNoLeg ? &legs_[leg_of_[b]] : nullptr;
    if (la == nullptr || lb == nullptr || la->conn == lb->conn)
        return;
    for (auto [self, other, role] : {std::tuple{la, b, role_a}, std::tuple{lb, a, role_b}}) {
        if (self->peer == kNoSession) {
            self->peer = other;
            self->pair_role = role;
        }
        if (self->peer == other)
            self->pair_signals |= bit(s);
    }
}

inline void RelayIndex::set_endpoints(std::uint32_t conn, std::string client, std::string server) {
    ++changes_;
    endpoints_.insert_or_assign(conn, Endpoints{std::move(client), std::move(server)});
    if (awaiting_ == conn)
        awaiting_set_ = false;
}

// What comparing a linked pair shows, beyond the match that linked them.
inline RelaySignals RelayIndex::pair_evidence(const Leg &self, const Leg &peer) const noexcept {
    const bool self_relayed = self.pair_role == RelayRole::Relayed;
    const Leg &victim = self_relayed ? peer : self;
    const Leg &relayed = self_relayed ? self : peer;
    RelaySignals s = 0;
    const NtlmFacts &v = victim.facts;
    const NtlmFacts &r = relayed.facts;
    if (v.authenticate_seen && r.authenticate_seen) {
        if (v.mic && !r.mic)
            s |= bit(RelaySignal::MicDropped);
        if ((v.authenticate_flags & relay::kProtectionFlags & ~r.authenticate_flags) != 0)
            s |= bit(RelaySignal::FlagsDropped);
    }
    // ntlmrelayx --remove-mic also strips them from the NEGOTIATE it forwards to the target.
    if (v.negotiate_seen && r.negotiate_seen &&
        (v.negotiate_flags & relay::kProtectionFlags & ~r.negotiate_flags) != 0)
        s |= bit(RelaySignal::FlagsDropped);
    const Endpoints *ve = endpoints(victim.conn);
    const Endpoints *re = endpoints(relayed.conn);
    if (ve != nullptr && re != nullptr && !ve->client.empty() && ve->client == re->server)
        s |= bit(RelaySignal::Reflection);
    return s;
}

inline RelayView RelayIndex::view(std::uint32_t session) const noexcept {
    RelayView out;
    const Leg *l = leg(session);
    if (l == nullptr)
        return out;
    if (viewed_at_ == changes_ && viewed_session_ == session)
        return viewed_;
    const NtlmFacts &f = l->facts;
    const Endpoints *e = endpoints(l->conn);
    const std::string_view server = e != nullptr ? std::string_view(e->server) : "";
    RelaySignals s = 0;
    if (const Leg *p = leg(l->peer); p != nullptr) {
        const Endpoints *pe = endpoints(p->conn);
        // One server handing out one challenge twice (a fixed-challenge server) is no relay.
        const bool same_server = e != nullptr && pe != nullptr && e->server == pe->server;
        if (l->pair_signals != bit(RelaySignal::SameChallenge) || !same_server) {
            s = l->pair_signals | pair_evidence(*l, *p);
            out.role = l->pair_role;
            out.peer_session = l->peer;
            out.peer_frame = p->facts.authenticate_frame != kNoFrame ? p->facts.authenticate_frame
                                                                     : p->facts.challenge_frame;
        }
    }
    if (relay::target_name_elsewhere(f, server))
        s |= bit(RelaySignal::TargetName);
    if (f.authenticate_seen && f.mic_promised && !f.mic)
        s |= bit(RelaySignal::MicDropped);
    if (relay::flags_dropped(f))
        s |= bit(RelaySignal::FlagsDropped);
    out.signals = s;
    if (s != 0)
        out.frame = f.authenticate_frame != kNoFrame ? f.authenticate_frame : f.challenge_frame;
    if (out.role == RelayRole::None && s != 0)
        out.role = RelayRole::Suspected;
    viewed_ = out;
    viewed_at_ = changes_;
    viewed_session_ = session;
    return out;
}

} // namespace smbsign
