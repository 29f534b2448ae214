// The what-if (whatif.hpp): the spec parser, and every observed cell (family x client x
// server x key-less grant) under every what-if spec, against the rules of
// doc/DEFINITIONS.md written out here as tables (not by calling the matrix); the
// equal-policy invariant; reasons and fixes.
#include "smbsign/whatif.hpp"

#include "policies.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace {

using namespace smbsign;

using testutil::D;
using testutil::E;
using testutil::R;
using testutil::U;
constexpr Predicted kSigned = Predicted::Signed;
constexpr Predicted kUnsigned = Predicted::Unsigned;
constexpr Predicted kBlocked = Predicted::BlockedAfterNegotiate;
constexpr Predicted kDenied = Predicted::DeniedAtTreeConnect;
constexpr Predicted kFailure = Predicted::SigningFailure;
constexpr Predicted kUnknown = Predicted::Unknown;

constexpr Policy kPolicies[] = {U, D, E, R};

std::size_t index_of(Policy p) {
    return static_cast<std::size_t>(p);
} // U0 D1 E2 R3

// doc/DEFINITIONS.md, "Predicted outcome", rows client U D E R, columns server U D E R.
// SMB1, KB887429 (MS-SMB 3.2.4.2.4).
constexpr Predicted kSmb1[4][4] = {
    {kUnknown, kUnknown, kUnknown, kUnknown},
    {kUnknown, kUnsigned, kUnsigned, kDenied},
    {kUnknown, kUnsigned, kSigned, kSigned},
    {kUnknown, kBlocked, kSigned, kSigned},
};
// SMB2/3: signed if either side requires; required client and a server that cannot sign fail.
constexpr Predicted kSmb2[4][4] = {
    {kUnknown, kUnknown, kUnknown, kSigned},
    {kUnknown, kUnsigned, kUnsigned, kSigned},
    {kUnknown, kUnsigned, kUnsigned, kSigned},
    {kUnknown, kFailure, kSigned, kSigned},
};
// Key-less grants. SMB1: unsigned unless required client meets disabled server; with a
// policy unknown, unsigned where the known side rules the block out.
constexpr Predicted kSmb1Keyless[4][4] = {
    {kUnknown, kUnknown, kUnsigned, kUnsigned},
    {kUnsigned, kUnsigned, kUnsigned, kUnsigned},
    {kUnsigned, kUnsigned, kUnsigned, kUnsigned},
    {kUnknown, kBlocked, kUnsigned, kUnsigned},
};
// SMB2/3 key-less: the client's own requirement alone (from its NEGOTIATE request).
constexpr Predicted kSmb2Keyless[4] = {kUnknown, kUnsigned, kUnsigned, kFailure};
// ... and with the client's policy read from the SESSION_SETUP request only.
constexpr Predicted kSmb2KeylessFromSetup[4][4] = {
    {kUnknown, kUnknown, kUnknown, kUnknown},
    {kUnknown, kUnknown, kUnknown, kUnknown},
    {kUnknown, kUnknown, kUnknown, kUnknown},
    {kUnknown, kFailure, kFailure, kUnknown},
};

Predicted rule(Family family, Policy client, Policy server, bool keyless, bool from_setup) {
    const std::size_t c = index_of(client), s = index_of(server);
    if (family == Family::Smb1)
        return keyless ? kSmb1Keyless[c][s] : kSmb1[c][s];
    if (family != Family::Smb2)
        return kUnknown;
    if (!keyless)
        return kSmb2[c][s];
    return from_setup ? kSmb2KeylessFromSetup[c][s] : kSmb2Keyless[c];
}

bool succeeds(Predicted p) {
    return p == kSigned || p == kUnsigned;
}

struct Observed {
    Family family;
    Policy client;
    Policy server;
    bool keyless;
    bool from_setup;
};

std::string name_of(const Observed &o) {
    std::string n = o.family == Family::Smb1 ? "smb1" : o.family == Family::Smb2 ? "smb2" : "nofam";
    n += "_cli_" + std::string(to_string(o.client)) + "_srv_" + std::string(to_string(o.server));
    if (o.keyless)
        n += "_keyless";
    if (o.from_setup)
        n += "_fromsetup";
    return n;
}

std::vector<Observed> every_cell() {
    std::vector<Observed> cells;
    for (Family fam : {Family::Smb1, Family::Smb2, Family::Unknown})
        for (Policy c : kPolicies)
            for (Policy s : kPolicies)
                for (bool keyless : {false, true})
                    for (bool from_setup : {false, true}) {
                        if (from_setup && fam != Family::Smb2)
                            continue;
                        cells.push_back({fam, c, s, keyless, from_setup});
                    }
    return cells;
}

MatrixFacts facts_of(const Observed &o) {
    MatrixFacts f;
    f.family = o.family;
    f.client = o.client;
    f.server = o.server;
    f.guest_or_anonymous = o.keyless;
    f.client_from_session_setup = o.from_setup;
    return f;
}

class EveryCell : public ::testing::TestWithParam<Observed> {};

// Under every spec (each side kept or set to disabled/enabled/required), the what-if
// outcome is the rule's cell for the substituted policies, and the change compares it with
// today's cell.
TEST_P(EveryCell, FollowsTheRulesUnderEverySpec) {
    const Observed &o = GetParam();
    const Predicted today = rule(o.family, o.client, o.server, o.keyless, o.from_setup);
    ASSERT_EQ(predict(facts_of(o)), today) << "the matrix and this test's tables disagree";
    for (Policy sc : kPolicies) {
        for (Policy ss : kPolicies) {
            WhatIfSpec spec;
            spec.client = sc;
            spec.server = ss;
            const Policy c = sc == U ? o.client : sc;
            const Policy s = ss == U ? o.server : ss;
            // A client policy set by the spec (and different from the observed one) is the
            // host's own: no longer read from a SESSION_SETUP request.
            const bool from_setup = o.from_setup && (sc == U || sc == o.client);
            const Predicted then = rule(o.family, c, s, o.keyless, from_setup);
            const WhatIfResult r = what_if(facts_of(o), false, today, spec);
            SCOPED_TRACE("spec client=" + std::string(to_string(sc)) +
                         " server=" + std::string(to_string(ss)));
            EXPECT_EQ(r.outcome, then) << to_string(r.outcome) << " vs " << to_string(then);
            WhatIfChange want = WhatIfChange::Unchanged;
            const bool same = c == o.client && s == o.server && from_setup == o.from_setup;
            if (same)
                want = WhatIfChange::Unchanged;
            else if (today == kUnknown || then == kUnknown)
                want = WhatIfChange::Unknown;
            else if (succeeds(today) && !succeeds(then))
                want = WhatIfChange::Breaks;
            else if (!succeeds(today) && succeeds(then))
                want = WhatIfChange::Fixed;
            else if (today == kUnsigned && then == kSigned)
                want = WhatIfChange::BecomesSigned;
            else if (today == kSigned && then == kUnsigned)
                want = WhatIfChange::BecomesUnsigned;
            EXPECT_EQ(r.change, want) << to_string(r.change) << " vs " << to_string(want);
            EXPECT_FALSE(r.reason.empty());
            EXPECT_EQ(r.fix.empty(), succeeds(then) || then == kUnknown);
        }
    }
}

// The invariant: a what-if equal to the observed policies changes nothing.
TEST_P(EveryCell, ObservedPolicyAsWhatIfIsUnchanged) {
    const Observed &o = GetParam();
    const Predicted today = predict(facts_of(o));
    for (bool set_client : {false, true})
        for (bool set_server : {false, true}) {
            WhatIfSpec spec;
            if (set_client)
                spec.client = o.client;
            if (set_server)
                spec.server = o.server;
            const WhatIfResult r = what_if(facts_of(o), false, today, spec);
            EXPECT_EQ(r.outcome, today);
            EXPECT_EQ(r.change, WhatIfChange::Unchanged);
        }
}

INSTANTIATE_TEST_SUITE_P(WhatIf, EveryCell, ::testing::ValuesIn(every_cell()),
                         [](const ::testing::TestParamInfo<Observed> &i) {
                             return name_of(i.param);
                         });

// The security team's question, cell by cell, with the words an admin reads.
struct Story {
    const char *what;
    Observed observed;
    const char *spec;
    Predicted outcome;
    WhatIfChange change;
    const char *fix_contains; // "" when no fix is due
};

const Story kStories[] = {
    {"SMB1 client with signing disabled, file server made to require it",
     {Family::Smb1, D, E, false, false},
     "server=required",
     kDenied,
     WhatIfChange::Breaks,
     "Client: allow signing"},
    {"SMB1 client that signs when asked, server with signing disabled: signed then",
     {Family::Smb1, E, D, false, false},
     "server=required",
     kSigned,
     WhatIfChange::BecomesSigned,
     ""},
    {"SMB2 client, any policy: a server requirement only makes it sign",
     {Family::Smb2, E, E, false, false},
     "server=required",
     kSigned,
     WhatIfChange::BecomesSigned,
     ""},
    {"SMB2 guest session under Windows 11 24H2 defaults",
     {Family::Smb2, E, E, true, false},
     "windows11-24h2",
     kFailure,
     WhatIfChange::Breaks,
     "authenticated account"},
    {"SMB1 guest: a server requirement does not stop a key-less grant",
     {Family::Smb1, D, E, true, false},
     "server=required",
     kUnsigned,
     WhatIfChange::Unchanged,
     ""},
    {"SMB2 server that cannot sign (third-party), clients made to require signing",
     {Family::Smb2, E, D, false, false},
     "windows-server-2025",
     kFailure,
     WhatIfChange::Breaks,
     "Server: make it sign"},
    {"SMB1 server with signing disabled, clients made to require signing",
     {Family::Smb1, E, D, false, false},
     "client=required",
     kBlocked,
     WhatIfChange::Breaks,
     "Server: turn signing on"},
    {"the 1240 pattern fixed by a server that requires signing",
     {Family::Smb1, R, D, false, false},
     "server=required",
     kSigned,
     WhatIfChange::Fixed,
     ""},
    {"lowering a server requirement",
     {Family::Smb1, E, R, false, false},
     "server=enabled",
     kSigned,
     WhatIfChange::Unchanged,
     ""},
    {"disabling signing on a server",
     {Family::Smb1, E, R, false, false},
     "server=disabled",
     kUnsigned,
     WhatIfChange::BecomesUnsigned,
     ""},
    {"client policy never seen (negotiated, never logged on)",
     {Family::Smb1, U, E, false, false},
     "server=required",
     kUnknown,
     WhatIfChange::Unknown,
     ""},
    {"anonymous SMB2 without NEGOTIATE request: the what-if makes the requirement known",
     {Family::Smb2, R, U, true, true},
     "client=disabled",
     kUnsigned,
     WhatIfChange::Unknown,
     ""},
};

TEST(WhatIf, Stories) {
    for (const Story &s : kStories) {
        SCOPED_TRACE(s.what);
        const auto spec = parse_whatif(s.spec);
        ASSERT_TRUE(spec.has_value());
        const MatrixFacts f = facts_of(s.observed);
        const WhatIfResult r = what_if(f, s.observed.keyless, predict(f), *spec);
        EXPECT_EQ(r.outcome, s.outcome) << to_string(r.outcome);
        EXPECT_EQ(r.change, s.change) << to_string(r.change);
        if (*s.fix_contains == '\0')
            EXPECT_TRUE(r.fix.empty()) << r.fix;
        else
            EXPECT_NE(r.fix.find(s.fix_contains), std::string_view::npos) << r.fix;
        // The fix keeps the stricter policy: it never tells anyone to stop requiring signing.
        EXPECT_EQ(r.fix.find("RequireSecuritySignature = 0"), std::string_view::npos);
    }
}

// Windows Server 2019 signs an NTLM anonymous grant without IS_NULL (seen in a held-out
// capture of a 2019 DC): the rules call it key-less, but it signed, so a client requirement
// does not certainly break it.
TEST(WhatIf, SignedAnonymousGrantIsNotCertainToBreak) {
    const MatrixFacts f = facts_of({Family::Smb2, E, R, true, false});
    const auto spec = parse_whatif("client=required");
    ASSERT_TRUE(spec);
    const WhatIfResult seen_unsigned = what_if(f, false, predict(f), *spec, false);
    EXPECT_EQ(seen_unsigned.change, WhatIfChange::Breaks);
    const WhatIfResult seen_signed = what_if(f, false, predict(f), *spec, true);
    EXPECT_EQ(seen_signed.outcome, kFailure); // the rule's word stays
    EXPECT_EQ(seen_signed.change, WhatIfChange::Unknown);
    EXPECT_NE(seen_signed.reason.find("signed in the capture"), std::string_view::npos);
    // The equal-policy invariant holds for it too.
    WhatIfSpec same;
    same.client = E;
    same.server = R;
    EXPECT_EQ(what_if(f, false, predict(f), same, true).change, WhatIfChange::Unchanged);
}

TEST(WhatIf, GuestRefusalNamedInTheReason) {
    const MatrixFacts f = facts_of({Family::Smb2, E, E, true, false});
    const auto spec = parse_whatif("windows11-24h2");
    ASSERT_TRUE(spec);
    EXPECT_NE(what_if(f, true, predict(f), *spec).reason.find("insecure guest"),
              std::string_view::npos);
    // An anonymous (not guest) session is not a guest logon: only the missing key is named.
    EXPECT_EQ(what_if(f, false, predict(f), *spec).reason.find("insecure guest"),
              std::string_view::npos);
}

TEST(WhatIfSpecParse, SidesPresetsAndOverrides) {
    auto s = parse_whatif("server=required");
    ASSERT_TRUE(s);
    EXPECT_EQ(s->server, R);
    EXPECT_EQ(s->client, U);
    EXPECT_TRUE(s->active());

    s = parse_whatif(" client=enabled , server=disabled ");
    ASSERT_TRUE(s);
    EXPECT_EQ(s->client, E);
    EXPECT_EQ(s->server, D);

    s = parse_whatif("windows11-24h2");
    ASSERT_TRUE(s);
    EXPECT_EQ(s->client, R);
    EXPECT_EQ(s->server, R);
    EXPECT_TRUE(s->refuse_guest);
    EXPECT_EQ(s->preset, "windows11-24h2");

    s = parse_whatif("windows-server-2025");
    ASSERT_TRUE(s);
    EXPECT_EQ(s->client, R);
    EXPECT_EQ(s->server, U);
    EXPECT_FALSE(s->refuse_guest);

    s = parse_whatif("windows-server-2025;server=required"); // later tokens override
    ASSERT_TRUE(s);
    EXPECT_EQ(s->client, R);
    EXPECT_EQ(s->server, R);
    EXPECT_TRUE(s->preset.empty());
}

TEST(WhatIfSpecParse, EmptyIsInactive) {
    for (const char *text : {"", "   ", ",;"}) {
        const auto s = parse_whatif(text);
        ASSERT_TRUE(s) << text;
        EXPECT_FALSE(s->active()) << text;
    }
}

TEST(WhatIfSpecParse, RejectsWhatItDoesNotKnow) {
    for (const char *text :
         {"server", "server=", "server=mandatory", "srv=required", "client=unknown", "windows11",
          "server=required,bogus", "=required", "Server=required"})
        EXPECT_FALSE(parse_whatif(text).has_value()) << text;
}

} // namespace
