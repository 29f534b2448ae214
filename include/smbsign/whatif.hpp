// What if the signing policy changed? The outcome each session would have under a
// hypothetical client and/or server policy, by the same rules as the prediction
// (matrix.hpp), compared with today's prediction. Pure functions; doc/DEFINITIONS.md,
// "What if".
#pragma once

#include "smbsign/hints.hpp"
#include "smbsign/matrix.hpp"

#include <cstdint>
#include <optional>
#include <string_view>

namespace smbsign {

// The hypothetical policy. Policy::Unknown on a side: that side keeps its observed policy.
struct WhatIfSpec {
    Policy client = Policy::Unknown;
    Policy server = Policy::Unknown;
    // Windows 11 24H2: the client refuses insecure guest logons (SMB2/3 only; "Guest access
    // in SMB2 and SMB3 disabled by default"). Only the preset sets it.
    bool refuse_guest = false;
    std::string_view preset; // the preset's name, empty for a hand-written spec

    constexpr bool active() const noexcept {
        return client != Policy::Unknown || server != Policy::Unknown || refuse_guest;
    }
};

// A named preset: a documented default of a Windows release (sources in doc/DEFINITIONS.md).
struct WhatIfPreset {
    std::string_view name;
    WhatIfSpec spec;
};

// Windows 11 24H2 requires signing on every outbound and inbound SMB connection and blocks
// insecure guest logons; Windows Server 2025 requires it on every outbound connection.
inline constexpr WhatIfPreset kWhatIfPresets[] = {
    {"windows11-24h2", {Policy::Required, Policy::Required, true, "windows11-24h2"}},
    {"windows-server-2025", {Policy::Required, Policy::Unknown, false, "windows-server-2025"}},
};

namespace whatif_detail {

constexpr std::optional<Policy> policy_word(std::string_view w) noexcept {
    if (w == "required")
        return Policy::Required;
    if (w == "enabled")
        return Policy::Enabled;
    if (w == "disabled")
        return Policy::Disabled;
    return std::nullopt;
}

constexpr bool is_separator(char c) noexcept {
    return c == ',' || c == ';' || c == ' ' || c == '\t';
}

// One token: `server=POLICY`, `client=POLICY` or a preset name. Later tokens override
// earlier ones, so `windows-server-2025,server=required` adds a server requirement.
constexpr bool apply_token(std::string_view token, WhatIfSpec &spec) noexcept {
    for (const WhatIfPreset &p : kWhatIfPresets) {
        if (token == p.name) {
            spec = p.spec;
            return true;
        }
    }
    const auto eq = token.find('=');
    if (eq == std::string_view::npos)
        return false;
    const auto side = token.substr(0, eq);
    const auto policy = policy_word(token.substr(eq + 1));
    if (!policy)
        return false;
    if (side == "server")
        spec.server = *policy;
    else if (side == "client")
        spec.client = *policy;
    else
        return false;
    spec.preset = {};
    return true;
}

} // namespace whatif_detail

// Parses the preference / command-line text. Empty (or blanks): an inactive spec.
// Anything it does not understand: nothing (the caller reports it).
constexpr std::optional<WhatIfSpec> parse_whatif(std::string_view text) noexcept {
    WhatIfSpec spec;
    std::size_t i = 0;
    while (i < text.size()) {
        while (i < text.size() && whatif_detail::is_separator(text[i]))
            ++i;
        std::size_t end = i;
        while (end < text.size() && !whatif_detail::is_separator(text[end]))
            ++end;
        if (end > i && !whatif_detail::apply_token(text.substr(i, end - i), spec))
            return std::nullopt;
        i = end;
    }
    return spec;
}

enum class WhatIfChange : std::uint8_t {
    Unknown,         // today's or the what-if outcome is unknown
    Unchanged,       // same class: works signed, works unsigned, or fails (both)
    Breaks,          // works today, would fail
    Fixed,           // fails today, would work
    BecomesSigned,   // works unsigned today, would work signed
    BecomesUnsigned, // works signed today, would work unsigned (a policy lowered)
};

constexpr std::string_view to_string(WhatIfChange c) noexcept {
    switch (c) {
    case WhatIfChange::Unchanged:
        return "unchanged";
    case WhatIfChange::Breaks:
        return "breaks";
    case WhatIfChange::Fixed:
        return "fixed";
    case WhatIfChange::BecomesSigned:
        return "becomes-signed";
    case WhatIfChange::BecomesUnsigned:
        return "becomes-unsigned";
    case WhatIfChange::Unknown:
        break;
    }
    return "unknown";
}

struct WhatIfResult {
    Predicted outcome = Predicted::Unknown;
    WhatIfChange change = WhatIfChange::Unknown;
    std::string_view reason;
    std::string_view fix; // empty unless the what-if outcome is a failure
};

constexpr bool predicted_works(Predicted p) noexcept {
    return p == Predicted::Signed || p == Predicted::Unsigned;
}

constexpr WhatIfChange change_of(Predicted today, Predicted then) noexcept {
    if (today == Predicted::Unknown || then == Predicted::Unknown)
        return WhatIfChange::Unknown;
    if (predicted_works(today) && !predicted_works(then))
        return WhatIfChange::Breaks;
    if (!predicted_works(today) && predicted_works(then))
        return WhatIfChange::Fixed;
    if (today == Predicted::Unsigned && then == Predicted::Signed)
        return WhatIfChange::BecomesSigned;
    if (today == Predicted::Signed && then == Predicted::Unsigned)
        return WhatIfChange::BecomesUnsigned;
    return WhatIfChange::Unchanged;
}

// The facts under the what-if policy. A side the spec sets takes that policy as the
// host's own: in SMB2/3 a client policy read from a SESSION_SETUP request stops being
// only "what it asked for this logon". A spec equal to the observed policy changes
// nothing, not even that caveat, so that it predicts exactly what is predicted today.
constexpr MatrixFacts whatif_facts(const MatrixFacts &observed, const WhatIfSpec &spec) noexcept {
    MatrixFacts f = observed;
    if (spec.server != Policy::Unknown)
        f.server = spec.server;
    if (spec.client != Policy::Unknown && spec.client != observed.client) {
        f.client = spec.client;
        f.client_from_session_setup = false;
    }
    return f;
}

// Why the what-if outcome is what it is (Wireshark item labels: under 240 characters).
constexpr std::string_view whatif_reason(const MatrixFacts &f, Predicted p, bool guest,
                                         const WhatIfSpec &spec) noexcept {
    switch (p) {
    case Predicted::BlockedAfterNegotiate:
        return "SMB1 (KB887429): the client requires signing and the server has it disabled: "
               "the client closes after NEGOTIATE (system error 1240)";
    case Predicted::DeniedAtTreeConnect:
        return "SMB1 (KB887429): the server requires signing and the client has it disabled: "
               "STATUS_ACCESS_DENIED at TREE_CONNECT";
    case Predicted::SigningFailure:
        if (f.guest_or_anonymous && guest && spec.refuse_guest && f.family == Family::Smb2)
            return "guest logon: the client refuses insecure guest logons (Windows 11 24H2) and "
                   "requires signing, which a key-less guest session cannot do";
        if (f.guest_or_anonymous)
            return "the client requires signing and this guest/anonymous session has no key: it "
                   "cannot sign";
        return "SMB2/3: the client requires signing and the server offers none";
    case Predicted::Signed:
        if (f.family == Family::Smb1)
            return "SMB1 (KB887429): both sides allow signing and one requires it";
        return "SMB2/3: one side requires signing";
    case Predicted::Unsigned:
        if (f.guest_or_anonymous)
            return "guest/anonymous session: no key, it runs unsigned; the client does not "
                   "require signing";
        if (f.family == Family::Smb1)
            return "SMB1 (KB887429): neither side requires signing, or one has it disabled";
        return "SMB2/3: neither side requires signing";
    case Predicted::Unknown:
        break;
    }
    if (f.family == Family::Unknown)
        return "dialect unknown: no NEGOTIATE in the capture";
    if (f.client == Policy::Unknown)
        return "the client's policy is not in the capture";
    if (f.server == Policy::Unknown)
        return "the server's policy is not in the capture";
    return "guest/anonymous session whose client's own requirement is not in the capture (no "
           "NEGOTIATE request)";
}

constexpr bool same_facts(const MatrixFacts &a, const MatrixFacts &b) noexcept {
    return a.family == b.family && a.client == b.client && a.server == b.server &&
           a.guest_or_anonymous == b.guest_or_anonymous &&
           a.client_from_session_setup == b.client_from_session_setup;
}

// The session under the what-if spec. `today` is the session's outcome.predicted (from
// the same facts); `signed_seen`: its verdict is `signed`.
constexpr WhatIfResult what_if(const MatrixFacts &observed, bool guest, Predicted today,
                               const WhatIfSpec &spec, bool signed_seen = false) noexcept {
    WhatIfResult r;
    const MatrixFacts f = whatif_facts(observed, spec);
    r.outcome = predict(f);
    // Nothing the rules read changes: the outcome is today's, known or not.
    r.change = same_facts(f, observed) ? WhatIfChange::Unchanged : change_of(today, r.outcome);
    r.reason = whatif_reason(f, r.outcome, guest, spec);
    // The rules take every guest/anonymous grant as key-less, but this one signed: an NTLM
    // anonymous grant without IS_NULL, which Windows Server 2019 signs. Whether a client that
    // requires signing would accept it is not known: no failure presented as certain.
    if (r.change == WhatIfChange::Breaks && f.guest_or_anonymous && signed_seen &&
        r.outcome == Predicted::SigningFailure) {
        r.change = WhatIfChange::Unknown;
        r.reason = "the rules give signing-failure for a guest/anonymous session (no key), but "
                   "this one signed in the capture (an anonymous grant without IS_NULL): whether "
                   "the client would accept it is not known";
    }
    if (!predicted_works(r.outcome) && r.outcome != Predicted::Unknown)
        r.fix = fix_hint(r.outcome, Observed::Incomplete, f.guest_or_anonymous, f.family);
    return r;
}

} // namespace smbsign
