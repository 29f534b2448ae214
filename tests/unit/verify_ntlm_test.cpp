// NTLMv2 key derivation (smbsign/verify/ntlm.hpp) on the example of MS-NLMP 4.2.4 (NTLMv2
// Authentication): user "User", domain "Domain", password "Password", server challenge
// 0123456789abcdef, client challenge aaaaaaaaaaaaaaaa, time 0, RandomSessionKey 55..55,
// and the AUTHENTICATE_MESSAGE of 4.2.4.3 byte for byte.
#include "smbsign/verify/ntlm.hpp"

#include "hex.hpp"

#include <gtest/gtest.h>

#include <string>

namespace {

using namespace smbsign;
using namespace smbsign::verify;
using testutil::from_hex;
using testutil::hex_of;

// MS-NLMP 4.2.4.3, AUTHENTICATE_MESSAGE (NegotiateFlags 0xe2888235: KEY_EXCH, UNICODE).
const std::string kNlmpAuthenticateHex = "4e544c4d535350000300000018001800"
                                         "6c00000054005400840000000c000c00"
                                         "48000000080008005400000010001000"
                                         "5c00000010001000d8000000358288e2"
                                         "0501280a0000000f44006f006d006100"
                                         "69006e00550073006500720043004f00"
                                         "4d005000550054004500520086c35097"
                                         "ac9cec102554764a57cccc19aaaaaaaa"
                                         "aaaaaaaa68cd0ab851e51c96aabc927b"
                                         "ebef6a1c010100000000000000000000"
                                         "00000000aaaaaaaaaaaaaaaa00000000"
                                         "02000c0044006f006d00610069006e00"
                                         "01000c00530065007200760065007200"
                                         "0000000000000000c5dad2544fc97990"
                                         "94ce1ce90bc9d03e";

NtlmChallenge nlmp_challenge() {
    NtlmChallenge c;
    const auto sc = from_hex("0123456789abcdef");
    std::copy(sc.begin(), sc.end(), c.server_challenge.begin());
    return c;
}

// MS-NLMP 4.2.2.1.2 (NTOWFv1 of "Password") and 4.2.4.1.1 (NTOWFv2).
TEST(VerifyNtlm, NtHashAndNtowfv2MsNlmp) {
    auto nt = nt_hash_from_password("Password");
    ASSERT_TRUE(nt);
    EXPECT_EQ(hex_of(*nt), "a4f49c406510bdcab6824ee7c30fd852");
    const auto user = from_hex("5500730065007200");           // "User" UTF-16LE
    const auto domain = from_hex("44006f006d00610069006e00"); // "Domain"
    auto owf = ntowfv2(*nt, user, domain, true);
    ASSERT_TRUE(owf);
    EXPECT_EQ(hex_of(*owf), "0c868a403bfd7a93a3001ef22ef02e3f");
    // The user name is upper-cased, the domain is not.
    const auto lower_user = from_hex("7500730065007200"); // "user"
    EXPECT_EQ(hex_of(*ntowfv2(*nt, lower_user, domain, true)), hex_of(*owf));
    const auto lower_domain = from_hex("64006f006d00610069006e00"); // "domain"
    EXPECT_NE(hex_of(*ntowfv2(*nt, lower_user, lower_domain, true)), hex_of(*owf));
    // OEM names (no NTLMSSP_NEGOTIATE_UNICODE) give the same key for ASCII.
    EXPECT_EQ(hex_of(*ntowfv2(*nt, from_hex("75736572"), from_hex("446f6d61696e"), false)),
              hex_of(*owf));
}

TEST(VerifyNtlm, ParsesTheMsNlmpAuthenticateMessage) {
    const auto msg = from_hex(kNlmpAuthenticateHex);
    NtlmAuthenticate a;
    ASSERT_EQ(parse_ntlm_authenticate(msg, a), ParseError::None);
    EXPECT_EQ(a.flags, 0xe2888235u);
    EXPECT_EQ(hex_of(a.user), "5500730065007200");
    EXPECT_EQ(hex_of(a.domain), "44006f006d00610069006e00");
    EXPECT_EQ(a.nt_response.size(), 84u);
    EXPECT_EQ(hex_of(a.nt_response.first(16)), "68cd0ab851e51c96aabc927bebef6a1c");
    EXPECT_EQ(hex_of(a.encrypted_session_key), "c5dad2544fc9799094ce1ce90bc9d03e");
}

// MS-NLMP 4.2.4.2.2 (NTProofStr 68cd0ab8...), 4.2.4.1.2 (SessionBaseKey 8de40cca...),
// 4.2.4.2.3 (EncryptedSessionKey c5dad254... = RC4 of RandomSessionKey 55..55).
TEST(VerifyNtlm, MsNlmpExampleIsProvenAndUnwrapsTheRandomSessionKey) {
    const auto msg = from_hex(kNlmpAuthenticateHex);
    NtlmAuthenticate a;
    ASSERT_EQ(parse_ntlm_authenticate(msg, a), ParseError::None);
    auto r = ntlmv2_session_key(*nt_hash_from_password("Password"), nlmp_challenge(), a);
    EXPECT_EQ(r.status, NtlmProof::Proven);
    EXPECT_EQ(hex_of(r.session_key), "55555555555555555555555555555555");

    // Without KEY_EXCH, the session key is the KeyExchangeKey = SessionBaseKey (NTLMv2).
    a.flags &= ~ntlm::kFlagKeyExchange;
    r = ntlmv2_session_key(*nt_hash_from_password("Password"), nlmp_challenge(), a);
    EXPECT_EQ(r.status, NtlmProof::Proven);
    EXPECT_EQ(hex_of(r.session_key), "8de40ccadbc14a82f15cb0ad0de95ca3");
}

TEST(VerifyNtlm, WrongPasswordOrChallengeIsWrong) {
    const auto msg = from_hex(kNlmpAuthenticateHex);
    NtlmAuthenticate a;
    ASSERT_EQ(parse_ntlm_authenticate(msg, a), ParseError::None);
    auto r = ntlmv2_session_key(*nt_hash_from_password("password"), nlmp_challenge(), a);
    EXPECT_EQ(r.status, NtlmProof::Refuted);
    EXPECT_EQ(hex_of(r.session_key), std::string(32, '0')); // no key handed out
    NtlmChallenge other = nlmp_challenge();
    other.server_challenge[7] ^= 1;
    EXPECT_EQ(ntlmv2_session_key(*nt_hash_from_password("Password"), other, a).status,
              NtlmProof::Refuted);
}

TEST(VerifyNtlm, NtlmV1AndAnonymousAreUnsupported) {
    NtlmAuthenticate a;
    const auto v1 = from_hex("000102030405060708090a0b0c0d0e0f1011121314151617"); // 24 bytes
    a.nt_response = v1;
    EXPECT_EQ(ntlmv2_session_key(*nt_hash_from_password("x"), nlmp_challenge(), a).status,
              NtlmProof::NotNtlmv2);
    a.nt_response = {};
    EXPECT_EQ(ntlmv2_session_key(*nt_hash_from_password("x"), nlmp_challenge(), a).status,
              NtlmProof::NotNtlmv2);
}

TEST(VerifyNtlm, KeyExchangeWithoutAKeyIsUnsupported) {
    const auto msg = from_hex(kNlmpAuthenticateHex);
    NtlmAuthenticate a;
    ASSERT_EQ(parse_ntlm_authenticate(msg, a), ParseError::None);
    a.encrypted_session_key = {};
    EXPECT_EQ(ntlmv2_session_key(*nt_hash_from_password("Password"), nlmp_challenge(), a).status,
              NtlmProof::NotNtlmv2);
}

// Boundaries: every prefix of the message is either Truncated (fixed part cut) or
// Malformed (a payload field runs past the end); the whole message parses.
TEST(VerifyNtlm, AuthenticateBoundaries) {
    const auto msg = from_hex(kNlmpAuthenticateHex);
    for (std::size_t n = 0; n < msg.size(); ++n) {
        NtlmAuthenticate a;
        ParseError e = parse_ntlm_authenticate(Bytes(msg).first(n), a);
        EXPECT_NE(e, ParseError::None) << "prefix of " << n << " bytes";
    }
    NtlmAuthenticate a;
    EXPECT_EQ(parse_ntlm_authenticate(Bytes(msg).first(12), a), ParseError::Truncated);
    auto bad = msg;
    bad[8] = 2; // a CHALLENGE, not an AUTHENTICATE
    EXPECT_EQ(parse_ntlm_authenticate(bad, a), ParseError::Malformed);
    bad = msg;
    bad[24] = 0xFF; // NtChallengeResponse offset past the end
    EXPECT_EQ(parse_ntlm_authenticate(bad, a), ParseError::Malformed);
}

TEST(VerifyNtlm, ChallengeParseAndBoundaries) {
    // A CHALLENGE_MESSAGE cut after ServerChallenge (what the parser reads), built for the
    // test with the server challenge of MS-NLMP 4.2.4.
    const auto msg = from_hex("4e544c4d53535000020000000c000c003800000033828ae20123456789abcdef");
    NtlmChallenge c;
    ASSERT_EQ(parse_ntlm_challenge(msg, c), ParseError::None);
    EXPECT_EQ(c.flags, 0xe28a8233u);
    EXPECT_EQ(hex_of(c.server_challenge), "0123456789abcdef");
    EXPECT_EQ(parse_ntlm_challenge(Bytes(msg).first(31), c), ParseError::Truncated);
}

TEST(VerifyNtlm, FindsNtlmsspInsideSpnego) {
    auto blob = from_hex("a18201cb308201c7a0030a0101a28201aa048201a6");
    const auto msg = from_hex(kNlmpAuthenticateHex);
    blob.insert(blob.end(), msg.begin(), msg.end());
    auto found = find_ntlmssp(blob, ntlm::kMessageAuthenticate);
    ASSERT_TRUE(found);
    EXPECT_EQ(found->size(), msg.size());
    EXPECT_FALSE(find_ntlmssp(blob, ntlm::kMessageChallenge));
    EXPECT_FALSE(find_ntlmssp(Bytes(msg).first(10), ntlm::kMessageAuthenticate));
}

TEST(VerifyNtlm, PasswordUtf8) {
    // Non-ASCII passwords are hashed as UTF-16LE: "é" (U+00E9) and "€" (U+20AC), and
    // U+1F600 as a surrogate pair: MD4 of the hand-encoded UTF-16LE must agree.
    EXPECT_EQ(hex_of(*nt_hash_from_password("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80")),
              hex_of(*md4({from_hex("e900ac203dd800de")})));
    EXPECT_FALSE(nt_hash_from_password("\xc3"));         // cut sequence
    EXPECT_FALSE(nt_hash_from_password("\xc0\xaf"));     // overlong
    EXPECT_FALSE(nt_hash_from_password("\xed\xa0\x80")); // encoded surrogate
    EXPECT_FALSE(nt_hash_from_password("\xff"));
    EXPECT_TRUE(nt_hash_from_password(""));
}

TEST(VerifyNtlm, UserNameUpcase) {
    using detail::upcase_utf16;
    EXPECT_EQ(upcase_utf16('a'), 'A');
    EXPECT_EQ(upcase_utf16('Z'), 'Z');
    EXPECT_EQ(upcase_utf16(0x00E9), 0x00C9); // é
    EXPECT_EQ(upcase_utf16(0x00F7), 0x00F7); // division sign
    EXPECT_EQ(upcase_utf16(0x0101), 0x0100); // ā
    EXPECT_EQ(upcase_utf16(0x013A), 0x0139); // ĺ
    EXPECT_EQ(upcase_utf16(0x03B1), 0x0391); // α
    EXPECT_EQ(upcase_utf16(0x0436), 0x0416); // ж
    EXPECT_EQ(upcase_utf16(0x0451), 0x0401); // ё
}

} // namespace
