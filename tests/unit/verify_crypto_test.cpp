// The libgcrypt wrapper (smbsign/verify/crypto.hpp) on published known-answer vectors:
// RFC 4493 AES-CMAC, GMAC from the GCM specification and NIST's GCM test vectors (through
// mac<16>, the Mac handle the SMB2 signers key and restart), and the MD4/MD5/SHA-512/HMAC/RC4
// test vectors of their RFCs.
#include "smbsign/verify/crypto.hpp"

#include "hex.hpp"

#include <gtest/gtest.h>

namespace {

using namespace smbsign::verify;
using testutil::from_hex;
using testutil::hex_of;

TEST(VerifyCrypto, InitSucceedsAndIsIdempotent) {
    EXPECT_TRUE(crypto_init());
    EXPECT_TRUE(crypto_init());
}

// RFC 4493 section 4, Examples 1-4 (AES-128 key 2b7e1516...).
TEST(VerifyCrypto, AesCmacRfc4493) {
    const auto key = from_hex("2b7e151628aed2a6abf7158809cf4f3c");
    const auto m = from_hex("6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51"
                            "30c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710");
    const smbsign::Bytes msg(m);
    struct Case {
        std::size_t len;
        const char *mac;
    };
    for (auto c :
         {Case{0, "bb1d6929e95937287fa37d129b756746"}, Case{16, "070a16b46b4d4144f79bdd9dd04a287c"},
          Case{40, "dfa66747de9ae63030ca32611497c827"},
          Case{64, "51f0bebf7e3b9d92fc49741779363cfe"}}) {
        auto t = mac<16>(GCRY_MAC_CMAC_AES, key, {msg.first(c.len)});
        ASSERT_TRUE(t) << c.len;
        EXPECT_EQ(hex_of(*t), c.mac) << "message length " << c.len;
    }
    // The same MAC when the message comes in pieces (how the signers feed it).
    auto pieces =
        mac<16>(GCRY_MAC_CMAC_AES, key, {msg.first(7), msg.subspan(7, 20), msg.subspan(27, 13)});
    ASSERT_TRUE(pieces);
    EXPECT_EQ(hex_of(*pieces), "dfa66747de9ae63030ca32611497c827");
}

TEST(VerifyCrypto, AesCmacRejectsWrongKeyLength) {
    EXPECT_FALSE(mac<16>(GCRY_MAC_CMAC_AES, from_hex("2b7e151628aed2a6abf7158809cf4f"), {}));
}

// GMAC = GCM with an empty plaintext. The GCM specification (McGrew and Viega, "The
// Galois/Counter Mode of Operation", Test Case 1): zero key, zero IV, nothing to
// authenticate.
TEST(VerifyCrypto, GmacGcmSpecTestCase1) {
    auto t = mac<16>(GCRY_MAC_GMAC_AES, from_hex("00000000000000000000000000000000"), {},
                     from_hex("000000000000000000000000"));
    ASSERT_TRUE(t);
    EXPECT_EQ(hex_of(*t), "58e2fccefa7e3061367f1d57a4e7455a");
}

// NIST CAVP gcmEncryptExtIV128.rsp, [Keylen = 128] [IVlen = 96] [PTlen = 0] [AADlen = 128],
// Count 0 and 1: the AAD alone is authenticated, as in SMB's AES-GMAC signing.
TEST(VerifyCrypto, GmacNistCavpAadOnly) {
    auto t0 = mac<16>(GCRY_MAC_GMAC_AES, from_hex("77be63708971c4e240d1cb79e8d77feb"),
                      {from_hex("7a43ec1d9c0a5a78a0b16533a6213cab")},
                      from_hex("e0e00f19fed7ba0136a797f3"));
    ASSERT_TRUE(t0);
    EXPECT_EQ(hex_of(*t0), "209fcc8d3675ed938e9c7166709dd946");
    auto t1 = mac<16>(GCRY_MAC_GMAC_AES, from_hex("7680c5d3ca6154758e510f4d25b98820"),
                      {from_hex("c94c410194c765e3dcc7964379758ed3")},
                      from_hex("f8f105f9c3df4965780321f8"));
    ASSERT_TRUE(t1);
    EXPECT_EQ(hex_of(*t1), "94dca8edfcf90bb74b153c8d48a17930");
}

// RFC 1320 (MD4) and RFC 1321 (MD5) test suites, "abc".
TEST(VerifyCrypto, Md4Md5Rfc) {
    const auto abc = from_hex("616263");
    EXPECT_EQ(hex_of(*md4({abc})), "a448017aaf21d8525fc10ae87aa6729d");
    EXPECT_EQ(hex_of(*md5({abc})), "900150983cd24fb0d6963f7d28e17f72");
    EXPECT_EQ(hex_of(*md4({})), "31d6cfe0d16ae931b73c59d7e0c089c0");
}

// FIPS 180-2 appendix C.1: SHA-512("abc").
TEST(VerifyCrypto, Sha512Fips180) {
    EXPECT_EQ(hex_of(*sha512({from_hex("616263")})),
              "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
              "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f");
}

// RFC 2202 test case 2 (HMAC-MD5) and RFC 4231 test case 2 (HMAC-SHA256): key "Jefe".
TEST(VerifyCrypto, HmacRfc2202Rfc4231) {
    const auto key = from_hex("4a656665");
    const auto data = from_hex("7768617420646f2079612077616e7420666f72206e6f7468696e673f");
    EXPECT_EQ(hex_of(*hmac_md5(key, {data})), "750c783e6ab0b503eaa86e310a5db738");
    EXPECT_EQ(hex_of(*hmac_sha256(key, {data})),
              "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

// RFC 6229 section 2, 40-bit key 0102030405: the first 16 bytes of keystream (RC4 of zeros).
TEST(VerifyCrypto, Rc4Rfc6229) {
    auto ks = rc4_16(from_hex("0102030405"), from_hex("00000000000000000000000000000000"));
    ASSERT_TRUE(ks);
    EXPECT_EQ(hex_of(*ks), "b2396305f03dc027ccc3524a0a1118a8");
}

TEST(VerifyCrypto, SameBytes) {
    const auto a = from_hex("0102");
    const auto b = from_hex("0103");
    EXPECT_TRUE(same_bytes(a, a));
    EXPECT_FALSE(same_bytes(a, b));
    EXPECT_FALSE(same_bytes(a, from_hex("01")));
}

} // namespace
