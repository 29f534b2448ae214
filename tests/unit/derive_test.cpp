// derive() (derive.hpp) on facts structs, no bytes: one table row per verdict rule, observed
// outcome rule and client policy rule of doc/DEFINITIONS.md, plus what a TCP close proves
// judged on the facts as they stood at the close.
#include "smbsign/derive.hpp"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

namespace {

using namespace smbsign;

// Frames of a typical session, in capture order.
constexpr std::uint32_t kNegotiateRequest = 1;
constexpr std::uint32_t kNegotiateResponse = 2;
constexpr std::uint32_t kSetupRequest = 3;
constexpr std::uint32_t kSetupResponse = 4;
constexpr std::uint32_t kTreeConnectResponse = 6;
constexpr std::uint32_t kInvalidSignature = 8;
constexpr std::uint32_t kClose = 10;
constexpr std::uint32_t kAfterClose = 12;
constexpr std::uint32_t kIndex = 2; // the session's table index

constexpr std::uint16_t kSmb2Enabled = smb2::kSigningEnabled;
constexpr std::uint16_t kSmb2Required = smb2::kSigningEnabled | smb2::kSigningRequired;
constexpr std::uint16_t kFlags2Enabled = smb1::kFlags2SecuritySignature;
constexpr std::uint16_t kFlags2Required =
    smb1::kFlags2SecuritySignature | smb1::kFlags2SecuritySignatureRequired;

struct Facts {
    SessionFacts s;
    ConnectionFacts c;
    CloseFact close;
    DeriveContext x;
};

SessionView run(const Facts &f) {
    return derive(f.s, f.c, f.close, f.x);
}

// --- Building blocks -----------------------------------------------------------------------

// NEGOTIATE request and response seen; `client_mode` is the SMB2 request's SecurityMode.
void smb2_negotiated(Facts &f, Policy server, std::uint16_t client_mode) {
    f.x.index = kIndex;
    f.c.family = Family::Smb2;
    f.s.family = Family::Smb2;
    NegotiateFacts &n = f.c.negotiate;
    n.request_seen = n.response_seen = true;
    n.smb2_client_security_mode = client_mode;
    n.smb2_client_security_mode_seen = true;
    n.client_policy_frame = kNegotiateRequest;
    n.response_frame = kNegotiateResponse;
    n.dialect = Dialect::Smb300;
    n.server_policy = server;
}

// NEGOTIATE request (Flags2 `negotiate_flags2`) and an NT LM 0.12 response.
void smb1_negotiated(Facts &f, Policy server, std::uint16_t negotiate_flags2 = kFlags2Required) {
    f.x.index = kIndex;
    f.c.family = Family::Smb1;
    f.s.family = Family::Smb1;
    NegotiateFacts &n = f.c.negotiate;
    n.request_seen = n.response_seen = true;
    n.smb1_request_flags2 = negotiate_flags2;
    n.response_frame = kNegotiateResponse;
    n.dialect = Dialect::NtLm012;
    n.server_policy = server;
    f.c.last.negotiate_response = true;
}

// A SESSION_SETUP_ANDX request with `flags2` (SMB1 only).
void smb1_setup_request(Facts &f, std::uint16_t flags2) {
    f.c.setup_request_seen = true;
    f.c.last.negotiate_response = false;
    f.s.logon.request_seen = true;
    f.s.logon.smb1_request_flags2 = flags2;
    f.s.logon.smb1_request_flags2_seen = true;
    f.s.client_policy_frame = kSetupRequest;
}

void setup_request(Facts &f) {
    f.c.setup_request_seen = true;
    f.c.last.negotiate_response = false;
    f.s.logon.request_seen = true;
}

void granted(Facts &f) {
    f.s.id_known = true;
    f.s.logon.state = SetupState::Succeeded;
    f.s.setup_frame = kSetupResponse;
}

void tree_connected(Facts &f) {
    f.s.logon.tree_connect_answered = true;
    f.s.established_frame = kTreeConnectResponse;
}

void counted(Facts &f, std::uint32_t requests, std::uint32_t responses,
             std::uint32_t signed_requests, std::uint32_t signed_responses) {
    MessageCounts &n = f.s.counts;
    n.requests = requests;
    n.responses = responses;
    n.signed_requests = signed_requests;
    n.signed_responses = signed_responses;
    if (signed_requests + signed_responses > 0)
        n.first_signed_frame = kTreeConnectResponse + 1;
    if (signed_requests + signed_responses < requests + responses)
        n.first_unsigned_frame = kTreeConnectResponse + 1;
}

// The connection's first FIN/RST, with the facts as they stand now.
void close_by(Facts &f, CloseSide by, std::uint32_t frame = kClose) {
    f.close.frame = frame;
    f.close.by = by;
    f.close.then = f.c;
    f.s.open_at_close = true;
    f.s.logon_at_close = f.s.logon;
}

// The session's request is the connection's last message, unanswered and unsigned.
void last_unsigned_request(Facts &f) {
    f.c.last.session = kIndex;
    f.c.last.is_request = true;
    f.c.last.is_signed = false;
}

// --- Verdict: doc/DEFINITIONS.md, "Verdict", rules 1-6 -------------------------------------

struct VerdictRow {
    const char *name;
    void (*arrange)(Facts &);
    Verdict verdict;
    std::string_view reason_part; // which rule decided
};

class VerdictRule : public ::testing::TestWithParam<VerdictRow> {};

TEST_P(VerdictRule, DecidesTheVerdict) {
    Facts f;
    GetParam().arrange(f);
    const SessionView v = run(f);
    EXPECT_EQ(v.verdict, GetParam().verdict)
        << "got " << to_string(v.verdict) << " (" << v.verdict_reason << ")";
    EXPECT_NE(v.verdict_reason.find(GetParam().reason_part), std::string_view::npos)
        << v.verdict_reason;
}

const VerdictRow kVerdictRows[] = {
    // 1. malformed
    {"malformed_session",
     [](Facts &f) {
         smb2_negotiated(f, Policy::Required, kSmb2Enabled);
         setup_request(f);
         granted(f);
         counted(f, 3, 3, 3, 3);
         f.s.malformed = true;
     },
     Verdict::Unknown, "could not be parsed"},
    {"malformed_connection",
     [](Facts &f) {
         smb2_negotiated(f, Policy::Required, kSmb2Enabled);
         setup_request(f);
         granted(f);
         counted(f, 3, 3, 3, 3);
         f.c.malformed = true;
     },
     Verdict::Unknown, "could not be parsed"},
    // 2. not established
    {"setup_never_granted",
     [](Facts &f) {
         smb2_negotiated(f, Policy::Enabled, kSmb2Enabled);
         setup_request(f);
         f.s.logon.state = SetupState::Failed;
     },
     Verdict::NotEstablished, "never got past authentication"},
    {"negotiate_only", [](Facts &f) { smb2_negotiated(f, Policy::Enabled, kSmb2Enabled); },
     Verdict::NotEstablished, "no further than NEGOTIATE"},
    {"nothing_seen", [](Facts &) {}, Verdict::Unknown, "no message of the session seen"},
    // 3. encrypted
    {"encrypted_only",
     [](Facts &f) {
         smb2_negotiated(f, Policy::Enabled, kSmb2Enabled);
         setup_request(f);
         granted(f);
         f.s.counts.encrypted = 5;
     },
     Verdict::Encrypted, "transform headers"},
    {"encrypted_and_unsigned_clear",
     [](Facts &f) {
         smb2_negotiated(f, Policy::Enabled, kSmb2Enabled);
         setup_request(f);
         granted(f);
         counted(f, 1, 1, 0, 0);
         f.s.counts.encrypted = 5;
     },
     Verdict::Unsigned, "lack SMB2_FLAGS_SIGNED"},
    // 4. nothing counted
    {"smb2_guest_nothing_counted",
     [](Facts &f) {
         smb2_negotiated(f, Policy::Required, kSmb2Enabled);
         setup_request(f);
         granted(f);
         f.s.logon.guest = true;
     },
     Verdict::Unsigned, "it cannot sign"},
    {"smb2_null_nothing_counted",
     [](Facts &f) {
         smb2_negotiated(f, Policy::Required, kSmb2Enabled);
         setup_request(f);
         granted(f);
         f.s.logon.anonymous = f.s.logon.smb2_null = true;
     },
     Verdict::Unsigned, "it cannot sign"},
    {"smb2_ntlm_anonymous_without_is_null_nothing_counted",
     [](Facts &f) {
         smb2_negotiated(f, Policy::Required, kSmb2Enabled);
         setup_request(f);
         granted(f);
         f.s.logon.anonymous = true;
     },
     Verdict::Unknown, "no message after the final SESSION_SETUP"},
    {"smb1_anonymous_signing_disabled_nothing_counted",
     [](Facts &f) {
         smb1_negotiated(f, Policy::Disabled);
         smb1_setup_request(f, 0);
         granted(f);
         f.s.logon.anonymous = true;
     },
     Verdict::Unsigned, "it cannot sign"},
    {"smb1_guest_no_earlier_signed_session",
     [](Facts &f) {
         smb1_negotiated(f, Policy::Enabled);
         smb1_setup_request(f, kFlags2Enabled);
         granted(f);
         f.s.logon.guest = true;
     },
     Verdict::Unsigned, "it cannot sign"},
    {"smb1_guest_after_an_authenticated_session_signed",
     [](Facts &f) {
         smb1_negotiated(f, Policy::Enabled);
         smb1_setup_request(f, kFlags2Enabled);
         granted(f);
         f.s.logon.guest = true;
         f.x.connection_signed_before_grant = true;
     },
     Verdict::Unknown, "no message after the final SESSION_SETUP"},
    {"authenticated_nothing_counted",
     [](Facts &f) {
         smb2_negotiated(f, Policy::Required, kSmb2Enabled);
         setup_request(f);
         granted(f);
     },
     Verdict::Unknown, "no message after the final SESSION_SETUP"},
    // 5. SMB2/3
    {"smb2_all_signed",
     [](Facts &f) {
         smb2_negotiated(f, Policy::Required, kSmb2Enabled);
         setup_request(f);
         granted(f);
         counted(f, 4, 4, 4, 4);
     },
     Verdict::Signed, "every counted message has SMB2_FLAGS_SIGNED"},
    {"smb2_mixed",
     [](Facts &f) {
         smb2_negotiated(f, Policy::Enabled, kSmb2Enabled);
         setup_request(f);
         granted(f);
         counted(f, 4, 4, 4, 0);
     },
     Verdict::Unsigned, "some counted messages are signed"},
    {"smb2_none_signed",
     [](Facts &f) {
         smb2_negotiated(f, Policy::Enabled, kSmb2Enabled);
         setup_request(f);
         granted(f);
         counted(f, 4, 4, 0, 0);
     },
     Verdict::Unsigned, "lack SMB2_FLAGS_SIGNED"},
    {"smb2_guest_none_signed",
     [](Facts &f) {
         smb2_negotiated(f, Policy::Enabled, kSmb2Enabled);
         setup_request(f);
         granted(f);
         counted(f, 4, 4, 0, 0);
         f.s.logon.guest = true;
     },
     Verdict::Unsigned, "guest/anonymous session: no session key, nothing signed"},
    {"smb2_mid_capture_signed",
     [](Facts &f) {
         f.x.index = kIndex;
         f.c.family = f.s.family = Family::Smb2;
         f.s.mid_capture = f.s.id_known = true;
         counted(f, 2, 2, 2, 2);
     },
     Verdict::Signed, "every counted message has SMB2_FLAGS_SIGNED"},
    // 6. SMB1
    {"smb1_guest_with_signature_bytes",
     [](Facts &f) {
         smb1_negotiated(f, Policy::Enabled);
         smb1_setup_request(f, kFlags2Enabled);
         granted(f);
         counted(f, 3, 3, 3, 3);
         f.s.logon.guest = true;
     },
     Verdict::Unsigned, "junk, not signatures (no session key)"},
    {"smb1_all_signed",
     [](Facts &f) {
         smb1_negotiated(f, Policy::Enabled);
         smb1_setup_request(f, kFlags2Enabled);
         granted(f);
         counted(f, 3, 3, 3, 3);
     },
     Verdict::Signed, "every counted message carries a signature"},
    {"smb1_signing_disabled_one_direction_signed",
     [](Facts &f) {
         smb1_negotiated(f, Policy::Disabled);
         smb1_setup_request(f, 0);
         granted(f);
         counted(f, 3, 0, 3, 0);
     },
     Verdict::Unsigned, "never negotiated signing"},
    {"smb1_signing_disabled_both_directions_signed",
     [](Facts &f) {
         smb1_negotiated(f, Policy::Disabled);
         smb1_setup_request(f, 0);
         granted(f);
         counted(f, 3, 3, 3, 3);
     },
     Verdict::Signed, "every counted message carries a signature"},
    {"smb1_none_signed",
     [](Facts &f) {
         smb1_negotiated(f, Policy::Enabled);
         smb1_setup_request(f, kFlags2Enabled);
         granted(f);
         counted(f, 3, 3, 0, 0);
     },
     Verdict::Unsigned, "zero or the BSRSPYL placeholder"},
    {"smb1_mixed",
     [](Facts &f) {
         smb1_negotiated(f, Policy::Enabled);
         smb1_setup_request(f, kFlags2Enabled);
         granted(f);
         counted(f, 3, 3, 3, 1);
     },
     Verdict::Unsigned, "some counted messages are signed"},
};

INSTANTIATE_TEST_SUITE_P(Rules, VerdictRule, ::testing::ValuesIn(kVerdictRows),
                         [](const auto &info) { return std::string(info.param.name); });

// --- Observed outcome: doc/DEFINITIONS.md, "Observed outcome", rules 1-6 -------------------

struct ObservedRow {
    const char *name;
    void (*arrange)(Facts &);
    Observed observed;
    std::uint32_t frame;
};

class ObservedRule : public ::testing::TestWithParam<ObservedRow> {};

TEST_P(ObservedRule, DecidesTheOutcome) {
    Facts f;
    GetParam().arrange(f);
    const SessionView v = run(f);
    EXPECT_EQ(v.observed, GetParam().observed) << "got " << to_string(v.observed);
    EXPECT_EQ(v.outcome_frame, GetParam().frame);
}

const ObservedRow kObservedRows[] = {
    // 1. signing failure
    {"invalid_signature_answer",
     [](Facts &f) {
         smb2_negotiated(f, Policy::Required, kSmb2Enabled);
         setup_request(f);
         granted(f);
         tree_connected(f);
         f.s.invalid_signature_frame = kInvalidSignature;
     },
     Observed::SigningFailure, kInvalidSignature},
    {"close_after_guest_grant_to_client_requiring_signing",
     [](Facts &f) {
         smb2_negotiated(f, Policy::Enabled, kSmb2Required);
         setup_request(f);
         granted(f);
         f.s.logon.guest = true;
         close_by(f, CloseSide::Client);
     },
     Observed::SigningFailure, kClose},
    {"close_after_guest_grant_once_tree_connect_answered",
     [](Facts &f) {
         smb2_negotiated(f, Policy::Enabled, kSmb2Required);
         setup_request(f);
         granted(f);
         tree_connected(f);
         f.s.logon.guest = true;
         close_by(f, CloseSide::Client);
     },
     Observed::Established, kTreeConnectResponse},
    {"server_closes_on_unsigned_request_signing_required",
     [](Facts &f) {
         smb1_negotiated(f, Policy::Required);
         smb1_setup_request(f, kFlags2Enabled);
         granted(f);
         last_unsigned_request(f);
         close_by(f, CloseSide::Server);
     },
     Observed::SigningFailure, kClose},
    {"client_closes_after_unsigned_request",
     [](Facts &f) {
         smb1_negotiated(f, Policy::Required);
         smb1_setup_request(f, kFlags2Enabled);
         granted(f);
         last_unsigned_request(f);
         close_by(f, CloseSide::Client);
     },
     Observed::Incomplete, kNoFrame},
    {"server_closes_after_signed_request",
     [](Facts &f) {
         smb1_negotiated(f, Policy::Required);
         smb1_setup_request(f, kFlags2Enabled);
         granted(f);
         last_unsigned_request(f);
         f.c.last.is_signed = true;
         close_by(f, CloseSide::Server);
     },
     Observed::Incomplete, kNoFrame},
    {"server_closes_after_another_sessions_request",
     [](Facts &f) {
         smb1_negotiated(f, Policy::Required);
         smb1_setup_request(f, kFlags2Enabled);
         granted(f);
         last_unsigned_request(f);
         f.c.last.session = kIndex + 1;
         close_by(f, CloseSide::Server);
     },
     Observed::Incomplete, kNoFrame},
    {"server_closes_on_unsigned_request_nobody_requires_signing",
     [](Facts &f) {
         smb1_negotiated(f, Policy::Enabled);
         smb1_setup_request(f, kFlags2Enabled);
         granted(f);
         last_unsigned_request(f);
         close_by(f, CloseSide::Server);
     },
     Observed::Incomplete, kNoFrame},
    {"invalid_signature_before_close_keeps_its_frame",
     [](Facts &f) {
         smb1_negotiated(f, Policy::Required);
         smb1_setup_request(f, kFlags2Enabled);
         granted(f);
         f.s.invalid_signature_frame = kInvalidSignature;
         last_unsigned_request(f);
         close_by(f, CloseSide::Server);
     },
     Observed::SigningFailure, kInvalidSignature},
    {"invalid_signature_after_close_that_failed_first",
     [](Facts &f) {
         smb1_negotiated(f, Policy::Required);
         smb1_setup_request(f, kFlags2Enabled);
         granted(f);
         last_unsigned_request(f);
         close_by(f, CloseSide::Server);
         f.s.invalid_signature_frame = kAfterClose;
     },
     Observed::SigningFailure, kClose},
    // 2. closed after NEGOTIATE
    {"closed_after_negotiate",
     [](Facts &f) {
         smb2_negotiated(f, Policy::Enabled, kSmb2Enabled);
         close_by(f, CloseSide::Client);
     },
     Observed::ClosedAfterNegotiate, kClose},
    {"closed_after_setup_request_is_not_after_negotiate",
     [](Facts &f) {
         smb2_negotiated(f, Policy::Enabled, kSmb2Enabled);
         setup_request(f);
         close_by(f, CloseSide::Client);
     },
     Observed::Incomplete, kNoFrame},
    {"closed_after_a_replaced_session_is_not_its_outcome",
     [](Facts &f) {
         smb2_negotiated(f, Policy::Enabled, kSmb2Enabled);
         close_by(f, CloseSide::Client);
         f.s.open_at_close = false; // replaced by a new logon before the close
     },
     Observed::Incomplete, kNoFrame},
    {"setup_after_the_close_does_not_undo_it",
     [](Facts &f) {
         smb2_negotiated(f, Policy::Enabled, kSmb2Enabled);
         close_by(f, CloseSide::Client);
         setup_request(f);
         granted(f);
     },
     Observed::ClosedAfterNegotiate, kClose},
    // 3. auth failed
    {"auth_failed",
     [](Facts &f) {
         smb2_negotiated(f, Policy::Enabled, kSmb2Enabled);
         setup_request(f);
         f.s.logon.state = SetupState::Failed;
         f.s.auth_failed_frame = kSetupResponse;
     },
     Observed::AuthFailed, kSetupResponse},
    {"more_processing_is_no_failure",
     [](Facts &f) {
         smb2_negotiated(f, Policy::Enabled, kSmb2Enabled);
         setup_request(f);
         f.s.logon.state = SetupState::InProgress;
         f.s.auth_failed_frame = kSetupResponse; // of an earlier round, later retried
     },
     Observed::Incomplete, kNoFrame},
    // 4. denied
    {"denied_at_tree_connect",
     [](Facts &f) {
         smb1_negotiated(f, Policy::Required);
         smb1_setup_request(f, 0);
         granted(f);
         f.s.denied_frame = kTreeConnectResponse;
     },
     Observed::DeniedAtTreeConnect, kTreeConnectResponse},
    // 5. established
    {"established",
     [](Facts &f) {
         smb2_negotiated(f, Policy::Enabled, kSmb2Enabled);
         setup_request(f);
         granted(f);
         tree_connected(f);
     },
     Observed::Established, kTreeConnectResponse},
    // 6. incomplete
    {"granted_nothing_after",
     [](Facts &f) {
         smb2_negotiated(f, Policy::Enabled, kSmb2Enabled);
         setup_request(f);
         granted(f);
     },
     Observed::Incomplete, kNoFrame},
};

INSTANTIATE_TEST_SUITE_P(Rules, ObservedRule, ::testing::ValuesIn(kObservedRows),
                         [](const auto &info) { return std::string(info.param.name); });

// --- Client policy: doc/DEFINITIONS.md, "Policies" -----------------------------------------

struct ClientRow {
    const char *name;
    void (*arrange)(Facts &);
    Policy client;
    bool inferred;
};

class ClientPolicyRule : public ::testing::TestWithParam<ClientRow> {};

TEST_P(ClientPolicyRule, ReadsTheClientPolicy) {
    Facts f;
    GetParam().arrange(f);
    const SessionView v = run(f);
    EXPECT_EQ(v.client, GetParam().client) << "got " << to_string(v.client);
    EXPECT_EQ(v.client_inferred, GetParam().inferred);
}

const ClientRow kClientRows[] = {
    {"smb1_setup_flags2_required",
     [](Facts &f) {
         smb1_negotiated(f, Policy::Enabled);
         smb1_setup_request(f, kFlags2Required);
     },
     Policy::Required, false},
    {"smb1_setup_flags2_enabled",
     [](Facts &f) {
         smb1_negotiated(f, Policy::Enabled);
         smb1_setup_request(f, kFlags2Enabled);
     },
     Policy::Enabled, false},
    {"smb1_setup_flags2_none",
     [](Facts &f) {
         smb1_negotiated(f, Policy::Enabled);
         smb1_setup_request(f, 0);
     },
     Policy::Disabled, false},
    {"smb1_negotiate_flags2_alone_says_nothing",
     [](Facts &f) { smb1_negotiated(f, Policy::Enabled, kFlags2Required); }, Policy::Unknown,
     false},
    {"smb1_kb887429_client_closes_after_signing_disabled",
     [](Facts &f) {
         smb1_negotiated(f, Policy::Disabled, kFlags2Required);
         close_by(f, CloseSide::Client);
     },
     Policy::Required, true},
    {"smb1_kb887429_not_when_the_server_closes",
     [](Facts &f) {
         smb1_negotiated(f, Policy::Disabled, kFlags2Required);
         close_by(f, CloseSide::Server);
     },
     Policy::Unknown, false},
    {"smb1_kb887429_not_without_0x0010",
     [](Facts &f) {
         smb1_negotiated(f, Policy::Disabled, kFlags2Enabled);
         close_by(f, CloseSide::Client);
     },
     Policy::Unknown, false},
    {"smb1_kb887429_not_when_the_server_signs",
     [](Facts &f) {
         smb1_negotiated(f, Policy::Enabled, kFlags2Required);
         close_by(f, CloseSide::Client);
     },
     Policy::Unknown, false},
    {"smb2_negotiate_request_over_setup_request",
     [](Facts &f) {
         smb2_negotiated(f, Policy::Required, kSmb2Enabled);
         setup_request(f);
         f.s.logon.smb2_request_security_mode = kSmb2Required;
         f.s.logon.smb2_request_security_mode_seen = true;
     },
     Policy::Enabled, false},
    {"smb2_setup_request_without_negotiate",
     [](Facts &f) {
         smb2_negotiated(f, Policy::Enabled, 0);
         f.c.negotiate.smb2_client_security_mode_seen = false;
         setup_request(f);
         f.s.logon.smb2_request_security_mode = kSmb2Required;
         f.s.logon.smb2_request_security_mode_seen = true;
     },
     Policy::Required, false},
    {"smb2_nothing_seen",
     [](Facts &f) {
         smb2_negotiated(f, Policy::Enabled, 0);
         f.c.negotiate.smb2_client_security_mode_seen = false;
     },
     Policy::Unknown, false},
};

INSTANTIATE_TEST_SUITE_P(Rules, ClientPolicyRule, ::testing::ValuesIn(kClientRows),
                         [](const auto &info) { return std::string(info.param.name); });

// --- Whole views ---------------------------------------------------------------------------

// KB887429: the inferred requirement predicts the block the close shows, dated by the close.
TEST(Derive, Kb887429PatternIsConsistent) {
    Facts f;
    smb1_negotiated(f, Policy::Disabled, kFlags2Required);
    close_by(f, CloseSide::Client);
    const SessionView v = run(f);
    EXPECT_EQ(v.predicted, Predicted::BlockedAfterNegotiate);
    EXPECT_EQ(v.observed, Observed::ClosedAfterNegotiate);
    EXPECT_EQ(v.consistent, std::optional<bool>(true));
    EXPECT_EQ(v.prediction_frame, kClose);
    EXPECT_EQ(v.verdict, Verdict::NotEstablished);
}

// The close judges the facts as they stood: a later logon's SESSION_SETUP request on the
// same session does not make the close a signing failure it was not.
TEST(Derive, CloseJudgesTheLogonAsItStood) {
    Facts f;
    smb2_negotiated(f, Policy::Enabled, kSmb2Required);
    setup_request(f);
    close_by(f, CloseSide::Client);
    granted(f);
    f.s.logon.guest = true;
    const SessionView v = run(f);
    EXPECT_EQ(v.observed, Observed::Incomplete);
}

// Established unsigned where signing was due: not consistent.
TEST(Derive, UnsignedWherePredictedSignedIsInconsistent) {
    Facts f;
    smb2_negotiated(f, Policy::Required, kSmb2Enabled);
    setup_request(f);
    granted(f);
    tree_connected(f);
    counted(f, 2, 2, 0, 0);
    const SessionView v = run(f);
    EXPECT_EQ(v.predicted, Predicted::Signed);
    EXPECT_EQ(v.observed, Observed::Established);
    EXPECT_EQ(v.consistent, std::optional<bool>(false));
    EXPECT_EQ(v.number, kIndex + 1);
    EXPECT_EQ(v.negotiate_frame, kNegotiateResponse);
    EXPECT_EQ(v.prediction_frame, kNegotiateResponse);
}

// Integrity follows the verifier's summary; one invalid signature makes it invalid.
TEST(Derive, IntegrityFromTheSignatureSummary) {
    Facts f;
    smb2_negotiated(f, Policy::Required, kSmb2Enabled);
    setup_request(f);
    granted(f);
    tree_connected(f);
    counted(f, 2, 2, 2, 2);
    EXPECT_EQ(run(f).integrity, verify::Integrity::Unverified);
    f.x.signatures.valid = 4;
    EXPECT_EQ(run(f).integrity, verify::Integrity::Verified);
    f.x.signatures.invalid = 1;
    EXPECT_EQ(run(f).integrity, verify::Integrity::Invalid);
    EXPECT_EQ(run(f).signatures.invalid, 1u);
}

} // namespace

namespace {

// An encrypted session is verified only when every encrypted message's tag checked valid:
// a valid signed SESSION_SETUP response alone proves nothing about the encrypted traffic
// (issue 20: "verified" after one signature, ~50 encrypted messages never checked).
TEST(Derive, EncryptedSessionIsVerifiedOnlyWhenEveryEncryptedMessageChecked) {
    verify::SessionSummary s;
    s.valid = 1; // the signed final SESSION_SETUP response
    EXPECT_EQ(verify::integrity_of(s, true, 0), verify::Integrity::Verified);
    EXPECT_EQ(verify::integrity_of(s, true, 50), verify::Integrity::Unverified);
    s.encrypted_valid = 49;
    EXPECT_EQ(verify::integrity_of(s, true, 50), verify::Integrity::Unverified);
    s.encrypted_valid = 50;
    EXPECT_EQ(verify::integrity_of(s, true, 50), verify::Integrity::Verified);
    s.encrypted_unverifiable = 1;
    EXPECT_EQ(verify::integrity_of(s, true, 50), verify::Integrity::Unverified);
    s.encrypted_invalid = 1;
    EXPECT_EQ(verify::integrity_of(s, true, 50), verify::Integrity::Invalid);
    // Without a key: encrypted and nothing checked is unverified, never verified.
    EXPECT_EQ(verify::integrity_of(verify::SessionSummary{}, false, 3),
              verify::Integrity::Unverified);
}

} // namespace
