// Everything the plugin shows about one session: the tracker's answer to view().
#pragma once

#include "smbsign/dialect.hpp"
#include "smbsign/frame_log.hpp"
#include "smbsign/matrix.hpp"
#include "smbsign/relay.hpp"
#include "smbsign/smb2.hpp"
#include "smbsign/verify/result.hpp"

#include <cstdint>
#include <optional>
#include <string_view>

namespace smbsign {

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
    MatrixFacts facts; // what `predicted` was computed from (the what-if reuses them)
    Observed observed = Observed::Incomplete;
    std::optional<bool> consistent;
    smb2::SigningAlgorithm signing_algorithm = smb2::SigningAlgorithm::Unknown;
    smb2::Cipher cipher = smb2::Cipher::None;
    std::uint32_t counted = 0;
    std::uint32_t counted_signed = 0;
    std::uint32_t counted_encrypted = 0;
    std::uint32_t negotiate_frame = kNoFrame;
    std::uint32_t setup_frame = kNoFrame;      // final successful SESSION_SETUP response
    std::uint32_t outcome_frame = kNoFrame;    // the frame that proves the observed outcome
    std::uint32_t prediction_frame = kNoFrame; // the frame that completed the prediction's facts
    std::uint32_t first_signed_frame = kNoFrame;
    std::uint32_t first_unsigned_frame = kNoFrame;
    bool malformed = false;
    // Signature verification (a verify::Hook set): doc/DEFINITIONS.md.
    verify::Integrity integrity = verify::Integrity::NotSigned;
    verify::SessionSummary signatures;
    // NTLM facts and relay evidence (relay.hpp): doc/DEFINITIONS.md, "NTLM relay".
    const NtlmFacts *ntlm = nullptr; // nullptr: no NTLM message in this session; owned by the
                                     // tracker, valid until it is cleared
    RelayView relay;
};

} // namespace smbsign
