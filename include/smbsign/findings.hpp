// Findings: which expert infos a frame shows about its session, and how severe each is.
// Decided here, without Wireshark, so that the plugin only maps each finding to its
// expert-info entry (see plugin/packet-smbsign.cpp) and unit tests can check the rules.
#pragma once

#include "smbsign/anomaly.hpp"
#include "smbsign/session_view.hpp"

#include <array>
#include <cstddef>
#include <cstdint>

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
    RelayBothLegs,           // AUTHENTICATE: linked to another leg of an NTLM relay (relay.hpp)
    RelayOneLeg,             // AUTHENTICATE: one-leg relay signals only
    Count
};

inline constexpr std::size_t kFindingCount = static_cast<std::size_t>(Finding::Count);

enum class Severity : std::uint8_t { Note, Warn, Error };

constexpr Severity severity(Finding f) noexcept {
    switch (f) {
    case Finding::SigningActive:
        return Severity::Note;
    case Finding::PredictedBlock:
    case Finding::PredictedDenied:
    case Finding::PredictedSigningFailure:
    case Finding::RelayBothLegs:
        return Severity::Error;
    default:
        return Severity::Warn;
    }
}

// Malformed input (its message cannot be read) as opposed to a security-relevant event.
constexpr bool is_malformed(Anomaly a) noexcept {
    return a == Anomaly::TruncatedHeader || a == Anomaly::MalformedHeader ||
           a == Anomaly::TruncatedBody || a == Anomaly::MalformedBody;
}

// Malformed input is an error; a tracking limit only a note (the analysis is incomplete,
// nothing is wrong on the wire); every other anomaly a warning.
constexpr Severity severity(Anomaly a) noexcept {
    if (is_malformed(a))
        return Severity::Error;
    if (a == Anomaly::ConnectionLimit || a == Anomaly::SessionLimit || a == Anomaly::PendingLimit ||
        a == Anomaly::RelayIndexLimit)
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

} // namespace smbsign
