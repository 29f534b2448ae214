// The verifier: fed by the tracker (result.hpp's Hook) with every SMB message of the first
// pass, it follows each connection and session far enough to check signatures:
//   - SMB 3.1.1 preauth integrity hash: the connection's NEGOTIATE pair, then each
//     session's SESSION_SETUP messages but the final success response;
//   - NTLMSSP CHALLENGE and AUTHENTICATE: the session key from the analyst's secrets,
//     proven or shown wrong by the NTLMv2 proof before any signature is checked;
//   - the session-key table (SessionId -> SessionKey) for sessions NTLM does not give;
//   - SMB1 sequence numbers per connection (requests and responses paired by MID).
// Per session it keeps counts, where the key came from, and one keyed signer; per
// invalid message the signature the key gives (bounded). No message bytes are kept.
#pragma once

#include "smbsign/smb1.hpp"
#include "smbsign/smb2.hpp"
#include "smbsign/verify/ntlm.hpp"
#include "smbsign/verify/result.hpp"
#include "smbsign/verify/secrets.hpp"
#include "smbsign/verify/sign.hpp"
#include "smbsign/verify/smb2_keys.hpp"

#include <algorithm>
#include <array>
#include <memory>
#include <optional>
#include <unordered_map>
#include <utility>
#include <vector>

namespace smbsign::verify {

namespace smb1seq {
inline constexpr std::uint8_t kCmdNtCancel = 0xA4; // MS-CIFS 2.2.4.65: no response
inline constexpr std::size_t kMaxPending = 64;     // requests awaiting an answer, per connection
inline constexpr std::uint32_t kMaxResync = 8;     // sequence numbers tried ahead (lost frames)
} // namespace smb1seq

// The signature a key gives for an invalid message (8 bytes for SMB1, 16 for SMB2).
struct Expected {
    std::uint32_t frame = 0;
    std::uint32_t session = 0;
    std::uint8_t size = 0;
    std::array<std::uint8_t, 16> signature{};
};

class Verifier final : public Hook {
public:
    static constexpr std::size_t kMaxExpected = 4096;

    explicit Verifier(Secrets secrets) : secrets_(std::move(secrets)) {}

    [[nodiscard]] bool has_secrets() const noexcept { return !secrets_.empty(); }

    Code smb2(const MessageContext &ctx, Bytes msg) noexcept override {
        try {
            return smb2_message(ctx, msg);
        } catch (...) { // out of memory: this message stays unchecked
            return encode(Status::None);
        }
    }
    Code smb1(const MessageContext &ctx, Bytes msg) noexcept override {
        try {
            return smb1_message(ctx, msg);
        } catch (...) {
            return encode(Status::None);
        }
    }

    [[nodiscard]] SessionSummary summary(std::uint32_t session) const noexcept override {
        auto it = sessions_.find(session);
        return it == sessions_.end() ? SessionSummary{} : it->second.sum;
    }

    // The signature the key gives, for a message found invalid.
    [[nodiscard]] const Expected *expected(std::uint32_t frame,
                                           std::uint32_t session) const noexcept {
        auto it = std::lower_bound(expected_.begin(), expected_.end(), frame,
                                   [](const Expected &e, std::uint32_t f) { return e.frame < f; });
        for (; it != expected_.end() && it->frame == frame; ++it)
            if (it->session == session)
                return &*it;
        return nullptr;
    }

    void clear() noexcept override {
        sessions_.clear();
        conns_.clear();
        expected_.clear();
    }

private:
    struct Session {
        SessionSummary sum;
        std::optional<NtlmChallenge> challenge;
        Digest64 preauth{};
        bool preauth_started = false;
        bool preauth_whole = false; // from the NEGOTIATE pair and the session's first request
        bool preauth_final = false; // the final SESSION_SETUP response was reached
        bool bound = false;         // SMB2_SESSION_FLAG_BINDING
        bool unsupported = false;   // authentication that gives no key (NTLM v1, Kerberos)
        bool have_key = false;
        bool key_failed = false; // an unproven key gave an invalid first signature
        Key16 session_key{};
        std::unique_ptr<Smb2Signer> signer;
    };
    struct Pending {
        std::uint16_t mid;
        std::uint16_t pid;
        std::uint32_t sequence;
    };
    struct Connection {
        Digest64 preauth{};
        bool negotiate_request = false;  // the preauth hash took the NEGOTIATE request
        bool negotiate_response = false; // ... and its response
        // SMB1: signing is per connection, with the key of the session that started it.
        bool seq_known = false;
        bool active = false;
        std::uint32_t next = 0;
        std::uint32_t key_session = 0;
        std::vector<Pending> pending;
    };

    // --- keys ---------------------------------------------------------------------------

    static bool same_name(Bytes wire, bool unicode, std::string_view utf8) {
        auto want = detail::utf8_to_utf16le(utf8);
        if (!want)
            return false;
        std::vector<std::uint8_t> got;
        detail::append_name(got, wire, unicode, true);
        std::vector<std::uint8_t> w;
        detail::append_name(w, *want, true, true);
        return got == w;
    }

    // AUTHENTICATE in a SESSION_SETUP request: the session key from the first secret whose
    // proof matches; wrong when secrets for the user (or for any user) were all refuted.
    void authenticate(Session &s, Bytes msg) {
        auto au = find_ntlmssp(msg, ntlm::kMessageAuthenticate);
        if (!au)
            return;
        NtlmAuthenticate auth;
        if (parse_ntlm_authenticate(*au, auth) != ParseError::None || !s.challenge)
            return;
        if (auth.nt_response.size() < ntlm::kMinNtlmv2ResponseSize) {
            s.unsupported = true; // NTLM v1, LM or anonymous
            return;
        }
        const bool unicode = (auth.flags & ntlm::kFlagUnicode) != 0;
        bool tried = false;
        for (int pass = 0; pass < 2; ++pass) { // secrets naming the user first
            for (const Credential &c : secrets_.credentials) {
                if ((pass == 0) == c.user.empty())
                    continue;
                if (!c.user.empty() && (!same_name(auth.user, unicode, c.user) ||
                                        (!c.domain.empty() && c.domain != "." &&
                                         !same_name(auth.domain, unicode, c.domain))))
                    continue;
                tried = true;
                auto k = ntlmv2_session_key(c.nt_hash, *s.challenge, auth);
                if (k.status == NtlmProof::Proven) {
                    s.session_key = k.session_key;
                    s.have_key = true;
                    s.sum.key_source = c.source;
                    s.sum.key_state = KeyState::Proven;
                    return;
                }
                if (k.status == NtlmProof::Refuted) {
                    s.sum.key_state = KeyState::Wrong;
                    s.sum.key_source = c.source;
                }
            }
        }
        if (!tried)
            s.sum.key_state = KeyState::Unknown;
    }

    // Why a session has no signer.
    static Reason no_key_reason(const Session &s) noexcept {
        if (s.bound)
            return Reason::BoundChannel;
        if (s.sum.key_state == KeyState::Wrong || s.key_failed)
            return Reason::KeyWrong;
        if (s.unsupported)
            return Reason::Unsupported;
        return Reason::NoKey;
    }

    // The session's SMB2 signer, made when first needed; nothing with the reason.
    Reason smb2_signer(const MessageContext &ctx, Session &s, std::uint64_t session_id) {
        if (s.signer)
            return Reason::None;
        if (s.bound || s.key_failed)
            return no_key_reason(s);
        if (!s.have_key) {
            if (const Key16 *k = secrets_.session_key(session_id)) {
                s.session_key = *k;
                s.have_key = true;
                s.sum.key_source = KeySource::SessionKey;
                s.sum.key_state = KeyState::Unknown; // proven by the first valid signature
            }
        }
        if (!s.have_key)
            return no_key_reason(s);
        std::optional<Key16> key;
        switch (ctx.dialect) {
        case Dialect::Smb202:
        case Dialect::Smb210:
            key = s.session_key;
            break;
        case Dialect::Smb300:
        case Dialect::Smb302:
            key = smb30_signing_key(s.session_key);
            break;
        case Dialect::Smb311:
            // Without every message of the hash the key would be wrong and every signature
            // "invalid": say what is missing instead.
            if (ctx.mid_capture || !s.preauth_final || !s.preauth_whole)
                return Reason::NoSetup;
            key = smb311_signing_key(s.session_key, s.preauth);
            break;
        default:
            return ctx.mid_capture ? Reason::NoSetup : Reason::UnknownDialect;
        }
        if (!key)
            return Reason::UnknownDialect;
        // The connection's MAC: HMAC-SHA256, AES-CMAC or the AES-GMAC SIGNING_CAPABILITIES
        // chose (smb2::signing_algorithm_of); an id MS-SMB2 does not define signs nothing.
        if (ctx.algorithm != smb2::SigningAlgorithm::HmacSha256 &&
            ctx.algorithm != smb2::SigningAlgorithm::AesCmac &&
            ctx.algorithm != smb2::SigningAlgorithm::AesGmac)
            return Reason::UnknownDialect;
        auto signer = std::make_unique<Smb2Signer>(ctx.algorithm, *key);
        if (!signer->ok())
            return Reason::NoKey;
        s.signer = std::move(signer);
        return Reason::None;
    }

    // Counts a check for session s. key_proven: the key was proven before this check (NTLMv2
    // proof, or an earlier valid signature); an unproven key that fails is the wrong key.
    template <std::size_t N>
    Code record(const MessageContext &ctx, Session &s, bool key_proven,
                const SignatureCheck<N> &check) {
        switch (check.status) {
        case MacMatch::Match:
            s.sum.valid++;
            if (s.sum.key_state == KeyState::Unknown)
                s.sum.key_state = KeyState::Proven; // a valid signature proves the key
            return encode(Status::Valid);
        case MacMatch::Mismatch:
            if (!key_proven) {
                // A key nothing has proven yet (session-key table) fails its first test:
                // the key is wrong, not the message.
                s.key_failed = true;
                s.signer.reset();
                s.sum.key_state = KeyState::Wrong;
                s.sum.unverifiable++;
                return encode(Status::Unverifiable, Reason::KeyWrong);
            }
            s.sum.invalid++;
            if (expected_.size() < kMaxExpected) {
                Expected e{ctx.frame, ctx.session, static_cast<std::uint8_t>(N), {}};
                std::copy(check.expected.begin(), check.expected.end(), e.signature.begin());
                expected_.push_back(e);
            }
            return encode(Status::Invalid);
        case MacMatch::Unusable:
            break;
        }
        s.sum.unverifiable++;
        return encode(Status::Unverifiable, Reason::Truncated);
    }

    Code unverifiable(Session &s, Reason r) {
        s.sum.unverifiable++;
        return encode(Status::Unverifiable, r);
    }

    // --- SMB2 ---------------------------------------------------------------------------

    Code smb2_message(const MessageContext &ctx, Bytes msg) {
        smb2::Header h;
        if (secrets_.empty() || smb2::parse_header(msg, h) != ParseError::None)
            return encode(Status::None);
        if (h.command == smb2::kCmdNegotiate) { // never signed; feeds the preauth hash
            Connection &c = conns_[ctx.conn];
            if (!h.is_response()) {
                c.preauth = {};
                c.negotiate_request = false;
                c.negotiate_response = false;
            }
            if (!h.is_response() || h.status == smb2::kStatusSuccess) {
                auto next = sha512({c.preauth, msg});
                if (next)
                    c.preauth = *next;
                (h.is_response() ? c.negotiate_response : c.negotiate_request) = next.has_value();
            }
            return encode(Status::None);
        }
        if (!h.is_signed() && h.command != smb2::kCmdSessionSetup)
            return encode(Status::None);
        // Never signed (MS-SMB2 3.2.5.1.3, 3.3.4.1.1): interim responses, oplock breaks.
        if (h.is_interim() || h.message_id == ~std::uint64_t{0})
            return encode(Status::None);
        Session &s = sessions_[ctx.session];
        if (h.command == smb2::kCmdSessionSetup)
            session_setup(ctx, s, h, msg);
        if (!h.is_signed())
            return encode(Status::None);
        if (ctx.truncated)
            return unverifiable(s, Reason::Truncated);
        if (const Reason r = smb2_signer(ctx, s, h.session_id); r != Reason::None)
            return unverifiable(s, r);
        return record(ctx, s, s.sum.key_state == KeyState::Proven, s.signer->verify(msg));
    }

    void session_setup(const MessageContext &ctx, Session &s, const smb2::Header &h, Bytes msg) {
        const bool is_311 = ctx.dialect == Dialect::Smb311;
        if (!h.is_response()) {
            if (!s.preauth_started) {
                const Connection &c = conns_[ctx.conn];
                s.preauth = c.preauth;
                s.preauth_started = true;
                // A new session's first request has SessionId 0 (MS-SMB2 3.2.4.2.3).
                s.preauth_whole = c.negotiate_request && c.negotiate_response &&
                                  h.session_id == 0;
            }
            // MS-SMB2 2.2.5 Flags: SMB2_SESSION_FLAG_BINDING.
            if (msg.size() > smb2::kHeaderSize + 2 && (msg[smb2::kHeaderSize + 2] & 0x01) != 0)
                s.bound = true;
            if (is_311 && !s.preauth_final)
                if (auto next = sha512({s.preauth, msg}))
                    s.preauth = *next;
            if (!s.have_key)
                authenticate(s, msg);
            return;
        }
        if (h.status == smb2::kStatusMoreProcessingRequired) {
            if (is_311 && s.preauth_started && !s.preauth_final)
                if (auto next = sha512({s.preauth, msg}))
                    s.preauth = *next;
            if (auto ch = find_ntlmssp(msg, ntlm::kMessageChallenge)) {
                NtlmChallenge c;
                if (parse_ntlm_challenge(*ch, c) == ParseError::None)
                    s.challenge = c;
            }
            return;
        }
        if (h.status == smb2::kStatusSuccess) {
            if (s.preauth_started)
                s.preauth_final = true;
            if (!s.have_key && !s.challenge)
                s.unsupported = true; // no NTLMSSP: Kerberos, whose key only the table gives
        }
    }

    // --- SMB1 ---------------------------------------------------------------------------

    Code smb1_message(const MessageContext &ctx, Bytes msg) {
        if (secrets_.empty())
            return encode(Status::None);
        smb1::Header h;
        if (smb1::parse_header(msg, h) != ParseError::None)
            return encode(Status::None);
        Connection &c = conns_[ctx.conn];
        if (h.command == smb1::kCmdNegotiate) {
            c = Connection{};
            return encode(Status::None);
        }
        Session &s = sessions_[ctx.session];
        const smb1::Chain chain = smb1::parse_chain(msg, h);
        if (h.command == smb1::kCmdSessionSetupAndX) {
            if (!h.is_reply()) {
                const bool final_leg = find_ntlmssp(msg, ntlm::kMessageAuthenticate).has_value();
                if (!s.have_key)
                    authenticate(s, msg);
                // MS-CIFS 3.2.4.1.1: the leg that establishes the key is sequence 0.
                if (final_leg && !c.active) {
                    c = Connection{};
                    c.seq_known = true;
                    c.key_session = ctx.session;
                }
            } else if (h.nt_status() && h.status == smb1::kStatusMoreProcessingRequired) {
                if (auto ch = find_ntlmssp(msg, ntlm::kMessageChallenge)) {
                    NtlmChallenge nc;
                    if (parse_ntlm_challenge(*ch, nc) == ParseError::None)
                        s.challenge = nc;
                }
            } else if (h.success()) {
                if (h.has_signature() && c.seq_known)
                    c.active = true;
                if (!s.have_key && !s.challenge)
                    s.unsupported = true; // no NTLMSSP: Kerberos or legacy NTLM
            }
        }
        // Oplock break notifications from the server take no sequence number [L].
        const bool break_notification =
            !h.is_reply() && h.command == smb1::kCmdLockingAndX && h.mid == smb1::kOplockBreakMid;
        std::optional<std::uint32_t> sequence;
        if (c.seq_known && !break_notification) {
            if (!h.is_reply()) {
                sequence = c.next;
                const bool no_reply =
                    h.command == smb1seq::kCmdNtCancel ||
                    (chain.count > 0 && smb1::is_oplock_break(h, chain.blocks[0]));
                if (no_reply) {
                    c.next += 1;
                } else {
                    c.next += 2;
                    if (c.pending.size() >= smb1seq::kMaxPending)
                        c.pending.erase(c.pending.begin());
                    c.pending.push_back({h.mid, h.pid, *sequence});
                }
            } else {
                auto it = std::find_if(c.pending.begin(), c.pending.end(), [&](const Pending &p) {
                    return p.mid == h.mid && p.pid == h.pid;
                });
                if (it != c.pending.end()) {
                    sequence = it->sequence + 1;
                    c.pending.erase(it);
                }
            }
        }
        if (!h.has_signature())
            return encode(Status::None);
        if (break_notification)
            return unverifiable(s, Reason::NotSignable);
        if (ctx.truncated)
            return unverifiable(s, Reason::Truncated);
        if (!c.seq_known)
            return unverifiable(s, s.unsupported ? Reason::Unsupported : Reason::NoSetup);
        Session &keyed = sessions_[c.key_session];
        if (!keyed.have_key)
            return unverifiable(s, no_key_reason(keyed));
        if (!sequence)
            return unverifiable(s, Reason::NoSequence);
        if (&keyed != &s && s.sum.key_source == KeySource::None) {
            s.sum.key_source = keyed.sum.key_source; // the connection's key signs for it
            s.sum.key_state = keyed.sum.key_state;
        }
        auto check = smb1_verify(keyed.session_key, *sequence, msg);
        if (check.status == MacMatch::Mismatch) {
            // Messages missing from the capture (not from the wire) shift every later
            // sequence number: a signature that fits a few numbers on says so, and the
            // count resumes from there instead of calling the rest of the connection invalid.
            for (std::uint32_t ahead = 1; ahead <= smb1seq::kMaxResync; ++ahead) {
                if (smb1_verify(keyed.session_key, *sequence + ahead, msg).status !=
                    MacMatch::Match)
                    continue;
                c.next += ahead;
                if (!h.is_reply() && !c.pending.empty() && c.pending.back().mid == h.mid)
                    c.pending.back().sequence += ahead;
                return unverifiable(s, Reason::NoSequence);
            }
        }
        // SMB1 keys come from NTLMv2 only, so they are proven.
        return record(ctx, s, true, check);
    }

    Secrets secrets_;
    std::unordered_map<std::uint32_t, Session> sessions_; // by tracker session index
    std::unordered_map<std::uint32_t, Connection> conns_; // by tracker connection index
    std::vector<Expected> expected_;                      // in frame order
};

} // namespace smbsign::verify
