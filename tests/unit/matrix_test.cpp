// The decision matrix (matrix.hpp): every client x server cell of the KB887429 table
// for SMB1 and of the SMB2/3 rule, the Unknown rows and columns, guest/anonymous
// sessions, and consistent().
#include "smbsign/matrix.hpp"

#include "policies.hpp"

#include <gtest/gtest.h>

#include <string>

namespace {

using namespace smbsign;

using testutil::D;
using testutil::E;
using testutil::R;
using testutil::U;

struct Cell {
    Family family;
    Policy client;
    Policy server;
    bool guest_or_anonymous;
    Predicted expected;
};

std::string family_name(Family f) {
    switch (f) {
    case Family::Smb1:
        return "smb1";
    case Family::Smb2:
        return "smb2";
    case Family::Unknown:
        break;
    }
    return "unknownfamily";
}

std::string cell_name(const ::testing::TestParamInfo<Cell> &info) {
    const Cell &c = info.param;
    return family_name(c.family) + "_client_" + std::string(to_string(c.client)) + "_server_" +
           std::string(to_string(c.server)) + (c.guest_or_anonymous ? "_guest" : "");
}

class Matrix : public ::testing::TestWithParam<Cell> {};

TEST_P(Matrix, Predicts) {
    const Cell &c = GetParam();
    MatrixFacts f;
    f.family = c.family;
    f.client = c.client;
    f.server = c.server;
    f.guest_or_anonymous = c.guest_or_anonymous;
    EXPECT_EQ(predict(f), c.expected)
        << "got " << to_string(predict(f)) << ", want " << to_string(c.expected);
    if (c.family == Family::Smb1 && !c.guest_or_anonymous) {
        EXPECT_EQ(predict_smb1(c.client, c.server), c.expected);
    }
    if (c.family == Family::Smb2 && !c.guest_or_anonymous) {
        EXPECT_EQ(predict_smb2(c.client, c.server), c.expected);
    }
}

// KB887429 (MS-SMB 3.2.4.2.4), client rows x server columns.
INSTANTIATE_TEST_SUITE_P(
    Smb1Kb887429, Matrix,
    ::testing::Values(Cell{Family::Smb1, D, D, false, Predicted::Unsigned},
                      Cell{Family::Smb1, D, E, false, Predicted::Unsigned},
                      Cell{Family::Smb1, D, R, false, Predicted::DeniedAtTreeConnect},
                      Cell{Family::Smb1, E, D, false, Predicted::Unsigned},
                      Cell{Family::Smb1, E, E, false, Predicted::Signed},
                      Cell{Family::Smb1, E, R, false, Predicted::Signed},
                      Cell{Family::Smb1, R, D, false, Predicted::BlockedAfterNegotiate},
                      Cell{Family::Smb1, R, E, false, Predicted::Signed},
                      Cell{Family::Smb1, R, R, false, Predicted::Signed}),
    cell_name);

// SMB2/3: signed if either side requires; a client that requires against a server
// that advertises no signing fails; "enabled" alone never signs.
INSTANTIATE_TEST_SUITE_P(Smb2Rule, Matrix,
                         ::testing::Values(Cell{Family::Smb2, D, D, false, Predicted::Unsigned},
                                           Cell{Family::Smb2, D, E, false, Predicted::Unsigned},
                                           Cell{Family::Smb2, D, R, false, Predicted::Signed},
                                           Cell{Family::Smb2, E, D, false, Predicted::Unsigned},
                                           Cell{Family::Smb2, E, E, false, Predicted::Unsigned},
                                           Cell{Family::Smb2, E, R, false, Predicted::Signed},
                                           Cell{Family::Smb2, R, D, false,
                                                Predicted::SigningFailure},
                                           Cell{Family::Smb2, R, E, false, Predicted::Signed},
                                           Cell{Family::Smb2, R, R, false, Predicted::Signed}),
                         cell_name);

// Unknown where a needed policy is unknown. SMB1 needs both; SMB2 can decide from
// one side that requires (except that a requiring client still needs the server).
INSTANTIATE_TEST_SUITE_P(UnknownPolicies, Matrix,
                         ::testing::Values(Cell{Family::Smb1, U, D, false, Predicted::Unknown},
                                           Cell{Family::Smb1, U, E, false, Predicted::Unknown},
                                           Cell{Family::Smb1, U, R, false, Predicted::Unknown},
                                           Cell{Family::Smb1, D, U, false, Predicted::Unknown},
                                           Cell{Family::Smb1, E, U, false, Predicted::Unknown},
                                           Cell{Family::Smb1, R, U, false, Predicted::Unknown},
                                           Cell{Family::Smb1, U, U, false, Predicted::Unknown},
                                           Cell{Family::Smb2, U, D, false, Predicted::Unknown},
                                           Cell{Family::Smb2, U, E, false, Predicted::Unknown},
                                           Cell{Family::Smb2, U, R, false, Predicted::Signed},
                                           Cell{Family::Smb2, D, U, false, Predicted::Unknown},
                                           Cell{Family::Smb2, E, U, false, Predicted::Unknown},
                                           Cell{Family::Smb2, R, U, false, Predicted::Unknown},
                                           Cell{Family::Smb2, U, U, false, Predicted::Unknown},
                                           Cell{Family::Unknown, R, R, false, Predicted::Unknown},
                                           Cell{Family::Unknown, E, E, false, Predicted::Unknown}),
                         cell_name);

// A granted guest or anonymous session has no key. SMB1: unsigned in every cell but
// client-required/server-disabled, which never gets as far as SESSION_SETUP.
// SMB2/3: a client that requires signing refuses it; otherwise unsigned.
INSTANTIATE_TEST_SUITE_P(
    GuestOrAnonymous, Matrix,
    ::testing::Values(Cell{Family::Smb1, D, D, true, Predicted::Unsigned},
                      Cell{Family::Smb1, D, E, true, Predicted::Unsigned},
                      Cell{Family::Smb1, D, R, true, Predicted::Unsigned},
                      Cell{Family::Smb1, E, D, true, Predicted::Unsigned},
                      Cell{Family::Smb1, E, E, true, Predicted::Unsigned},
                      Cell{Family::Smb1, E, R, true, Predicted::Unsigned},
                      Cell{Family::Smb1, R, D, true, Predicted::BlockedAfterNegotiate},
                      Cell{Family::Smb1, R, E, true, Predicted::Unsigned},
                      Cell{Family::Smb1, R, R, true, Predicted::Unsigned},
                      Cell{Family::Smb2, D, D, true, Predicted::Unsigned},
                      Cell{Family::Smb2, D, E, true, Predicted::Unsigned},
                      Cell{Family::Smb2, D, R, true, Predicted::Unsigned},
                      Cell{Family::Smb2, E, D, true, Predicted::Unsigned},
                      Cell{Family::Smb2, E, E, true, Predicted::Unsigned},
                      Cell{Family::Smb2, E, R, true, Predicted::Unsigned},
                      Cell{Family::Smb2, R, D, true, Predicted::SigningFailure},
                      Cell{Family::Smb2, R, E, true, Predicted::SigningFailure},
                      Cell{Family::Smb2, R, R, true, Predicted::SigningFailure},
                      Cell{Family::Smb2, R, U, true, Predicted::SigningFailure},
                      Cell{Family::Smb2, E, U, true, Predicted::Unsigned},
                      Cell{Family::Smb2, U, R, true, Predicted::Unknown}),
    cell_name);

// Guest/anonymous with a policy unknown (a capture without NEGOTIATE or without the
// SESSION_SETUP request): only the client's requirement matters, so SMB2/3 cannot be
// predicted without it whatever the server says; SMB1 can whenever the known side
// rules out the one blocking cell (client required, server disabled).
INSTANTIATE_TEST_SUITE_P(GuestOrAnonymousUnknownPolicy, Matrix,
                         ::testing::Values(Cell{Family::Smb1, U, D, true, Predicted::Unknown},
                                           Cell{Family::Smb1, U, E, true, Predicted::Unsigned},
                                           Cell{Family::Smb1, U, R, true, Predicted::Unsigned},
                                           Cell{Family::Smb1, D, U, true, Predicted::Unsigned},
                                           Cell{Family::Smb1, E, U, true, Predicted::Unsigned},
                                           Cell{Family::Smb1, R, U, true, Predicted::Unknown},
                                           Cell{Family::Smb1, U, U, true, Predicted::Unknown},
                                           Cell{Family::Smb2, U, D, true, Predicted::Unknown},
                                           Cell{Family::Smb2, U, E, true, Predicted::Unknown},
                                           Cell{Family::Smb2, U, U, true, Predicted::Unknown},
                                           Cell{Family::Smb2, D, U, true, Predicted::Unsigned},
                                           Cell{Family::Unknown, R, D, true, Predicted::Unknown}),
                         cell_name);

// SMB2/3 client policy read from a SESSION_SETUP request (no NEGOTIATE request seen):
// REQUIRED there is also what Windows sends when the server requires signing
// (smb21-dc-sec03-signed-net-user: NEGOTIATE 0x01, SESSION_SETUP 0x02), so for a
// guest/anonymous grant it proves the client's requirement only against a server
// known not to require signing, and its absence proves nothing about the policy. Sessions with a
// key are unaffected: either side requiring means signed.
TEST(MatrixSetupPolicy, GuestOrAnonymousNeedsTheClientsOwnRequirement) {
    MatrixFacts f;
    f.family = Family::Smb2;
    f.guest_or_anonymous = true;
    f.client_from_session_setup = true;
    f.client = R;
    for (Policy server : {U, R}) {
        f.server = server;
        EXPECT_EQ(predict(f), Predicted::Unknown) << to_string(server);
    }
    for (Policy server : {D, E}) {
        f.server = server;
        EXPECT_EQ(predict(f), Predicted::SigningFailure) << to_string(server);
    }
    f.client = E; // REQUIRED absent: what this logon asked for, not the client's policy
    for (Policy server : {U, D, E, R}) {
        f.server = server;
        EXPECT_EQ(predict(f), Predicted::Unknown) << to_string(server);
    }

    f.guest_or_anonymous = false;
    f.client = R;
    f.server = E;
    EXPECT_EQ(predict(f), Predicted::Signed);
    f.server = U;
    EXPECT_EQ(predict(f), Predicted::Unknown);
    f.client_from_session_setup = false; // from NEGOTIATE: the client's own
    f.guest_or_anonymous = true;
    EXPECT_EQ(predict(f), Predicted::SigningFailure);
}

// --- consistent() -------------------------------------------------------------------------

struct ConsistencyCase {
    const char *name;
    Predicted predicted;
    Observed observed;
    Verdict verdict;
    std::optional<bool> expected;
};

class Consistency : public ::testing::TestWithParam<ConsistencyCase> {};

TEST_P(Consistency, Judges) {
    const auto &c = GetParam();
    EXPECT_EQ(consistent(c.predicted, c.observed, c.verdict), c.expected);
}

constexpr std::optional<bool> kYes = true;
constexpr std::optional<bool> kNo = false;
constexpr std::optional<bool> kCannotTell = std::nullopt;

INSTANTIATE_TEST_SUITE_P(
    Cases, Consistency,
    ::testing::Values(
        // Signed/unsigned predictions are met by an established session.
        ConsistencyCase{"signed_as_predicted", Predicted::Signed, Observed::Established,
                        Verdict::Signed, kYes},
        ConsistencyCase{"encrypted_where_signed_predicted", Predicted::Signed,
                        Observed::Established, Verdict::Encrypted, kYes},
        ConsistencyCase{"unsigned_where_signed_predicted", Predicted::Signed, Observed::Established,
                        Verdict::Unsigned, kNo},
        ConsistencyCase{"established_no_counted_messages_yet", Predicted::Signed,
                        Observed::Established, Verdict::Unknown, kYes},
        ConsistencyCase{"unsigned_as_predicted", Predicted::Unsigned, Observed::Established,
                        Verdict::Unsigned, kYes},
        ConsistencyCase{"voluntary_signing", Predicted::Unsigned, Observed::Established,
                        Verdict::Signed, kYes},
        ConsistencyCase{"signed_predicted_but_denied", Predicted::Signed,
                        Observed::DeniedAtTreeConnect, Verdict::Unknown, kNo},
        ConsistencyCase{"unsigned_predicted_but_signing_failure", Predicted::Unsigned,
                        Observed::SigningFailure, Verdict::Unknown, kNo},
        ConsistencyCase{"signed_predicted_but_signing_failure", Predicted::Signed,
                        Observed::SigningFailure, Verdict::Unsigned, kNo},
        // The failure cells.
        ConsistencyCase{"blocked_as_predicted", Predicted::BlockedAfterNegotiate,
                        Observed::ClosedAfterNegotiate, Verdict::NotEstablished, kYes},
        ConsistencyCase{"blocked_predicted_but_established", Predicted::BlockedAfterNegotiate,
                        Observed::Established, Verdict::Signed, kNo},
        ConsistencyCase{"blocked_predicted_but_authenticated", Predicted::BlockedAfterNegotiate,
                        Observed::AuthFailed, Verdict::NotEstablished, kNo},
        ConsistencyCase{"denied_as_predicted", Predicted::DeniedAtTreeConnect,
                        Observed::DeniedAtTreeConnect, Verdict::Unknown, kYes},
        ConsistencyCase{"denied_predicted_but_established", Predicted::DeniedAtTreeConnect,
                        Observed::Established, Verdict::Unsigned, kNo},
        ConsistencyCase{"denied_predicted_but_signing_failure", Predicted::DeniedAtTreeConnect,
                        Observed::SigningFailure, Verdict::Unknown, kNo},
        ConsistencyCase{"signing_failure_as_predicted", Predicted::SigningFailure,
                        Observed::SigningFailure, Verdict::Unknown, kYes},
        ConsistencyCase{"signing_failure_predicted_but_established", Predicted::SigningFailure,
                        Observed::Established, Verdict::Unsigned, kNo},
        // Nothing to judge.
        ConsistencyCase{"no_prediction", Predicted::Unknown, Observed::Established, Verdict::Signed,
                        kCannotTell},
        ConsistencyCase{"capture_ends_first", Predicted::Signed, Observed::Incomplete,
                        Verdict::Unknown, kCannotTell},
        ConsistencyCase{"probe_closed_after_negotiate_signed", Predicted::Signed,
                        Observed::ClosedAfterNegotiate, Verdict::NotEstablished, kCannotTell},
        ConsistencyCase{"probe_closed_after_negotiate_unsigned", Predicted::Unsigned,
                        Observed::ClosedAfterNegotiate, Verdict::NotEstablished, kCannotTell},
        ConsistencyCase{"closed_after_negotiate_where_denial_predicted",
                        Predicted::DeniedAtTreeConnect, Observed::ClosedAfterNegotiate,
                        Verdict::NotEstablished, kNo},
        ConsistencyCase{"auth_failed_signed_predicted", Predicted::Signed, Observed::AuthFailed,
                        Verdict::NotEstablished, kCannotTell},
        ConsistencyCase{"auth_failed_denial_predicted", Predicted::DeniedAtTreeConnect,
                        Observed::AuthFailed, Verdict::NotEstablished, kCannotTell}),
    [](const auto &info) { return std::string(info.param.name); });

TEST(MatrixStrings, EveryValueHasAName) {
    EXPECT_EQ(to_string(Predicted::BlockedAfterNegotiate), "blocked-after-negotiate");
    EXPECT_EQ(to_string(Predicted::DeniedAtTreeConnect), "denied-at-tree-connect");
    EXPECT_EQ(to_string(Predicted::SigningFailure), "signing-failure");
    EXPECT_EQ(to_string(Observed::ClosedAfterNegotiate), "closed-after-negotiate");
    EXPECT_EQ(to_string(Observed::Incomplete), "incomplete");
    EXPECT_EQ(to_string(Verdict::NotEstablished), "not-established");
    EXPECT_EQ(to_string(Policy::Unknown), "unknown");
    // Failure predictions tell the user what a Windows client shows; others nothing.
    EXPECT_NE(client_error_text(Predicted::BlockedAfterNegotiate).find("1240"),
              std::string_view::npos);
    EXPECT_NE(client_error_text(Predicted::SigningFailure).find("0xC000A000"),
              std::string_view::npos);
    EXPECT_TRUE(client_error_text(Predicted::Signed).empty());
}

} // namespace

// Access denied at TREE_CONNECT from a server that does not require signing is about share
// permissions (smb1-sm03-xp-server-treeconnect-access-denied-xscan.pcap, frame 7422): not
// judged against a predicted success; from a server that requires signing it is a mismatch.
TEST(ConsistentWithServerPolicy, DenialFromServerNotRequiringSigningIsNotJudged) {
    EXPECT_EQ(consistent(Predicted::Unsigned, Observed::DeniedAtTreeConnect, Verdict::Unsigned,
                         Policy::Disabled),
              std::nullopt);
    EXPECT_EQ(consistent(Predicted::Signed, Observed::DeniedAtTreeConnect, Verdict::Unknown,
                         Policy::Enabled),
              std::nullopt);
    EXPECT_EQ(consistent(Predicted::Signed, Observed::DeniedAtTreeConnect, Verdict::Unsigned,
                         Policy::Required),
              false);
    EXPECT_EQ(consistent(Predicted::DeniedAtTreeConnect, Observed::DeniedAtTreeConnect,
                         Verdict::Unsigned, Policy::Required),
              true);
    EXPECT_EQ(
        consistent(Predicted::Unsigned, Observed::Established, Verdict::Unsigned, Policy::Disabled),
        true);
}
