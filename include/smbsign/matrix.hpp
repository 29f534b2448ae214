// The signing scenario matrix (KB887429; MS-SMB 3.2.4.2.4) and the SMB2/3 rule,
// as pure functions of a small facts struct.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace smbsign {

enum class Policy : std::uint8_t { Unknown, Disabled, Enabled, Required };
enum class Family : std::uint8_t { Unknown, Smb1, Smb2 };
enum class Verdict : std::uint8_t { Unknown, Signed, Unsigned, Encrypted, NotEstablished };
enum class Predicted : std::uint8_t {
    Unknown,
    Signed,
    Unsigned,
    BlockedAfterNegotiate, // client closes after NEGOTIATE, system error 1240
    DeniedAtTreeConnect,   // STATUS_ACCESS_DENIED on TREE_CONNECT or Trans2 GET_DFS_REFERRAL
    SigningFailure,        // SMB2/3: the client requires signing and the server cannot sign
};
enum class Observed : std::uint8_t {
    Incomplete,
    Established,
    ClosedAfterNegotiate,
    DeniedAtTreeConnect,
    AuthFailed,
    SigningFailure,
};

struct MatrixFacts {
    Family family = Family::Unknown;
    Policy client = Policy::Unknown;
    Policy server = Policy::Unknown;
    bool guest_or_anonymous = false; // a granted guest or anonymous session
    // SMB2/3: `client` was read from a SESSION_SETUP request (no NEGOTIATE request seen).
    // There REQUIRED may be the server's: Windows sets it when the server requires signing.
    bool client_from_session_setup = false;
};

// KB887429 table, client rows x server columns (MS-SMB 3.2.4.2.4).
constexpr Predicted predict_smb1(Policy client, Policy server) noexcept {
    if (client == Policy::Unknown || server == Policy::Unknown)
        return Predicted::Unknown;
    if (client == Policy::Required && server == Policy::Disabled)
        return Predicted::BlockedAfterNegotiate;
    if (client == Policy::Disabled && server == Policy::Required)
        return Predicted::DeniedAtTreeConnect;
    if (client == Policy::Disabled || server == Policy::Disabled)
        return Predicted::Unsigned;
    return Predicted::Signed;
}

// SMB2/3: "signing is controlled solely by being required or not" (MS-SMB2 3.2.4.1.1,
// 3.3.5.5); a server that advertises no signing cannot sign for a client that requires it.
constexpr Predicted predict_smb2(Policy client, Policy server) noexcept {
    if (client == Policy::Required) {
        if (server == Policy::Unknown)
            return Predicted::Unknown;
        return server == Policy::Disabled ? Predicted::SigningFailure : Predicted::Signed;
    }
    if (server == Policy::Required)
        return Predicted::Signed;
    if (client == Policy::Unknown || server == Policy::Unknown)
        return Predicted::Unknown;
    return Predicted::Unsigned;
}

// A granted guest or anonymous session has no key and runs unsigned whatever the server
// requires; what can still stop it is the client's own requirement. Unknown where that
// requirement is unknown and the known policies do not settle it.
constexpr Predicted predict_keyless(const MatrixFacts &f) noexcept {
    switch (f.family) {
    case Family::Smb1: {
        // KB887429: a client that requires signing leaves a server that has it disabled
        // after NEGOTIATE; every other cell lets the session run.
        if (f.client == Policy::Required && f.server == Policy::Disabled)
            return Predicted::BlockedAfterNegotiate;
        const bool client_not_required =
            f.client == Policy::Disabled || f.client == Policy::Enabled;
        const bool server_signs = f.server == Policy::Enabled || f.server == Policy::Required;
        return client_not_required || server_signs ? Predicted::Unsigned : Predicted::Unknown;
    }
    case Family::Smb2:
        // Without the NEGOTIATE request the client's own policy is not in the capture: the
        // SESSION_SETUP request's SecurityMode is what the client sends for this logon
        // (Windows raises it to REQUIRED for a server that requires signing), so it only
        // proves a requirement, and only against a server known not to require signing.
        if (f.client_from_session_setup)
            return f.client == Policy::Required &&
                           (f.server == Policy::Disabled || f.server == Policy::Enabled)
                       ? Predicted::SigningFailure
                       : Predicted::Unknown;
        if (f.client == Policy::Required)
            return Predicted::SigningFailure;
        return f.client == Policy::Unknown ? Predicted::Unknown : Predicted::Unsigned;
    case Family::Unknown:
        break;
    }
    return Predicted::Unknown;
}

constexpr Predicted predict(const MatrixFacts &f) noexcept {
    if (f.guest_or_anonymous)
        return predict_keyless(f);
    switch (f.family) {
    case Family::Smb1:
        return predict_smb1(f.client, f.server);
    case Family::Smb2:
        return predict_smb2(f.client, f.server);
    case Family::Unknown:
        break;
    }
    return Predicted::Unknown;
}

// Does what happened agree with the prediction? Nothing when it cannot be judged:
// no prediction, a capture that ends first, or an authentication failure before
// signing could matter.
constexpr std::optional<bool> consistent(Predicted p, Observed o, Verdict v) noexcept {
    if (p == Predicted::Unknown || o == Observed::Incomplete)
        return std::nullopt;
    // A connection that ends after NEGOTIATE although the matrix lets it go on is a
    // probe, a scan or a client that raced two ports (Windows tries 445 and 139 and
    // drops the loser): nothing about signing can be judged from it.
    if (o == Observed::ClosedAfterNegotiate && (p == Predicted::Signed || p == Predicted::Unsigned))
        return std::nullopt;
    if (o == Observed::AuthFailed) {
        if (p == Predicted::BlockedAfterNegotiate)
            return false; // the client should never have tried to authenticate
        return std::nullopt;
    }
    switch (p) {
    case Predicted::Signed:
        // Established but unsigned where signing was due: downgrade, tampering, or a
        // peer that ignores its policy. No counted message yet: judge the outcome only.
        return o == Observed::Established && v != Verdict::Unsigned;
    case Predicted::Unsigned:
        return o == Observed::Established; // voluntary signing is fine
    case Predicted::BlockedAfterNegotiate:
        return o == Observed::ClosedAfterNegotiate;
    case Predicted::DeniedAtTreeConnect:
        return o == Observed::DeniedAtTreeConnect;
    case Predicted::SigningFailure:
        return o == Observed::SigningFailure;
    case Predicted::Unknown:
        break;
    }
    return std::nullopt;
}

// The same, knowing the server's policy: STATUS_ACCESS_DENIED at TREE_CONNECT from a
// server that does not require signing is about share permissions, not signing (a
// scanner refused C$ and ADMIN$ by a Windows XP server with SecurityMode 0x03), so it
// is not judged against a prediction of success.
constexpr std::optional<bool> consistent(Predicted p, Observed o, Verdict v,
                                         Policy server) noexcept {
    if (o == Observed::DeniedAtTreeConnect && server != Policy::Required &&
        server != Policy::Unknown && (p == Predicted::Signed || p == Predicted::Unsigned))
        return std::nullopt;
    return consistent(p, o, v);
}

constexpr std::string_view to_string(Policy p) noexcept {
    switch (p) {
    case Policy::Disabled:
        return "disabled";
    case Policy::Enabled:
        return "enabled";
    case Policy::Required:
        return "required";
    case Policy::Unknown:
        break;
    }
    return "unknown";
}

constexpr std::string_view to_string(Verdict v) noexcept {
    switch (v) {
    case Verdict::Signed:
        return "signed";
    case Verdict::Unsigned:
        return "unsigned";
    case Verdict::Encrypted:
        return "encrypted";
    case Verdict::NotEstablished:
        return "not-established";
    case Verdict::Unknown:
        break;
    }
    return "unknown";
}

constexpr std::string_view to_string(Predicted p) noexcept {
    switch (p) {
    case Predicted::Signed:
        return "signed";
    case Predicted::Unsigned:
        return "unsigned";
    case Predicted::BlockedAfterNegotiate:
        return "blocked-after-negotiate";
    case Predicted::DeniedAtTreeConnect:
        return "denied-at-tree-connect";
    case Predicted::SigningFailure:
        return "signing-failure";
    case Predicted::Unknown:
        break;
    }
    return "unknown";
}

constexpr std::string_view to_string(Observed o) noexcept {
    switch (o) {
    case Observed::Established:
        return "established";
    case Observed::ClosedAfterNegotiate:
        return "closed-after-negotiate";
    case Observed::DeniedAtTreeConnect:
        return "denied-at-tree-connect";
    case Observed::AuthFailed:
        return "auth-failed";
    case Observed::SigningFailure:
        return "signing-failure";
    case Observed::Incomplete:
        break;
    }
    return "incomplete";
}

// What the user of a Windows client sees for a predicted failure.
constexpr std::string_view client_error_text(Predicted p) noexcept {
    switch (p) {
    case Predicted::BlockedAfterNegotiate:
        return "System error 1240 (ERROR_LOGIN_WKSTA_RESTRICTION): The account is not "
               "authorized to log in from this station.";
    case Predicted::DeniedAtTreeConnect:
        return "STATUS_ACCESS_DENIED (System error 5: Access is denied.)";
    case Predicted::SigningFailure:
        return "STATUS_INVALID_SIGNATURE 0xC000A000 (The cryptographic signature is invalid.)";
    default:
        return {};
    }
}

} // namespace smbsign
