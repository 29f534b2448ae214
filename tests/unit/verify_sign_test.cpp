// The signers' plumbing (smbsign/verify/sign.hpp) that the known-answer and capture tests
// do not reach: the AES-GMAC nonce of MS-SMB2 3.1.4.1 built from a header, the choice of
// algorithm by dialect and SigningAlgorithmId, and bytes that cannot be a signed message.
#include "smbsign/verify/sign.hpp"

#include "hex.hpp"
#include "test_bytes.hpp"

#include <gtest/gtest.h>

namespace {

using namespace smbsign;
using namespace smbsign::verify;
using testutil::hex_of;

constexpr Key16 kKey = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};

// A bare SMB2 header (MS-SMB2 2.2.1) with the given command, flags and MessageId.
testutil::Buf smb2_header(std::uint16_t command, std::uint32_t flags, std::uint64_t message_id,
                          std::size_t body_size = 0) {
    testutil::Buf h(smb2::kHeaderSize + body_size, 0);
    std::copy(smb2::kProtocolId.begin(), smb2::kProtocolId.end(), h.begin());
    testutil::put_u16le(h, smb2::kStructureSizeOffset, smb2::kHeaderSize);
    testutil::put_u16le(h, smb2::kCommandOffset, command);
    testutil::put_u32le(h, smb2::kFlagsOffset, flags);
    testutil::put_u64le(h, smb2::kMessageIdOffset, message_id);
    return h;
}

TEST(VerifySign, GmacNonceRequestResponseCancel) {
    constexpr std::uint64_t kId = 0x0102030405060708;
    auto request = gmac_nonce(smb2_header(smb2::kCmdTreeConnect, smb2::kFlagSigned, kId));
    ASSERT_TRUE(request);
    EXPECT_EQ(hex_of(*request), "080706050403020100000000");
    auto response = gmac_nonce(
        smb2_header(smb2::kCmdTreeConnect, smb2::kFlagSigned | smb2::kFlagServerToRedir, kId));
    ASSERT_TRUE(response);
    EXPECT_EQ(hex_of(*response), "080706050403020101000000");
    auto cancel = gmac_nonce(smb2_header(smb2::kCmdCancel, smb2::kFlagSigned, kId));
    ASSERT_TRUE(cancel);
    EXPECT_EQ(hex_of(*cancel), "080706050403020102000000");
    // An async CANCEL still names the cancelled request's MessageId.
    auto async_cancel =
        gmac_nonce(smb2_header(smb2::kCmdCancel, smb2::kFlagSigned | smb2::kFlagAsync, kId));
    ASSERT_TRUE(async_cancel);
    EXPECT_EQ(hex_of(*async_cancel), "080706050403020102000000");
}

TEST(VerifySign, GmacDependsOnTheNonceBits) {
    // The same bytes but for the CANCEL command give another MAC, so a verifier that
    // forgot the cancel bit would call a genuine CANCEL invalid.
    auto cancel = smb2_header(smb2::kCmdCancel, smb2::kFlagSigned, 7);
    auto with_bit = Smb2Signer(smb2::SigningAlgorithm::AesGmac, kKey).sign(cancel);
    ASSERT_TRUE(with_bit);
    auto nonce_without_bit = gmac_nonce(cancel).value();
    nonce_without_bit[8] = 0;
    constexpr std::size_t kAfter = smb2::kSignatureOffset + smb2::kSignatureSize;
    const Smb2Signature zero{};
    auto without_bit =
        mac<16>(GCRY_MAC_GMAC_AES, kKey,
                {Bytes(cancel).first(smb2::kSignatureOffset), zero, Bytes(cancel).subspan(kAfter)},
                nonce_without_bit);
    ASSERT_TRUE(without_bit);
    EXPECT_NE(hex_of(*with_bit), hex_of(*without_bit));
}

TEST(VerifySign, AlgorithmByDialectAndId) {
    // MS-SMB2 3.1.4.1: HMAC-SHA256 before 3.0, AES-128-CMAC from 3.0 on, unless a 3.1.1
    // NEGOTIATE response's SIGNING_CAPABILITIES chose another.
    auto of = [](std::uint16_t dialect, std::optional<std::uint16_t> id = std::nullopt) {
        smb2::NegotiateResponse r;
        r.dialect = dialect;
        r.has_signing_context = id.has_value();
        r.signing_algorithm_id = id.value_or(0);
        return smb2::signing_algorithm_of(r);
    };
    EXPECT_EQ(of(smb2::kDialect202), smb2::SigningAlgorithm::HmacSha256);
    EXPECT_EQ(of(smb2::kDialect210), smb2::SigningAlgorithm::HmacSha256);
    EXPECT_EQ(of(smb2::kDialect300), smb2::SigningAlgorithm::AesCmac);
    EXPECT_EQ(of(smb2::kDialect302), smb2::SigningAlgorithm::AesCmac);
    EXPECT_EQ(of(smb2::kDialect311), smb2::SigningAlgorithm::AesCmac);
    EXPECT_EQ(of(smb2::kDialectWildcard), smb2::SigningAlgorithm::HmacSha256);
    EXPECT_EQ(of(smb2::kDialect311, smb2::kSigningIdHmacSha256),
              smb2::SigningAlgorithm::HmacSha256);
    EXPECT_EQ(of(smb2::kDialect311, smb2::kSigningIdAesCmac), smb2::SigningAlgorithm::AesCmac);
    EXPECT_EQ(of(smb2::kDialect311, smb2::kSigningIdAesGmac), smb2::SigningAlgorithm::AesGmac);
    EXPECT_EQ(of(smb2::kDialect311, 3), smb2::SigningAlgorithm::Unknown);
    // Only the three SMB2 MACs make a signer.
    EXPECT_TRUE(Smb2Signer(smb2::SigningAlgorithm::AesGmac, kKey).ok());
    EXPECT_FALSE(Smb2Signer(smb2::SigningAlgorithm::Unknown, kKey).ok());
    EXPECT_FALSE(Smb2Signer(smb2::SigningAlgorithm::Md5, kKey).ok());
}

TEST(VerifySign, SignatureFieldDoesNotEnterTheMac) {
    // A one-byte body, and one byte of the signature field chosen (each message built
    // whole: GCC 14 and 16 misread a grown-then-copied vector under -O3 -Werror).
    const auto message = [](std::uint8_t signature_byte) {
        auto m = smb2_header(smb2::kCmdTreeConnect, smb2::kFlagSigned, 1, 1);
        m[smb2::kHeaderSize] = 0x42;
        m[smb2::kSignatureOffset + 3] = signature_byte;
        return m;
    };
    for (auto alg : {smb2::SigningAlgorithm::HmacSha256, smb2::SigningAlgorithm::AesCmac,
                     smb2::SigningAlgorithm::AesGmac}) {
        auto m = message(0);
        auto a = Smb2Signer(alg, kKey).sign(m);
        auto b = Smb2Signer(alg, kKey).sign(message(0xEE));
        ASSERT_TRUE(a && b);
        EXPECT_EQ(hex_of(*a), hex_of(*b));
        // ...and the result written into the field verifies.
        std::copy(a->begin(), a->end(), m.begin() + smb2::kSignatureOffset);
        EXPECT_EQ(Smb2Signer(alg, kKey).verify(m).status, MacMatch::Match);
        EXPECT_EQ(hex_of(Smb2Signer(alg, kKey).verify(m).expected), hex_of(*a));
    }
}

TEST(VerifySign, NotASignedMessageIsUnverifiable) {
    auto m = smb2_header(smb2::kCmdTreeConnect, smb2::kFlagSigned, 1);
    // One byte short of a header; a header exactly (no body) is still a message.
    EXPECT_EQ(Smb2Signer(smb2::SigningAlgorithm::AesCmac, kKey).verify(Bytes(m).first(63)).status,
              MacMatch::Unusable);
    EXPECT_NE(Smb2Signer(smb2::SigningAlgorithm::AesCmac, kKey).verify(m).status,
              MacMatch::Unusable);
    auto smb1 = m;
    smb1[0] = 0xFF; // an SMB1 protocol id is not SMB2
    EXPECT_EQ(Smb2Signer(smb2::SigningAlgorithm::AesCmac, kKey).verify(smb1).status,
              MacMatch::Unusable);
    EXPECT_EQ(smb1_verify(kKey, 0, Bytes(smb1).first(31)).status, MacMatch::Unusable);
    EXPECT_NE(smb1_verify(kKey, 0, Bytes(smb1).first(32)).status, MacMatch::Unusable);
    EXPECT_EQ(smb1_verify(kKey, 0, m).status, MacMatch::Unusable); // FE 'SMB'
}

} // namespace
