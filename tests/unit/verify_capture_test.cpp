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
    auto ch = find_ntlmssp(challenge_msg, ntlm::kMessageChallenge);
    auto au = find_ntlmssp(authenticate_msg, ntlm::kMessageAuthenticate);
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

// The signed message of the given frame in a list of make_signed_vectors.py.
template <std::size_t N> Bytes frame(const std::array<sv::SignedMessage, N> &list, int number) {
    for (const auto &m : list)
        if (m.frame == number)
            return m.bytes;
    ADD_FAILURE() << "no signed message in frame " << number;
    return {};
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
                  i < kProtocolIdSize ? MacMatch::Unusable : MacMatch::Mismatch)
            << "altered byte " << i;
        copy[i] ^= 0x01;
    }
    EXPECT_EQ(verify(Bytes(copy)), MacMatch::Match);
}

// ---- SMB 2.0.2, HMAC-SHA256 (smb2-signed-readwrite.pcap) -------------------------------

TEST(VerifyCapture, Smb202EverySignedMessageIsValid) {
    auto key = session_key(sv::kSmb202Challenge, sv::kSmb202Authenticate, kLabPassword);
    ASSERT_EQ(key.status, NtlmProof::Proven);
    ASSERT_EQ(sv::kSmb202Signed.size(), 41u); // final SESSION_SETUP response to LOGOFF
    // One signer for the whole session, as the tracker will keep it.
    Smb2Signer signer(smb2::SigningAlgorithm::HmacSha256, key.session_key);
    for (const auto &m : sv::kSmb202Signed)
        EXPECT_EQ(signer.verify(m.bytes).status, MacMatch::Match) << "frame " << m.frame;
}

TEST(VerifyCapture, Smb202AlteredByteIsInvalid) {
    auto key = session_key(sv::kSmb202Challenge, sv::kSmb202Authenticate, kLabPassword);
    ASSERT_EQ(key.status, NtlmProof::Proven);
    expect_every_altered_byte_invalid(frame(sv::kSmb202Signed, 18), [&](Bytes m) { // WRITE
        return Smb2Signer(smb2::SigningAlgorithm::HmacSha256, key.session_key).verify(m).status;
    });
}

TEST(VerifyCapture, Smb202WrongPasswordIsWrongKey) {
    auto key = session_key(sv::kSmb202Challenge, sv::kSmb202Authenticate, "Sign1ng-pass");
    EXPECT_EQ(key.status, NtlmProof::Refuted);
}

// ---- SMB 3.1.1, AES-128-GMAC (smb311-signed-readwrite.pcap) ------------------------------

struct Smb311Session {
    NtlmProof status = NtlmProof::NotNtlmv2;
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
    if (key.status == NtlmProof::Proven && h.ok())
        s.signing_key = smb311_signing_key(key.session_key, h.value()).value();
    return s;
}

TEST(VerifyCapture, Smb311EverySignedMessageIsValidWithGmac) {
    auto s = smb311_session(kLabPassword);
    ASSERT_EQ(s.status, NtlmProof::Proven);
    ASSERT_EQ(sv::kSmb311Signed.size(), 39u); // final SESSION_SETUP response to LOGOFF
    Smb2Signer gmac(smb2::SigningAlgorithm::AesGmac, s.signing_key);
    Smb2Signer cmac(smb2::SigningAlgorithm::AesCmac, s.signing_key);
    for (const auto &m : sv::kSmb311Signed) {
        EXPECT_EQ(gmac.verify(m.bytes).status, MacMatch::Match) << "frame " << m.frame;
        // Samba negotiated GMAC: the same key with CMAC does not give these signatures.
        EXPECT_EQ(cmac.verify(m.bytes).status, MacMatch::Mismatch) << "frame " << m.frame;
    }
}

TEST(VerifyCapture, Smb311AlteredByteIsInvalid) {
    auto s = smb311_session(kLabPassword);
    ASSERT_EQ(s.status, NtlmProof::Proven);
    auto verify = [&](Bytes m) {
        return Smb2Signer(smb2::SigningAlgorithm::AesGmac, s.signing_key).verify(m).status;
    };
    expect_every_altered_byte_invalid(frame(sv::kSmb311Signed, 11), verify); // SESSION_SETUP
    expect_every_altered_byte_invalid(frame(sv::kSmb311Signed, 16), verify); // WRITE request
    expect_every_altered_byte_invalid(frame(sv::kSmb311Signed, 17), verify); // WRITE response
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
    ASSERT_EQ(key.status, NtlmProof::Proven);
    auto signing_key = smb311_signing_key(key.session_key, h.value());
    ASSERT_TRUE(signing_key);
    EXPECT_EQ(Smb2Signer(smb2::SigningAlgorithm::AesGmac, *signing_key)
                  .verify(frame(sv::kSmb311Signed, 11))
                  .status,
              MacMatch::Mismatch);
}

TEST(VerifyCapture, Smb311WrongPasswordIsWrongKey) {
    EXPECT_EQ(smb311_session("wrong").status, NtlmProof::Refuted);
}

// ---- SMB1, MD5 (smb1-cli-required-srv-required.pcap) ------------------------------------

TEST(VerifyCapture, Smb1EveryMessageIsValidWithItsSequenceNumber) {
    auto key = session_key(sv::kSmb1Challenge, sv::kSmb1Authenticate, kLabPassword);
    ASSERT_EQ(key.status, NtlmProof::Proven);
    // Extended security: the MAC key is the session key alone.
    ASSERT_EQ(sv::kSmb1Signed.size(), 17u); // final SESSION_SETUP_ANDX response to LOGOFF
    for (const auto &m : sv::kSmb1Signed) {
        EXPECT_EQ(smb1_verify(key.session_key, m.smb1_sequence, m.bytes).status, MacMatch::Match)
            << "frame " << m.frame;
        // The next sequence number does not verify.
        EXPECT_EQ(smb1_verify(key.session_key, m.smb1_sequence + 1, m.bytes).status,
                  MacMatch::Mismatch)
            << "frame " << m.frame;
    }
}

TEST(VerifyCapture, Smb1AlteredByteIsInvalid) {
    auto key = session_key(sv::kSmb1Challenge, sv::kSmb1Authenticate, kLabPassword);
    ASSERT_EQ(key.status, NtlmProof::Proven);
    expect_every_altered_byte_invalid(frame(sv::kSmb1Signed, 12), [&](Bytes m) { // TREE_CONNECT
        return smb1_verify(key.session_key, 2, m).status;
    });
}

} // namespace
