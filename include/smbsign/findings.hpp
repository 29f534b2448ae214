// Findings: which expert infos a frame shows about its session, and how severe each is.
// Decided here, without Wireshark, so that the plugin only maps each finding to its
// expert-info entry (see plugin/packet-smbsign.cpp) and unit tests can check the rules.
#pragma once

#include "smbsign/anomaly.hpp"
#include "smbsign/session_view.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace smbsign {

// Each finding is shown once per session, on the frame that proves it.
enum class Finding : std::uint8_t {
    ServerNotRequired,       // NEGOTIATE response: server signing disabled or enabled only
    EstablishedUnsigned,     // first unsigned message of an established unsigned session
    MixedSigning,            // first unsigned message of a session that also signed
    SigningActive,           // first signed message of a signed session
    PredictedBlock,          // prediction frame: client closes after NEGOTIATE
    PredictedDenied,         // prediction frame: STATUS_ACCESS_DENIED at TREE_CONNECT
    PredictedSigningFailure, // prediction frame: signing failure
    OutcomeMismatch,         // outcome frame: observed differs from predicted
    SignatureAltered,        // a signature that does not match, with a proven key
    SignatureInvalid,        // a signature that does not match: altered, or the key is wrong
    KeyWrong,                // set-up frame: the secret given for this user is wrong
    KeytabWrong,             // set-up frame: the keytab's keys do not open its ticket or proof
    AllVerified,             // set-up frame: every signature of the session checked valid
    EncryptionAltered,       // an encrypted message whose tag does not match, with a proven key
    EncryptionInvalid,       // a tag that does not match: altered, or the key is wrong
    RelayBothLegs,           // AUTHENTICATE: linked to another leg of an NTLM relay (relay.hpp)
    RelayOneLeg,             // AUTHENTICATE: one-leg relay signals only
    Count
};

inline constexpr std::size_t kFindingCount = static_cast<std::size_t>(Finding::Count);

enum class Severity : std::uint8_t { Note, Warn, Error };

constexpr Severity severity(Finding f) noexcept {
    switch (f) {
    case Finding::SigningActive:
    case Finding::AllVerified:
        return Severity::Note;
    case Finding::PredictedBlock:
    case Finding::PredictedDenied:
    case Finding::PredictedSigningFailure:
    case Finding::SignatureAltered:
    case Finding::SignatureInvalid:
    case Finding::EncryptionAltered:
    case Finding::EncryptionInvalid:
    case Finding::RelayBothLegs:
        return Severity::Error;
    default:
        return Severity::Warn;
    }
}

// Malformed input (its message cannot be read) as opposed to a security-relevant event.
constexpr bool is_malformed(Anomaly a) noexcept {
    return a == Anomaly::TruncatedHeader || a == Anomaly::MalformedHeader ||
           a == Anomaly::TruncatedBody || a == Anomaly::MalformedBody ||
           a == Anomaly::MalformedSecurityToken;
}

// Malformed input is an error; a tracking limit only a note (the analysis is incomplete,
// nothing is wrong on the wire); every other anomaly a warning.
constexpr Severity severity(Anomaly a) noexcept {
    if (is_malformed(a))
        return Severity::Error;
    if (a == Anomaly::ConnectionLimit || a == Anomaly::SessionLimit || a == Anomaly::PendingLimit ||
        a == Anomaly::RelayIndexLimit || a == Anomaly::KdcLimit)
        return Severity::Note;
    return Severity::Warn;
}

// The findings of one frame, in the order the plugin adds them.
struct Findings {
    std::array<Finding, kFindingCount> items{};
    std::size_t size = 0;

    void add(Finding f) noexcept {
        if (size < items.size())
            items[size++] = f;
    }
    [[nodiscard]] const Finding *begin() const noexcept { return items.data(); }
    [[nodiscard]] const Finding *end() const noexcept { return items.data() + size; }
    [[nodiscard]] bool contains(Finding f) const noexcept {
        for (const Finding g : *this)
            if (g == f)
                return true;
        return false;
    }
};

// Which session findings `frame` shows, given its session's view.
constexpr Findings session_findings(const SessionView &v, std::uint32_t frame) noexcept {
    Findings out;
    if (frame == kNoFrame)
        return out;
    if (frame == v.negotiate_frame && (v.server == Policy::Disabled || v.server == Policy::Enabled))
        out.add(Finding::ServerNotRequired);
    if (frame == v.first_unsigned_frame && v.verdict == Verdict::Unsigned) {
        if (v.counted_signed > 0 && !v.guest && !v.anonymous)
            out.add(Finding::MixedSigning);
        else if (v.observed == Observed::Established)
            out.add(Finding::EstablishedUnsigned);
    }
    if (frame == v.first_signed_frame && v.verdict == Verdict::Signed)
        out.add(Finding::SigningActive);
    if (frame == v.prediction_frame) {
        if (v.predicted == Predicted::BlockedAfterNegotiate)
            out.add(Finding::PredictedBlock);
        else if (v.predicted == Predicted::DeniedAtTreeConnect)
            out.add(Finding::PredictedDenied);
        else if (v.predicted == Predicted::SigningFailure)
            out.add(Finding::PredictedSigningFailure);
    }
    if (frame == v.outcome_frame && v.consistent == false)
        out.add(Finding::OutcomeMismatch);
    if (frame == v.relay.frame && v.relay.role != RelayRole::None)
        out.add(v.relay.role == RelayRole::Suspected ? Finding::RelayOneLeg
                                                     : Finding::RelayBothLegs);
    return out;
}

// The session findings of a frame and those of its checks (`e`, the frame's entry for
// this session): an invalid signature or encryption tag on its own frame (only a proven
// key makes it "altered"); a wrong key and a fully verified session on the set-up frame.
constexpr Findings frame_findings(const SessionView &v, const FrameEntry &e) noexcept {
    Findings out = session_findings(v, e.frame);
    if (e.frame == kNoFrame)
        return out;
    const bool proven = v.signatures.key_state == verify::KeyState::Proven;
    if (verify::status_of(e.signature) == verify::Status::Invalid)
        out.add(proven ? Finding::SignatureAltered : Finding::SignatureInvalid);
    if (verify::status_of(e.encryption) == verify::Status::Invalid)
        out.add(proven ? Finding::EncryptionAltered : Finding::EncryptionInvalid);
    if (e.frame != v.setup_frame)
        return out;
    if (v.signatures.key_state == verify::KeyState::Wrong)
        out.add(v.signatures.key_source == verify::KeySource::Keytab ? Finding::KeytabWrong
                                                                     : Finding::KeyWrong);
    if (v.integrity == verify::Integrity::Verified)
        out.add(Finding::AllVerified);
    return out;
}

// The expert-info text of a finding whose entry is shared with another (the two invalid
// signatures, the two invalid tags); empty: the entry's own summary.
constexpr std::string_view detail(Finding f) noexcept {
    switch (f) {
    case Finding::SignatureAltered:
        return "Invalid SMB signature: message altered in transit";
    case Finding::SignatureInvalid:
        return "Invalid SMB signature: message altered in transit, or the key is wrong";
    case Finding::KeytabWrong: // a Kerberos ticket, or an RC4 key used as an NT hash
        return "The keytab's keys for this session are wrong (its ticket or NTLMv2 proof does "
               "not open with them): its signatures cannot be checked";
    case Finding::EncryptionAltered:
        return "Invalid SMB3 encryption tag: message altered in transit";
    case Finding::EncryptionInvalid:
        return "Invalid SMB3 encryption tag: message altered in transit, or the key is wrong";
    default:
        return {};
    }
}

} // namespace smbsign
