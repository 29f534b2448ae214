// Session keys of 16 or 32 bytes (smbsign/verify/session_key.hpp) and the ways an analyst
// gives them (smbsign/verify/secrets.hpp): Wireshark's session-key table row and the
// credentials file's `session-key:` line. The keys here are made up; which part of a key
// each use takes is MS-SMB2 3.2.5.3.1 / 3.3.5.5.3.
#include "smbsign/verify/secrets.hpp"
#include "smbsign/verify/session_key.hpp"

#include "hex.hpp"

#include <gtest/gtest.h>

#include <string>

namespace {

using namespace smbsign;
using namespace smbsign::verify;
using testutil::from_hex;
using testutil::hex_of;

const std::string k16 = "000102030405060708090a0b0c0d0e0f";
const std::string k32 = k16 + "101112131415161718191a1b1c1d1e1f";

TEST(VerifySessionKey, GssKeyShortIsPaddedLongIsKeptWhole) {
    auto short_key = SessionKey::from_gss(from_hex("0102"));
    ASSERT_TRUE(short_key);
    EXPECT_EQ(short_key->size(), 16u);
    EXPECT_EQ(hex_of(short_key->full()), "01020000000000000000000000000000");

    auto aes256 = SessionKey::from_gss(from_hex(k32));
    ASSERT_TRUE(aes256);
    EXPECT_EQ(aes256->size(), 32u);
    EXPECT_EQ(hex_of(aes256->full()), k32);    // FullSessionKey: AES-256 ciphers, SMB1 signing
    EXPECT_EQ(hex_of(aes256->first16()), k16); // Session.SessionKey: SMB2/3 signing

    EXPECT_FALSE(SessionKey::from_gss(from_hex(k32 + "20")));
    EXPECT_FALSE(SessionKey::from_gss({}));
    EXPECT_TRUE(SessionKey().empty());
    EXPECT_EQ(hex_of(SessionKey().first16()), std::string(32, '0'));
}

TEST(VerifySessionKey, CipherKeysAreExactly16Or32Bytes) {
    EXPECT_TRUE(SessionKey::cipher_key(from_hex(k16)));
    EXPECT_TRUE(SessionKey::cipher_key(from_hex(k32)));
    EXPECT_FALSE(SessionKey::cipher_key(from_hex("0102")));
    EXPECT_FALSE(SessionKey::cipher_key(from_hex(k16 + "10")));
}

TEST(VerifySessionKey, KeyFromNtlmIsItsSixteenBytes) {
    Key16 k{};
    k[0] = 0xAA;
    k[15] = 0x55;
    SessionKey s(k);
    EXPECT_EQ(s.size(), 16u);
    EXPECT_EQ(s.first16(), k);
    EXPECT_EQ(s, *SessionKey::from_gss(k));
}

// Wireshark's table: SessionId in wire order; 4.0 takes at most 16 bytes of SessionKey,
// but the Server-to-Client / Client-to-Server columns take 32.
TEST(VerifySessionKey, TableRowWithDirectionKeys) {
    Secrets s;
    EXPECT_TRUE(add_session_key(s, "0100000000a00000", "", k32, k16));
    ASSERT_EQ(s.session_keys.size(), 1u);
    const SessionSecret *e = s.session_secret(0x0000a00000000001);
    ASSERT_NE(e, nullptr);
    EXPECT_TRUE(e->key.empty());
    EXPECT_EQ(s.session_key(0x0000a00000000001), nullptr); // no session key given
    EXPECT_EQ(hex_of(e->server_to_client.full()), k32);
    EXPECT_EQ(hex_of(e->client_to_server.full()), k16);

    EXPECT_TRUE(add_session_key(s, "0200000000a00000", k32));
    const SessionKey *k = s.session_key(0x0000a00000000002);
    ASSERT_NE(k, nullptr);
    EXPECT_EQ(k->size(), 32u);
}

TEST(VerifySessionKey, TableRowsThatCannotBeKeys) {
    Secrets s;
    EXPECT_FALSE(add_session_key(s, "01000000", k16));                 // short id
    EXPECT_FALSE(add_session_key(s, "0100000000000000", ""));          // no key at all
    EXPECT_FALSE(add_session_key(s, "0100000000000000", k32 + "20"));  // 33 bytes
    EXPECT_FALSE(add_session_key(s, "0100000000000000", k16, "0102")); // direction key size
    EXPECT_FALSE(add_session_key(s, "0100000000000000", "zz"));
    EXPECT_TRUE(s.session_keys.empty());
}

// The credentials file's session-key lines, with the SessionId as smb2.sesid shows it.
TEST(VerifySessionKey, CredentialsFileSessionKeyLines) {
    Secrets s;
    const std::string text = "session-key:0x0000a00000000001:" + k32 + "\n" +
                             "session-key:0x2a::" + k32 + ":" + k32 + "\n" +
                             "SMBSIGN\\smbsign:Sign1ng-Pass\n";
    EXPECT_TRUE(parse_credentials(text, s).empty());
    ASSERT_EQ(s.session_keys.size(), 2u);
    ASSERT_NE(s.session_key(0x0000a00000000001), nullptr);
    EXPECT_EQ(hex_of(s.session_key(0x0000a00000000001)->full()), k32);
    const SessionSecret *d = s.session_secret(0x2a);
    ASSERT_NE(d, nullptr);
    EXPECT_TRUE(d->key.empty());
    EXPECT_EQ(d->server_to_client.size(), 32u);
    EXPECT_EQ(s.credentials.size(), 1u);
}

TEST(VerifySessionKey, MalformedSessionKeyLinesAreNamedByNumber) {
    Secrets s;
    const std::string text = "session-key:1234:" + k16 + "\n" +                // no 0x
                             "session-key:0x:" + k16 + "\n" +                  // no digits
                             "session-key:0x12345678901234567:" + k16 + "\n" + // 17 digits
                             "session-key:0x1:" + k16 + ":" + k16 + "\n" +     // 3 fields
                             "session-key:0x1:" + k16 + ":01:" + k16 + "\n" +  // 1-byte key
                             "session-key:0x1:" + k16 + "\n";
    EXPECT_EQ(parse_credentials(text, s), (std::vector<std::size_t>{1, 2, 3, 4, 5}));
    ASSERT_EQ(s.session_keys.size(), 1u);
    EXPECT_TRUE(s.credentials.empty()); // a session-key line is never taken as a password
}

} // namespace
