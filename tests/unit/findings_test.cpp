// Findings: which expert infos a frame shows about its session (findings.hpp), the rules
// the plugin used to apply itself, checked without Wireshark.
#include "smbsign/findings.hpp"

#include <gtest/gtest.h>

namespace smbsign {
namespace {

constexpr std::uint32_t kNegotiate = 3;
constexpr std::uint32_t kSetup = 6;
constexpr std::uint32_t kFirstData = 9;
constexpr std::uint32_t kLater = 12;

// An SMB2 session whose server only enables signing and whose messages go unsigned.
SessionView unsigned_session() {
    SessionView v;
    v.family = Family::Smb2;
    v.client = Policy::Enabled;
    v.server = Policy::Enabled;
    v.verdict = Verdict::Unsigned;
    v.predicted = Predicted::Unsigned;
    v.observed = Observed::Established;
    v.consistent = true;
    v.negotiate_frame = kNegotiate;
    v.prediction_frame = kNegotiate;
    v.setup_frame = kSetup;
    v.outcome_frame = kSetup;
    v.first_unsigned_frame = kFirstData;
    return v;
}

TEST(Findings, UnsignedSessionWarnsOnItsNegotiateAndFirstUnsignedFrame) {
    const SessionView v = unsigned_session();
    const Findings at_negotiate = session_findings(v, kNegotiate);
    ASSERT_EQ(at_negotiate.size, 1u);
    EXPECT_EQ(at_negotiate.items[0], Finding::ServerNotRequired);
    const Findings at_data = session_findings(v, kFirstData);
    ASSERT_EQ(at_data.size, 1u);
    EXPECT_EQ(at_data.items[0], Finding::EstablishedUnsigned);
    EXPECT_EQ(session_findings(v, kSetup).size, 0u);
    EXPECT_EQ(session_findings(v, kLater).size, 0u);
}

TEST(Findings, RequiredServerIsNoFinding) {
    SessionView v = unsigned_session();
    v.server = Policy::Required;
    EXPECT_FALSE(session_findings(v, kNegotiate).contains(Finding::ServerNotRequired));
}

TEST(Findings, SignedMessagesInAnUnsignedSessionAreMixedUnlessGuest) {
    SessionView v = unsigned_session();
    v.counted_signed = 2;
    EXPECT_TRUE(session_findings(v, kFirstData).contains(Finding::MixedSigning));
    EXPECT_FALSE(session_findings(v, kFirstData).contains(Finding::EstablishedUnsigned));
    v.guest = true; // a guest session cannot sign: not "mixed", and not established-unsigned
    EXPECT_FALSE(session_findings(v, kFirstData).contains(Finding::MixedSigning));
    EXPECT_TRUE(session_findings(v, kFirstData).contains(Finding::EstablishedUnsigned));
}

TEST(Findings, SigningActiveOnTheFirstSignedFrameOfASignedSession) {
    SessionView v = unsigned_session();
    v.verdict = Verdict::Signed;
    v.first_signed_frame = kSetup;
    const Findings f = session_findings(v, kSetup);
    ASSERT_EQ(f.size, 1u);
    EXPECT_EQ(f.items[0], Finding::SigningActive);
    EXPECT_EQ(severity(Finding::SigningActive), Severity::Note);
    EXPECT_EQ(session_findings(v, kFirstData).size, 0u); // not unsigned: no unsigned finding
}

TEST(Findings, EachFailurePredictionIsAnErrorOnThePredictionFrame) {
    const std::pair<Predicted, Finding> cases[] = {
        {Predicted::BlockedAfterNegotiate, Finding::PredictedBlock},
        {Predicted::DeniedAtTreeConnect, Finding::PredictedDenied},
        {Predicted::SigningFailure, Finding::PredictedSigningFailure},
    };
    for (const auto &[predicted, finding] : cases) {
        SessionView v = unsigned_session();
        v.server = Policy::Required;
        v.predicted = predicted;
        v.prediction_frame = kSetup;
        v.outcome_frame = kLater;
        const Findings f = session_findings(v, kSetup);
        ASSERT_EQ(f.size, 1u);
        EXPECT_EQ(f.items[0], finding);
        EXPECT_EQ(severity(finding), Severity::Error);
    }
}

TEST(Findings, MismatchOnlyWhenKnownInconsistentAndLastInOrder) {
    SessionView v = unsigned_session();
    v.consistent = false;
    const Findings f = session_findings(v, kSetup);
    ASSERT_EQ(f.size, 1u);
    EXPECT_EQ(f.items[0], Finding::OutcomeMismatch);
    v.consistent.reset(); // not yet known: nothing to report
    EXPECT_EQ(session_findings(v, kSetup).size, 0u);

    // Every frame mark on one frame: the order the expert infos were always added in.
    SessionView all = unsigned_session();
    all.counted_signed = 1;
    all.predicted = Predicted::BlockedAfterNegotiate;
    all.consistent = false;
    all.setup_frame = all.outcome_frame = all.first_unsigned_frame = kNegotiate;
    const Findings g = session_findings(all, kNegotiate);
    ASSERT_EQ(g.size, 4u);
    EXPECT_EQ(g.items[0], Finding::ServerNotRequired);
    EXPECT_EQ(g.items[1], Finding::MixedSigning);
    EXPECT_EQ(g.items[2], Finding::PredictedBlock);
    EXPECT_EQ(g.items[3], Finding::OutcomeMismatch);
}

// The frame's entry of the session: its signature check.
FrameEntry signed_entry(std::uint32_t frame, verify::Code signature) {
    FrameEntry e;
    e.frame = frame;
    e.signature = signature;
    return e;
}

// A signed SMB2 session whose key came from a password.
SessionView signed_session(verify::KeyState key) {
    SessionView v = unsigned_session();
    v.server = Policy::Required;
    v.verdict = Verdict::Signed;
    v.predicted = Predicted::Signed;
    v.first_unsigned_frame = kNoFrame;
    v.signatures.key_source = verify::KeySource::Password;
    v.signatures.key_state = key;
    return v;
}

TEST(Findings, InvalidSignatureIsAlteredOnlyWithAProvenKey) {
    const auto invalid = verify::encode(verify::Status::Invalid);
    SessionView v = signed_session(verify::KeyState::Proven);
    v.integrity = verify::Integrity::Invalid;
    EXPECT_TRUE(
        frame_findings(v, signed_entry(kLater, invalid)).contains(Finding::SignatureAltered));
    EXPECT_FALSE(
        frame_findings(v, signed_entry(kLater, invalid)).contains(Finding::SignatureInvalid));
    EXPECT_EQ(detail(Finding::SignatureAltered),
              "Invalid SMB signature: message altered in transit");
    // A key nothing proved: the mismatch may be the key's.
    v.signatures.key_state = verify::KeyState::Unknown;
    EXPECT_TRUE(
        frame_findings(v, signed_entry(kLater, invalid)).contains(Finding::SignatureInvalid));
    EXPECT_NE(detail(Finding::SignatureInvalid).find("or the key is wrong"),
              std::string_view::npos);
    // Only the frame whose check failed.
    EXPECT_FALSE(frame_findings(v, signed_entry(kFirstData, verify::encode(verify::Status::Valid)))
                     .contains(Finding::SignatureInvalid));
    EXPECT_EQ(severity(Finding::SignatureAltered), Severity::Error);
    EXPECT_EQ(severity(Finding::SignatureInvalid), Severity::Error);
}

TEST(Findings, InvalidEncryptionTagOnItsFrame) {
    FrameEntry e;
    e.frame = kLater;
    e.encryption = verify::encode(verify::Status::Invalid);
    SessionView v = signed_session(verify::KeyState::Proven);
    v.verdict = Verdict::Encrypted;
    EXPECT_TRUE(frame_findings(v, e).contains(Finding::EncryptionAltered));
    EXPECT_FALSE(frame_findings(v, e).contains(Finding::SignatureAltered));
    v.signatures.key_state = verify::KeyState::Unknown;
    EXPECT_TRUE(frame_findings(v, e).contains(Finding::EncryptionInvalid));
    EXPECT_NE(detail(Finding::EncryptionInvalid).find("or the key is wrong"),
              std::string_view::npos);
    e.encryption = verify::encode(verify::Status::Valid);
    EXPECT_EQ(frame_findings(v, e).size, 0u);
    EXPECT_EQ(severity(Finding::EncryptionAltered), Severity::Error);
}

TEST(Findings, WrongKeyAndFullVerificationOnTheSetupFrameOnly) {
    SessionView wrong = signed_session(verify::KeyState::Wrong);
    wrong.integrity = verify::Integrity::Unverified;
    const auto none = verify::encode(verify::Status::None);
    EXPECT_TRUE(frame_findings(wrong, signed_entry(kSetup, none)).contains(Finding::KeyWrong));
    EXPECT_FALSE(frame_findings(wrong, signed_entry(kLater, none)).contains(Finding::KeyWrong));
    EXPECT_FALSE(frame_findings(wrong, signed_entry(kSetup, none)).contains(Finding::AllVerified));
    EXPECT_EQ(severity(Finding::KeyWrong), Severity::Warn);
    // A keytab's keys: a text of their own (the ticket or proof did not open).
    wrong.signatures.key_source = verify::KeySource::Keytab;
    EXPECT_TRUE(frame_findings(wrong, signed_entry(kSetup, none)).contains(Finding::KeytabWrong));
    EXPECT_FALSE(frame_findings(wrong, signed_entry(kSetup, none)).contains(Finding::KeyWrong));
    EXPECT_EQ(severity(Finding::KeytabWrong), Severity::Warn);

    SessionView proven = signed_session(verify::KeyState::Proven);
    proven.integrity = verify::Integrity::Verified;
    EXPECT_TRUE(frame_findings(proven, signed_entry(kSetup, none)).contains(Finding::AllVerified));
    EXPECT_FALSE(frame_findings(proven, signed_entry(kLater, none)).contains(Finding::AllVerified));
    EXPECT_FALSE(frame_findings(proven, signed_entry(kSetup, none)).contains(Finding::KeyWrong));
    EXPECT_EQ(severity(Finding::AllVerified), Severity::Note);
}

TEST(Findings, AnomalySeverities) {
    EXPECT_EQ(severity(Anomaly::TruncatedHeader), Severity::Error);
    EXPECT_TRUE(is_malformed(Anomaly::MalformedBody));
    EXPECT_EQ(severity(Anomaly::SessionLimit), Severity::Note);
    EXPECT_EQ(severity(Anomaly::PendingLimit), Severity::Note);
    EXPECT_FALSE(is_malformed(Anomaly::ReusedSessionId));
    EXPECT_EQ(severity(Anomaly::ReusedSessionId), Severity::Warn);
    EXPECT_EQ(severity(Anomaly::ContradictoryServerPolicy), Severity::Warn);
}

} // namespace
} // namespace smbsign
