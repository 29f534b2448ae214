// Signature verification end to end on real captures whose password is known: the lab's
// samples (samples/README.md: user smbsign, password Sign1ng-Pass, NTLMv2 with key
// exchange), messages extracted by make_signed_vectors.py. From the password alone the
// NTLMv2 proof must match, the key must follow, and every signature must check as valid;
// one altered byte anywhere in a message must make it invalid.
#include "smbsign/verify/ntlm.hpp"
#include "smbsign/verify/sign.hpp"
#include "smbsign/verify/smb2_keys.hpp"

#include "signed_vectors.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace {

using namespace smbsign;
using namespace smbsign::verify;
namespace sv = signed_vectors;

constexpr const char *kLabPassword = "Sign1ng-Pass"; // samples/README.md

// The session key of an NTLMSSP exchange, given the messages carrying CHALLENGE and
// AUTHENTICATE, and the password.
NtlmSessionKey session_key(Bytes challenge_msg, Bytes authenticate_msg, const char *password) {
    auto ch = find_ntlmssp(challenge_msg, nlmp::kMessageChallenge);
    auto au = find_ntlmssp(authenticate_msg, nlmp::kMessageAuthenticate);
    NtlmChallenge challenge;
    NtlmAuthenticate auth;
    if (!ch || !au || parse_ntlm_challenge(*ch, challenge) != ParseError::None ||
        parse_ntlm_authenticate(*au, auth) != ParseError::None)
        return {};
    auto nt = nt_hash_from_password(password);
    if (!nt)
        return {};
    return ntlmv2_session_key(*nt, challenge, auth);
}

// Flips one bit of each byte in turn (the signature field included) and checks the
// result: invalid, except in the 4-byte protocol id, where the bytes are no longer an SMB
// message at all (unverifiable).
template <typename Verify> void expect_every_altered_byte_invalid(Bytes message, Verify verify) {
    constexpr std::size_t kProtocolIdSize = 4;
    std::vector<std::uint8_t> copy(message.begin(), message.end());
    for (std::size_t i = 0; i < copy.size(); ++i) {
        copy[i] ^= 0x01;
        EXPECT_EQ(verify(Bytes(copy)),
                  i < kProtocolIdSize ? SignatureStatus::Unverifiable : SignatureStatus::Invalid)
            << "altered byte " << i;
        copy[i] ^= 0x01;
    }
    EXPECT_EQ(verify(Bytes(copy)), SignatureStatus::Valid);
}

// ---- SMB 2.0.2, HMAC-SHA256 (smb2-signed-readwrite.pcap) -------------------------------

TEST(VerifyCapture, Smb202SessionSignaturesAreValid) {
    auto key = session_key(sv::kSmb202Challenge, sv::kSmb202Authenticate, kLabPassword);
    ASSERT_EQ(key.status, KeyStatus::Proven);
    for (Bytes m :
         {Bytes(sv::kSmb202SetupFinal), Bytes(sv::kSmb202TreeConnect), Bytes(sv::kSmb202Write)}) {
        auto c = smb2_verify(Smb2SigningAlgorithm::HmacSha256, key.session_key, m);
        EXPECT_EQ(c.status, SignatureStatus::Valid);
    }
}

TEST(VerifyCapture, Smb202AlteredByteIsInvalid) {
    auto key = session_key(sv::kSmb202Challenge, sv::kSmb202Authenticate, kLabPassword);
    ASSERT_EQ(key.status, KeyStatus::Proven);
    expect_every_altered_byte_invalid(sv::kSmb202Write, [&](Bytes m) {
        return smb2_verify(Smb2SigningAlgorithm::HmacSha256, key.session_key, m).status;
    });
}

TEST(VerifyCapture, Smb202WrongPasswordIsWrongKey) {
    auto key = session_key(sv::kSmb202Challenge, sv::kSmb202Authenticate, "Sign1ng-pass");
    EXPECT_EQ(key.status, KeyStatus::Wrong);
}

// ---- SMB 3.1.1, AES-128-GMAC (smb311-signed-readwrite.pcap) ------------------------------

struct Smb311Session {
    KeyStatus status = KeyStatus::Unsupported;
    Key16 signing_key{};
};

Smb311Session smb311_session(const char *password) {
    PreauthHash h;
    for (Bytes m : {Bytes(sv::kSmb311NegotiateRequest), Bytes(sv::kSmb311NegotiateResponse),
                    Bytes(sv::kSmb311SetupRequest1), Bytes(sv::kSmb311Challenge),
                    Bytes(sv::kSmb311Authenticate)})
        h.update(m);
    Smb311Session s;
    auto key = session_key(sv::kSmb311Challenge, sv::kSmb311Authenticate, password);
    s.status = key.status;
    if (key.status == KeyStatus::Proven && h.ok())
        s.signing_key = smb311_signing_key(key.session_key, h.value()).value();
    return s;
}

TEST(VerifyCapture, Smb311GmacSignaturesAreValid) {
    auto s = smb311_session(kLabPassword);
    ASSERT_EQ(s.status, KeyStatus::Proven);
    for (Bytes m : {Bytes(sv::kSmb311SetupFinal), Bytes(sv::kSmb311TreeConnect),
                    Bytes(sv::kSmb311Write), Bytes(sv::kSmb311WriteResponse)}) {
        EXPECT_EQ(smb2_verify(Smb2SigningAlgorithm::AesGmac, s.signing_key, m).status,
                  SignatureStatus::Valid);
        // Samba negotiated GMAC: the same key with CMAC does not give these signatures.
        EXPECT_EQ(smb2_verify(Smb2SigningAlgorithm::AesCmac, s.signing_key, m).status,
                  SignatureStatus::Invalid);
    }
}

TEST(VerifyCapture, Smb311AlteredByteIsInvalid) {
    auto s = smb311_session(kLabPassword);
    ASSERT_EQ(s.status, KeyStatus::Proven);
    auto verify = [&](Bytes m) {
        return smb2_verify(Smb2SigningAlgorithm::AesGmac, s.signing_key, m).status;
    };
    expect_every_altered_byte_invalid(sv::kSmb311Write, verify);
    expect_every_altered_byte_invalid(sv::kSmb311SetupFinal, verify);
}

TEST(VerifyCapture, Smb311AlteredPreauthMessageGivesAnotherKey) {
    // A byte changed in the NEGOTIATE response (e.g. a downgraded context) changes the
    // preauth hash, hence the key: the final SESSION_SETUP response no longer verifies.
    std::vector<std::uint8_t> negotiate(sv::kSmb311NegotiateResponse.begin(),
                                        sv::kSmb311NegotiateResponse.end());
    negotiate.back() ^= 0x01;
    PreauthHash h;
    for (Bytes m :
         {Bytes(sv::kSmb311NegotiateRequest), Bytes(negotiate), Bytes(sv::kSmb311SetupRequest1),
          Bytes(sv::kSmb311Challenge), Bytes(sv::kSmb311Authenticate)})
        h.update(m);
    auto key = session_key(sv::kSmb311Challenge, sv::kSmb311Authenticate, kLabPassword);
    ASSERT_EQ(key.status, KeyStatus::Proven);
    auto signing_key = smb311_signing_key(key.session_key, h.value());
    ASSERT_TRUE(signing_key);
    EXPECT_EQ(
        smb2_verify(Smb2SigningAlgorithm::AesGmac, *signing_key, sv::kSmb311SetupFinal).status,
        SignatureStatus::Invalid);
}

TEST(VerifyCapture, Smb311WrongPasswordIsWrongKey) {
    EXPECT_EQ(smb311_session("wrong").status, KeyStatus::Wrong);
}

// ---- SMB1, MD5 (smb1-cli-required-srv-required.pcap) ------------------------------------

TEST(VerifyCapture, Smb1SignaturesAreValidWithTheirSequenceNumbers) {
    auto key = session_key(sv::kSmb1Challenge, sv::kSmb1Authenticate, kLabPassword);
    ASSERT_EQ(key.status, KeyStatus::Proven);
    // Extended security: the MAC key is the session key alone. SESSION_SETUP request 0,
    // its response 1, then each request N and its response N+1.
    EXPECT_EQ(smb1_verify(key.session_key, 1, sv::kSmb1SetupFinal).status, SignatureStatus::Valid);
    EXPECT_EQ(smb1_verify(key.session_key, 2, sv::kSmb1TreeConnect).status, SignatureStatus::Valid);
    EXPECT_EQ(smb1_verify(key.session_key, 3, sv::kSmb1TreeConnectResponse).status,
              SignatureStatus::Valid);
    // The wrong sequence number does not verify.
    EXPECT_EQ(smb1_verify(key.session_key, 3, sv::kSmb1TreeConnect).status,
              SignatureStatus::Invalid);
}

TEST(VerifyCapture, Smb1AlteredByteIsInvalid) {
    auto key = session_key(sv::kSmb1Challenge, sv::kSmb1Authenticate, kLabPassword);
    ASSERT_EQ(key.status, KeyStatus::Proven);
    expect_every_altered_byte_invalid(
        sv::kSmb1TreeConnect, [&](Bytes m) { return smb1_verify(key.session_key, 2, m).status; });
}

} // namespace
