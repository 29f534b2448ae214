// The derived view of a session as a pure function of its facts (facts.hpp): client policy,
// the key-less rule, verdict, prediction (matrix.hpp), observed outcome (including what a TCP
// close proves), consistency and integrity. No bytes, no tracker: testable on facts structs
// alone. Every rule here is one of doc/DEFINITIONS.md.
#pragma once

#include "smbsign/facts.hpp"
#include "smbsign/matrix.hpp"
#include "smbsign/session_view.hpp"
#include "smbsign/smb1.hpp"
#include "smbsign/smb2.hpp"
#include "smbsign/verify/result.hpp"

#include <algorithm>
#include <cstdint>
#include <string_view>
#include <tuple>
#include <utility>

namespace smbsign {

// MS-SMB2 2.2.3/2.2.4 SecurityMode as a policy.
inline Policy policy_from_smb2_mode(std::uint16_t mode) noexcept {
    if (mode & smb2::kSigningRequired)
        return Policy::Required;
    return (mode & smb2::kSigningEnabled) ? Policy::Enabled : Policy::Disabled;
}

// What derive() needs beyond the session's and its connection's facts.
struct DeriveContext {
    std::uint32_t index = 0; // the session's index in the table: number index + 1
    // SMB1: an authenticated session of the same connection signed before this grant
    // (SessionTable::connection_signed_before_grant).
    bool connection_signed_before_grant = false;
    verify::SessionSummary signatures; // from the verifier, if any
};

// What the connection's close proves for one session (doc/DEFINITIONS.md, "Observed
// outcome" rules 1 and 2, and the KB887429 pattern of "Policies").
struct CloseOutcome {
    std::uint32_t closed_after_negotiate_frame = kNoFrame;
    bool client_inferred_required = false;
    bool signing_failure = false; // the close frame proves a signing failure
};

// Client policy (doc/DEFINITIONS.md, "Policies"), and whether it is only inferred.
inline std::pair<Policy, bool> client_policy(const LogonFacts &logon, const NegotiateFacts &n,
                                             Family family, bool inferred_required) noexcept {
    switch (family) {
    case Family::Smb1:
        if (logon.smb1_request_flags2_seen) {
            if (logon.smb1_request_flags2 & smb1::kFlags2SecuritySignatureRequired)
                return {Policy::Required, false};
            if (logon.smb1_request_flags2 & smb1::kFlags2SecuritySignature)
                return {Policy::Enabled, false};
            return {Policy::Disabled, false};
        }
        if (inferred_required)
            return {Policy::Required, true};
        break;
    case Family::Smb2:
        if (n.smb2_client_security_mode_seen)
            return {policy_from_smb2_mode(n.smb2_client_security_mode), false};
        if (logon.smb2_request_security_mode_seen)
            return {policy_from_smb2_mode(logon.smb2_request_security_mode), false};
        break;
    case Family::Unknown:
        break;
    }
    return {Policy::Unknown, false};
}

inline Family family_of(const SessionFacts &s, const ConnectionFacts &c) noexcept {
    return c.family != Family::Unknown ? c.family : s.family;
}

// The close rules, judged on the facts as they stood at the close (CloseFact::then,
// SessionFacts::logon_at_close) for a session live then.
inline CloseOutcome close_outcome(std::uint32_t index, const SessionFacts &s,
                                  const CloseFact &close) noexcept {
    CloseOutcome o;
    if (close.frame == kNoFrame || !s.open_at_close)
        return o;
    const ConnectionFacts &c = close.then;
    if (!c.setup_request_seen && c.negotiate.response_seen) {
        // KB887429: a client that requires signing closes after a NEGOTIATE response with
        // signing disabled; its NEGOTIATE said 0x0010.
        o.client_inferred_required =
            c.family == Family::Smb1 && close.by == CloseSide::Client &&
            c.last.negotiate_response && c.negotiate.server_policy == Policy::Disabled &&
            (c.negotiate.smb1_request_flags2 & smb1::kFlags2SecuritySignatureRequired);
        o.closed_after_negotiate_frame = close.frame;
    }
    const LogonFacts &logon = s.logon_at_close;
    if (logon.state != SetupState::Succeeded)
        return o;
    const Policy client =
        client_policy(logon, c.negotiate, family_of(s, c), o.client_inferred_required).first;
    const bool required =
        client == Policy::Required || c.negotiate.server_policy == Policy::Required;
    // A guest/anonymous grant to a client that requires signing.
    const bool keyless_refused = (logon.guest || logon.anonymous) && client == Policy::Required &&
                                 !logon.tree_connect_answered;
    // The server hangs up on an unanswered, unsigned request.
    const bool unsigned_refused = close.by == CloseSide::Server && c.last.session == index &&
                                  c.last.is_request && !c.last.is_signed && required;
    o.signing_failure = keyless_refused || unsigned_refused;
    return o;
}

// The first frame that proves a signing failure: a STATUS_INVALID_SIGNATURE answer or the
// close.
inline std::uint32_t signing_failure_frame(const SessionFacts &s, const CloseOutcome &o,
                                           const CloseFact &close) noexcept {
    const std::uint32_t invalid = s.invalid_signature_frame;
    if (!o.signing_failure || (invalid != kNoFrame && invalid <= close.frame))
        return invalid;
    return close.frame;
}

// A granted session that has no session key and so cannot sign.
// SMB1 (MS-CIFS 3.2.5.3): a guest or anonymous grant never activates signing; but SMB1
// signs per connection, so once an earlier authenticated session of the connection has
// signed, the connection's key goes on signing every message and a later grant proves
// nothing.
// SMB2/3 (MS-SMB2 3.2.5.3): the server's IS_GUEST or IS_NULL flag. An anonymous NTLM
// grant without IS_NULL may still sign: Windows Server 2019 does.
inline bool keyless(const LogonFacts &logon, Family family, Policy server,
                    bool connection_signed_before_grant) noexcept {
    if (logon.state != SetupState::Succeeded)
        return false;
    if (family == Family::Smb2)
        return logon.guest || logon.smb2_null;
    if (family != Family::Smb1 || !(logon.guest || logon.anonymous))
        return false;
    if (server == Policy::Disabled) // signing never negotiated on this connection
        return true;
    return !connection_signed_before_grant;
}

struct VerdictResult {
    Verdict verdict = Verdict::Unknown;
    std::string_view reason;
};

// SMB1 rule 6 of doc/DEFINITIONS.md, "Verdict".
inline VerdictResult smb1_verdict(const SessionFacts &s, Policy server) noexcept {
    const MessageCounts &n = s.counts;
    const std::uint32_t counted = n.requests + n.responses;
    const std::uint32_t signed_count = n.signed_requests + n.signed_responses;
    const bool both_ways = n.requests > 0 && n.responses > 0;
    if (s.logon.guest || s.logon.anonymous)
        return {Verdict::Unsigned, signed_count > 0 ? "guest/anonymous session: signature bytes "
                                                      "are junk, not signatures (no session key)"
                                                    : "guest/anonymous session: nothing signed"};
    if (signed_count == counted && (server != Policy::Disabled || both_ways))
        return {Verdict::Signed, "every counted message carries a signature"};
    if (signed_count == 0)
        return {Verdict::Unsigned, "signature fields are zero or the BSRSPYL placeholder"};
    if (server == Policy::Disabled)
        return {Verdict::Unsigned, "non-zero signature bytes on a connection that never "
                                   "negotiated signing: junk, not signatures"};
    return {Verdict::Unsigned, "some counted messages are signed, others are not"};
}

// SMB2/3 rule 5.
inline VerdictResult smb2_verdict(const SessionFacts &s) noexcept {
    const MessageCounts &n = s.counts;
    const std::uint32_t counted = n.requests + n.responses;
    const std::uint32_t signed_count = n.signed_requests + n.signed_responses;
    if (signed_count == counted)
        return {Verdict::Signed, "every counted message has SMB2_FLAGS_SIGNED"};
    if (signed_count > 0)
        return {Verdict::Unsigned, "some counted messages are signed, others are not"};
    if (s.logon.guest || s.logon.anonymous)
        return {Verdict::Unsigned, "guest/anonymous session: no session key, nothing signed"};
    return {Verdict::Unsigned, "counted messages lack SMB2_FLAGS_SIGNED"};
}

// doc/DEFINITIONS.md, "Verdict": first match wins.
inline VerdictResult verdict(const SessionFacts &s, const ConnectionFacts &c, Family family,
                             bool malformed, bool connection_signed_before_grant) noexcept {
    const MessageCounts &n = s.counts;
    const std::uint32_t counted = n.requests + n.responses;
    const std::uint32_t signed_count = n.signed_requests + n.signed_responses;
    const bool granted = s.logon.state == SetupState::Succeeded || s.mid_capture;
    if (malformed)
        return {Verdict::Unknown, "a message of this session or connection could not be parsed"};
    if (!granted) {
        if (s.logon.request_seen)
            return {Verdict::NotEstablished, "the session never got past authentication"};
        if (c.negotiate.response_seen || c.negotiate.request_seen)
            return {Verdict::NotEstablished,
                    "no SESSION_SETUP: the connection got no further than NEGOTIATE"};
        return {Verdict::Unknown, "no SESSION_SETUP and no message of the session seen"};
    }
    if (n.encrypted > 0 && signed_count == counted)
        return {Verdict::Encrypted,
                "messages after SESSION_SETUP travel in SMB3 transform headers"};
    if (counted + n.encrypted == 0) {
        if (keyless(s.logon, family, c.negotiate.server_policy, connection_signed_before_grant))
            return {Verdict::Unsigned, "guest/anonymous session: no session key, it cannot sign"};
        return {Verdict::Unknown, "no message after the final SESSION_SETUP seen yet"};
    }
    return family == Family::Smb2 ? smb2_verdict(s) : smb1_verdict(s, c.negotiate.server_policy);
}

// doc/DEFINITIONS.md, "Observed outcome": first match wins.
inline std::pair<Observed, std::uint32_t> observed(const SessionFacts &s,
                                                   std::uint32_t signing_failure,
                                                   std::uint32_t closed_after_negotiate) noexcept {
    const std::pair<Observed, std::uint32_t> order[] = {
        {Observed::SigningFailure, signing_failure},
        {Observed::ClosedAfterNegotiate, closed_after_negotiate},
        {Observed::AuthFailed,
         s.logon.state == SetupState::Failed ? s.auth_failed_frame : kNoFrame},
        {Observed::DeniedAtTreeConnect, s.denied_frame},
        {Observed::Established, s.established_frame},
    };
    for (const auto &cand : order)
        if (cand.second != kNoFrame)
            return cand;
    return {Observed::Incomplete, kNoFrame};
}

// The prediction (matrix.hpp) and the frame that completed its facts.
inline void predict_into(SessionView &v, const SessionFacts &s, const ConnectionFacts &c,
                         std::uint32_t client_policy_frame) noexcept {
    MatrixFacts f;
    f.family = v.family;
    f.client = v.client;
    f.server = v.server;
    f.guest_or_anonymous =
        s.logon.state == SetupState::Succeeded && (s.logon.guest || s.logon.anonymous);
    f.client_from_session_setup =
        v.family == Family::Smb2 && !c.negotiate.smb2_client_security_mode_seen;
    v.predicted = predict(f);
    v.facts = f;
    v.prediction_frame =
        std::max({v.negotiate_frame,
                  c.negotiate.smb2_client_security_mode_seen ? c.negotiate.client_policy_frame
                                                             : client_policy_frame,
                  f.guest_or_anonymous ? s.setup_frame : kNoFrame});
}

// Everything the plugin shows about one session.
inline SessionView derive(const SessionFacts &s, const ConnectionFacts &c, const CloseFact &close,
                          const DeriveContext &x) noexcept {
    SessionView v;
    v.number = x.index + 1;
    v.id = s.id;
    v.id_known = s.id_known;
    v.family = family_of(s, c);
    v.dialect = c.negotiate.dialect;
    v.server = c.negotiate.server_policy;
    v.guest = s.logon.guest;
    v.anonymous = s.logon.anonymous;
    v.mid_capture = s.mid_capture;
    v.signing_algorithm = c.negotiate.signing_algorithm;
    v.cipher = c.negotiate.cipher;
    v.negotiate_frame =
        s.negotiate_frame != kNoFrame ? s.negotiate_frame : c.negotiate.response_frame;
    v.setup_frame = s.setup_frame;
    v.first_signed_frame = s.counts.first_signed_frame;
    v.first_unsigned_frame = s.counts.first_unsigned_frame;
    v.malformed = s.malformed || c.malformed;

    const CloseOutcome closed = close_outcome(x.index, s, close);
    std::tie(v.client, v.client_inferred) =
        client_policy(s.logon, c.negotiate, v.family, closed.client_inferred_required);

    const auto [verdict_, reason] =
        verdict(s, c, v.family, v.malformed, x.connection_signed_before_grant);
    v.verdict = verdict_;
    v.verdict_reason = reason;
    v.counted = s.counts.requests + s.counts.responses + s.counts.encrypted;
    v.counted_signed = s.counts.signed_requests + s.counts.signed_responses;
    v.counted_encrypted = s.counts.encrypted;

    // The KB887429 inference dates the client policy by the close, unless a later
    // SESSION_SETUP request dated it.
    const std::uint32_t client_policy_frame =
        s.client_policy_frame == kNoFrame && closed.client_inferred_required
            ? closed.closed_after_negotiate_frame
            : s.client_policy_frame;
    predict_into(v, s, c, client_policy_frame);

    std::tie(v.observed, v.outcome_frame) =
        observed(s, signing_failure_frame(s, closed, close), closed.closed_after_negotiate_frame);
    v.consistent = consistent(v.predicted, v.observed, v.verdict, v.server);

    // Integrity (doc/DEFINITIONS.md, "Signature verification").
    v.signatures = x.signatures;
    v.integrity = verify::integrity_of(
        v.signatures, v.verdict == Verdict::Signed || v.verdict == Verdict::Encrypted,
        s.counts.encrypted);
    return v;
}

} // namespace smbsign
