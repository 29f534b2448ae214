// The tracker, part 4 of 4: the derived view of a session (client policy, verdict,
// prediction, observed outcome). Included by tracker.hpp.
#pragma once

#include "smbsign/tracker.hpp"

namespace smbsign {

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
    v.facts = f;
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
