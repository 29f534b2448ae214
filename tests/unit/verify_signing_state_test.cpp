// The signing states on their own, without bytes from a capture: SMB1 sequence numbers
// (smbsign/verify/smb1_signing.hpp, MS-CIFS 3.2.4.1.1 and 3.3.5.2) and the SMB2 session
// state that turns a session key and the SESSION_SETUP exchange into a signer
// (smbsign/verify/smb2_signing.hpp, MS-SMB2 3.2.5.3.1 and 3.1.4.1).
#include "smbsign/verify/smb1_signing.hpp"
#include "smbsign/verify/smb2_signing.hpp"

#include "test_bytes.hpp"

#include <gtest/gtest.h>

#include <optional>

namespace {

using namespace smbsign;
using namespace smbsign::verify;
using testutil::Buf;

constexpr Key16 kKey = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
constexpr std::uint16_t kPid = 0xFEFF;
constexpr std::uint8_t kCmdReadAndX = 0x2E;

// --- SMB1 -----------------------------------------------------------------------------

TEST(Smb1SigningState, NothingIsNumberedBeforeTheKeyBearingSetup) {
    Smb1SigningState s;
    EXPECT_FALSE(s.known());
    EXPECT_EQ(s.request(1, kPid, true), std::nullopt);
    EXPECT_EQ(s.response(1, kPid), std::nullopt);
}

TEST(Smb1SigningState, RequestAndResponseTakeConsecutiveNumbers) {
    Smb1SigningState s;
    s.start(7);
    EXPECT_TRUE(s.known());
    EXPECT_EQ(s.key_session(), 7u);
    EXPECT_EQ(s.request(10, kPid, true), 0u); // the AUTHENTICATE leg is number 0
    EXPECT_EQ(s.response(10, kPid), 1u);
    EXPECT_EQ(s.request(11, kPid, true), 2u);
    EXPECT_EQ(s.request(12, kPid, true), 4u); // two requests in flight
    EXPECT_EQ(s.response(12, kPid), 5u);      // answered out of order
    EXPECT_EQ(s.response(11, kPid), 3u);
    // A request without a response (NT_CANCEL, an oplock release) takes one number.
    EXPECT_EQ(s.request(13, kPid, false), 6u);
    EXPECT_EQ(s.request(14, kPid, true), 7u);
}

TEST(Smb1SigningState, ResponsesPairByMidAndPid) {
    Smb1SigningState s;
    s.start(0);
    ASSERT_EQ(s.request(20, kPid, true), 0u);
    EXPECT_EQ(s.response(20, kPid + 1), std::nullopt); // same MID, other process
    EXPECT_EQ(s.response(21, kPid), std::nullopt);     // a request not seen
    EXPECT_EQ(s.response(20, kPid), 1u);
    EXPECT_EQ(s.response(20, kPid), std::nullopt); // answered once
}

TEST(Smb1SigningState, ALaterLogonDoesNotRestartActiveSigning) {
    Smb1SigningState s;
    s.confirm(); // nothing started: nothing to confirm
    s.start(1);
    ASSERT_EQ(s.request(1, kPid, true), 0u);
    ASSERT_EQ(s.response(1, kPid), 1u);
    s.start(2); // before confirm(): the new AUTHENTICATE leg restarts at 0
    EXPECT_EQ(s.key_session(), 2u);
    EXPECT_EQ(s.request(2, kPid, true), 0u);
    EXPECT_EQ(s.response(2, kPid), 1u);
    s.confirm();
    s.start(3); // after it: the first key keeps signing, numbers go on
    EXPECT_EQ(s.key_session(), 2u);
    EXPECT_EQ(s.request(3, kPid, true), 2u);
    s.reset(); // a NEGOTIATE
    EXPECT_FALSE(s.known());
    EXPECT_EQ(s.request(4, kPid, true), std::nullopt);
}

TEST(Smb1SigningState, PendingRequestsAreBounded) {
    Smb1SigningState s;
    s.start(0);
    for (std::uint16_t mid = 0; mid <= Smb1SigningState::kMaxPending; ++mid)
        ASSERT_TRUE(s.request(mid, kPid, true));
    EXPECT_EQ(s.response(0, kPid), std::nullopt); // the oldest was forgotten
    EXPECT_EQ(s.response(1, kPid), 3u);
    EXPECT_EQ(s.response(Smb1SigningState::kMaxPending, kPid),
              2u * Smb1SigningState::kMaxPending + 1);
}

// A READ_ANDX-shaped SMB1 message (header, WordCount 0, ByteCount 0) signed with kKey
// under `sequence` (MS-CIFS 3.1.4.1).
Buf smb1_signed(std::uint32_t sequence) {
    Buf m(smb1::kHeaderSize + 3, 0);
    std::copy(smb1::kProtocolId.begin(), smb1::kProtocolId.end(), m.begin());
    m[smb1::kProtocolId.size()] = kCmdReadAndX;
    const auto sig = smb1_signature(kKey, sequence, m);
    EXPECT_TRUE(sig);
    std::copy(sig->begin(), sig->end(), m.begin() + smb1::kSignatureOffset);
    return m;
}

TEST(Smb1SigningState, CheckMatchesTheRightNumberOnly) {
    Smb1SigningState s;
    s.start(0);
    const Buf m = smb1_signed(4);
    auto ok = s.check(kKey, 4, m, std::nullopt);
    EXPECT_EQ(ok.mac.status, MacMatch::Match);
    EXPECT_FALSE(ok.resynced);
    // No number up to kMaxResync ahead fits: a mismatch, and the numbering stays.
    auto far = s.check(kKey, 4, smb1_signed(4 + Smb1SigningState::kMaxResync + 1), std::nullopt);
    EXPECT_EQ(far.mac.status, MacMatch::Mismatch);
    EXPECT_FALSE(far.resynced);
    EXPECT_EQ(s.request(1, kPid, true), 0u);
}

TEST(Smb1SigningState, LostMessagesResynchronise) {
    Smb1SigningState s;
    s.start(0);
    ASSERT_EQ(s.request(1, kPid, true), 0u);
    ASSERT_EQ(s.response(1, kPid), 1u);
    // The capture lost one request/response pair: the next request was signed as 4, not 2.
    ASSERT_EQ(s.request(5, kPid, true), 2u);
    auto c = s.check(kKey, 2, smb1_signed(4), std::optional<std::uint16_t>{5});
    EXPECT_EQ(c.mac.status, MacMatch::Mismatch);
    EXPECT_TRUE(c.resynced);
    EXPECT_EQ(s.response(5, kPid), 5u); // its response moved with it
    EXPECT_EQ(s.request(6, kPid, true), 6u);
}

// --- SMB2 -----------------------------------------------------------------------------

// A bare signed SMB2 message (header and one body byte) with the signature `signer` gives.
Buf smb2_signed(Smb2Signer &signer) {
    Buf m(smb2::kHeaderSize + 1, 0);
    std::copy(smb2::kProtocolId.begin(), smb2::kProtocolId.end(), m.begin());
    testutil::put_u16le(m, smb2::kStructureSizeOffset, smb2::kHeaderSize);
    testutil::put_u32le(m, smb2::kFlagsOffset, smb2::kFlagSigned);
    const auto sig = signer.sign(m);
    EXPECT_TRUE(sig);
    std::copy(sig->begin(), sig->end(), m.begin() + smb2::kSignatureOffset);
    return m;
}

TEST(Smb2SigningState, Smb21SignsWithTheSessionKey) {
    Smb2SigningState s;
    EXPECT_EQ(s.make_signer(Dialect::Smb210, smb2::SigningAlgorithm::HmacSha256, kKey, false),
              Reason::None);
    ASSERT_NE(s.signer(), nullptr);
    Smb2Signer reference(smb2::SigningAlgorithm::HmacSha256, kKey);
    EXPECT_EQ(s.signer()->verify(smb2_signed(reference)).status, MacMatch::Match);
    s.drop_signer();
    EXPECT_EQ(s.signer(), nullptr);
}

TEST(Smb2SigningState, Smb30SignsWithTheDerivedKey) {
    Smb2SigningState s;
    ASSERT_EQ(s.make_signer(Dialect::Smb300, smb2::SigningAlgorithm::AesCmac, kKey, false),
              Reason::None);
    Smb2Signer reference(smb2::SigningAlgorithm::AesCmac, smb30_signing_key(kKey).value());
    EXPECT_EQ(s.signer()->verify(smb2_signed(reference)).status, MacMatch::Match);
}

TEST(Smb2SigningState, NoSignerForAnUnknownDialectOrAlgorithm) {
    Smb2SigningState s;
    EXPECT_EQ(s.make_signer(Dialect::Unknown, smb2::SigningAlgorithm::AesCmac, kKey, false),
              Reason::UnknownDialect);
    EXPECT_EQ(s.make_signer(Dialect::Unknown, smb2::SigningAlgorithm::AesCmac, kKey, true),
              Reason::NoSetup);
    EXPECT_EQ(s.make_signer(Dialect::NtLm012, smb2::SigningAlgorithm::Md5, kKey, false),
              Reason::UnknownDialect);
    EXPECT_EQ(s.make_signer(Dialect::Smb300, smb2::SigningAlgorithm::Unknown, kKey, false),
              Reason::UnknownDialect);
    EXPECT_EQ(s.signer(), nullptr);
}

// 3.1.1: the session's hash is the connection's NEGOTIATE pair, then each SESSION_SETUP
// request and each response but the final one (MS-SMB2 3.2.5.2, 3.3.5.5.3).
TEST(Smb2SigningState, Smb311KeyComesFromTheWholePreauthExchange) {
    const Buf negotiate_request = {1, 2, 3}, negotiate_response = {4, 5};
    const Buf setup1 = {6}, challenge = {7, 8}, setup2 = {9};
    Smb2NegotiateHash connection;
    connection.request(negotiate_request);
    connection.response(negotiate_response);
    ASSERT_TRUE(connection.whole());

    Smb2SigningState s;
    s.setup_request(connection, true, false, true, setup1);
    s.setup_continues(true, challenge);
    s.setup_request(connection, false, false, true, setup2);
    // Not before the final response.
    EXPECT_EQ(s.make_signer(Dialect::Smb311, smb2::SigningAlgorithm::AesGmac, kKey, false),
              Reason::NoSetup);
    s.setup_succeeded();
    ASSERT_EQ(s.make_signer(Dialect::Smb311, smb2::SigningAlgorithm::AesGmac, kKey, false),
              Reason::None);

    PreauthHash h;
    for (const Buf *m : {&negotiate_request, &negotiate_response, &setup1, &challenge, &setup2})
        ASSERT_TRUE(h.update(*m));
    Smb2Signer reference(smb2::SigningAlgorithm::AesGmac,
                         smb311_signing_key(kKey, h.value()).value());
    EXPECT_EQ(s.signer()->verify(smb2_signed(reference)).status, MacMatch::Match);
}

TEST(Smb2SigningState, Smb311WithoutTheWholeExchangeHasNoSigner) {
    Smb2NegotiateHash connection;
    connection.response(Buf{4, 5}); // the NEGOTIATE request was not captured
    Smb2SigningState a;
    a.setup_request(connection, true, false, true, Buf{6});
    a.setup_succeeded();
    EXPECT_EQ(a.make_signer(Dialect::Smb311, smb2::SigningAlgorithm::AesCmac, kKey, false),
              Reason::NoSetup);

    connection.request(Buf{1});
    connection.response(Buf{2});
    Smb2SigningState b; // the session's first request (SessionId 0) was not captured
    b.setup_request(connection, false, false, true, Buf{6});
    b.setup_succeeded();
    EXPECT_EQ(b.make_signer(Dialect::Smb311, smb2::SigningAlgorithm::AesCmac, kKey, false),
              Reason::NoSetup);
    Smb2SigningState c; // whole, but the session began before the capture
    c.setup_request(connection, true, false, true, Buf{6});
    c.setup_succeeded();
    EXPECT_EQ(c.make_signer(Dialect::Smb311, smb2::SigningAlgorithm::AesCmac, kKey, true),
              Reason::NoSetup);
    EXPECT_EQ(c.make_signer(Dialect::Smb311, smb2::SigningAlgorithm::AesCmac, kKey, false),
              Reason::None);
}

TEST(Smb2SigningState, BindingMarksABoundChannel) {
    Smb2NegotiateHash connection;
    Smb2SigningState s;
    s.setup_request(connection, true, false, false, Buf{1});
    EXPECT_FALSE(s.bound());
    s.setup_request(connection, false, true, false, Buf{2});
    EXPECT_TRUE(s.bound());
}

} // namespace
