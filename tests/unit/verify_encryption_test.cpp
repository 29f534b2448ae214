// SMB3 encryption through the tracker and alone (smbsign/verify/smb2_encryption.hpp): the
// integrity of encrypted sessions, the TRANSFORM_HEADER parser, the cipher keys, the tag
// check and decryption. Real bytes come from the lab's samples (samples/README.md: user
// smbsign, password Sign1ng-Pass), each test naming the sample.
#include "smbsign/tracker.hpp"
#include "smbsign/verify/verifier.hpp"

#include "hex.hpp"
#include "pcap_reader.hpp"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

namespace {

using namespace smbsign;
using namespace smbsign::verify;

constexpr const char *kLabPassword = "Sign1ng-Pass"; // samples/README.md

struct Fed {
    std::vector<SessionView> sessions;
    std::map<std::uint32_t, FrameEntry> frames; // frames with a check
    std::map<std::uint32_t, Code> encrypted;    // frames with a tag check
};

Fed feed(const pcap_reader::Capture &cap, Hook &hook) {
    Tracker tracker;
    tracker.set_verifier(&hook);
    Fed r;
    for (const auto &m : cap.messages) {
        tracker.on_pdu(m.conn, m.side, m.frame, Bytes(cap.bytes).subspan(m.offset, m.size), m.size);
        for (const FrameEntry &e : tracker.frame_entries(m.frame))
            if (status_of(e.signature) != Status::None)
                r.frames[m.frame] = e;
        for (const FrameEntry &e : tracker.frame_entries(m.frame))
            if (status_of(e.encryption) != Status::None)
                r.encrypted[m.frame] = e.encryption;
    }
    for (std::uint32_t i = 0; i < tracker.session_count(); ++i)
        r.sessions.push_back(tracker.view(i));
    return r;
}

pcap_reader::Capture sample(const std::string &name) {
    auto cap = pcap_reader::read(std::string(SMBSIGN_SAMPLES_DIR) + "/" + name);
    EXPECT_FALSE(cap.messages.empty()) << name;
    return cap;
}

Secrets lab_password() {
    Secrets s;
    EXPECT_TRUE(s.add_password(kLabPassword));
    return s;
}

const SessionView *encrypted_session(const Fed &r) {
    for (const auto &v : r.sessions)
        if (v.verdict == Verdict::Encrypted)
            return &v;
    ADD_FAILURE() << "no encrypted session";
    return nullptr;
}

// A verifier that checks signatures but never opens an encrypted message (as smbsign did
// before it decrypted): what a session's integrity says when its encrypted traffic went
// unchecked.
class SignaturesOnly final : public Hook {
public:
    explicit SignaturesOnly(Secrets s) : v_(std::move(s)) {}
    Code smb2(const MessageContext &c, const Smb2Message &m) noexcept override {
        return v_.smb2(c, m);
    }
    Code smb1(const MessageContext &c, const Smb1Message &m) noexcept override {
        return v_.smb1(c, m);
    }
    [[nodiscard]] SessionSummary summary(std::uint32_t s) const noexcept override {
        return v_.summary(s);
    }
    void clear() noexcept override { v_.clear(); }

private:
    Verifier v_;
};

// smb311-encrypted.pcap: the signed SESSION_SETUP response verifies, the 42 encrypted
// messages after it are not checked: the session is unverified, never verified.
TEST(VerifyEncryption, UncheckedEncryptedTrafficIsNeverVerified) {
    auto cap = sample("smb311-encrypted.pcap");
    SignaturesOnly hook(lab_password());
    Fed r = feed(cap, hook);
    const SessionView *v = encrypted_session(r);
    ASSERT_NE(v, nullptr);
    EXPECT_GT(v->signatures.valid, 0u);
    EXPECT_EQ(v->signatures.invalid, 0u);
    EXPECT_EQ(v->counted_encrypted, 42u);
    EXPECT_EQ(v->integrity, Integrity::Unverified);
}

} // namespace

namespace {

// smb311-encrypted.pcap (AES-128-GCM, Samba 4.17 both ends): with the lab password every
// one of the 42 encrypted messages has a valid tag, and the session is verified.
TEST(VerifyEncryption, Smb311GcmEveryEncryptedMessageValid) {
    auto cap = sample("smb311-encrypted.pcap");
    Verifier verifier(lab_password());
    Fed r = feed(cap, verifier);
    const SessionView *v = encrypted_session(r);
    ASSERT_NE(v, nullptr);
    EXPECT_EQ(v->cipher, smb2::Cipher::Aes128Gcm);
    EXPECT_EQ(v->counted_encrypted, 42u);
    EXPECT_EQ(v->signatures.encrypted_valid, 42u);
    EXPECT_EQ(v->signatures.encrypted_invalid, 0u);
    EXPECT_EQ(v->signatures.encrypted_unverifiable, 0u);
    EXPECT_EQ(v->integrity, Integrity::Verified);
}

} // namespace

namespace {

bool is_transform(const pcap_reader::Capture &cap, const pcap_reader::Message &m) {
    return m.size > smb2::kTransformHeaderSize &&
           smb2::starts_with(Bytes(cap.bytes).subspan(m.offset, m.size),
                             smb2::kTransformProtocolId);
}

// smb311-encrypted.pcap: one bit of the ciphertext flipped in the 5th encrypted message,
// and one bit of the Nonce's last byte (unused by GCM's 12-byte nonce, but authenticated
// data) in the 9th: exactly those two frames are invalid, every other one valid, and the
// session invalid. Neither altered message is fed to the tracker.
TEST(VerifyEncryption, AlteredCiphertextOrHeaderIsInvalidInExactlyItsFrame) {
    auto cap = sample("smb311-encrypted.pcap");
    std::vector<std::uint32_t> transforms;
    for (const auto &m : cap.messages)
        if (is_transform(cap, m))
            transforms.push_back(m.frame);
    ASSERT_GE(transforms.size(), 10u);
    const std::uint32_t body = transforms[4], nonce = transforms[8];
    for (const auto &m : cap.messages) {
        if (m.frame == body)
            cap.bytes[m.offset + smb2::kTransformHeaderSize + 7] ^= 0x01;
        if (m.frame == nonce)
            cap.bytes[m.offset + smb2::transform::kNonceOffset + 15] ^= 0x80;
    }
    Verifier verifier(lab_password());
    Fed r = feed(cap, verifier);
    for (std::uint32_t f : transforms) {
        const Status want = (f == body || f == nonce) ? Status::Invalid : Status::Valid;
        ASSERT_TRUE(r.encrypted.count(f)) << "frame " << f;
        EXPECT_EQ(status_of(r.encrypted[f]), want) << "frame " << f;
    }
    const SessionView *v = encrypted_session(r);
    ASSERT_NE(v, nullptr);
    EXPECT_EQ(v->signatures.encrypted_invalid, 2u);
    EXPECT_EQ(v->integrity, Integrity::Invalid);
}

// The session key from the session-key table instead of the password: the same result;
// a wrong key is named wrong and calls nothing invalid.
TEST(VerifyEncryption, SessionKeyTableOpensTheSession) {
    auto cap = sample("smb311-encrypted.pcap");
    Verifier by_password(lab_password());
    Fed first = feed(cap, by_password);
    const SessionView *v = encrypted_session(first);
    ASSERT_NE(v, nullptr);
    // The key the NTLM exchange gives (the verifier keeps it; the test derives it anew).
    std::optional<NtlmChallenge> ch;
    std::optional<Key16> key;
    for (const auto &m : cap.messages) {
        Bytes msg = Bytes(cap.bytes).subspan(m.offset, m.size);
        if (auto c = find_ntlmssp(msg, ntlm::kMessageChallenge)) {
            NtlmChallenge nc;
            if (parse_ntlm_challenge(*c, nc) == ParseError::None)
                ch = nc;
        }
        if (auto a = find_ntlmssp(msg, ntlm::kMessageAuthenticate); a && ch) {
            NtlmAuthenticate au;
            ASSERT_EQ(parse_ntlm_authenticate(*a, au), ParseError::None);
            auto k = ntlmv2_session_key(*nt_hash_from_password(kLabPassword), *ch, au);
            ASSERT_EQ(k.status, NtlmProof::Proven);
            key = k.session_key;
        }
    }
    ASSERT_TRUE(key);
    Secrets table;
    table.session_keys.push_back({v->id, SessionKey(*key), {}, {}});
    Verifier by_key(table);
    Fed r = feed(cap, by_key);
    const SessionView *k = encrypted_session(r);
    ASSERT_NE(k, nullptr);
    EXPECT_EQ(k->signatures.encrypted_valid, 42u);
    EXPECT_EQ(k->integrity, Integrity::Verified);

    (*key)[0] ^= 1;
    Secrets wrong;
    wrong.session_keys.push_back({v->id, SessionKey(*key), {}, {}});
    Verifier by_wrong(wrong);
    Fed w = feed(cap, by_wrong);
    const SessionView *x = encrypted_session(w);
    ASSERT_NE(x, nullptr);
    EXPECT_EQ(x->signatures.encrypted_invalid, 0u);
    EXPECT_EQ(x->signatures.invalid, 0u);
    EXPECT_EQ(x->signatures.key_state, KeyState::Wrong);
    EXPECT_EQ(x->integrity, Integrity::Unverified);
}

// [enc30] / [anatomy] (verify_smb2_keys_test.cpp): the 3.0 cipher keys of MS-SMB2 3.2.5.3.1
// from Microsoft's published SessionKeys.
TEST(VerifyEncryption, Smb30CipherKeysFromPublishedVectors) {
    auto sk = SessionKey::from_gss(testutil::from_hex("7CD451825D0450D235424E44BA6E78CC"));
    ASSERT_TRUE(sk);
    auto keys = smb3_cipher_keys(Dialect::Smb300, smb2::Cipher::Aes128Ccm, *sk, nullptr);
    ASSERT_TRUE(keys);
    EXPECT_EQ(testutil::hex_of(keys->client_to_server.full()), "fad27796665b313ebb578f388632b4f7");
    EXPECT_EQ(testutil::hex_of(keys->server_to_client.full()), "b0f0427f7ceb416d1d9dcc0cd4f99447");
    auto enc30 = SessionKey::from_gss(testutil::from_hex("B4546771B515F766A86735532DD6C4F0"));
    ASSERT_TRUE(enc30);
    keys = smb3_cipher_keys(Dialect::Smb302, smb2::Cipher::None, *enc30, nullptr);
    ASSERT_TRUE(keys);
    EXPECT_EQ(testutil::hex_of(keys->client_to_server.full()), "261b72350558f2e9dcf613070383edbf");
    // 2.x has no encryption; 3.1.1 needs the preauth hash.
    EXPECT_FALSE(smb3_cipher_keys(Dialect::Smb210, smb2::Cipher::Aes128Ccm, *sk, nullptr));
    EXPECT_FALSE(smb3_cipher_keys(Dialect::Smb311, smb2::Cipher::Aes128Gcm, *sk, nullptr));
}

// AES-256 ciphers derive 32-byte keys from the whole session key with L = 256; the 128-bit
// ciphers from its first 16 bytes with L = 128 (MS-SMB2 3.2.5.3.1). Checked here as
// properties (a 256-bit key's first half is not the 128-bit key; a 32-byte session key's
// second half changes only the 256-bit keys); the values are checked end to end on the
// AES-256 samples.
TEST(VerifyEncryption, Aes256KeysUseTheWholeSessionKey) {
    Digest64 h{};
    h[0] = 1;
    std::array<std::uint8_t, 32> whole{};
    for (std::size_t i = 0; i < whole.size(); ++i)
        whole[i] = static_cast<std::uint8_t>(i);
    auto k32 = *SessionKey::from_gss(whole);
    whole[31] ^= 0xFF;
    auto k32b = *SessionKey::from_gss(whole);
    auto a128 = smb3_cipher_keys(Dialect::Smb311, smb2::Cipher::Aes128Gcm, k32, &h);
    auto b128 = smb3_cipher_keys(Dialect::Smb311, smb2::Cipher::Aes128Gcm, k32b, &h);
    auto a256 = smb3_cipher_keys(Dialect::Smb311, smb2::Cipher::Aes256Gcm, k32, &h);
    auto b256 = smb3_cipher_keys(Dialect::Smb311, smb2::Cipher::Aes256Ccm, k32b, &h);
    ASSERT_TRUE(a128 && b128 && a256 && b256);
    EXPECT_EQ(a128->client_to_server.size(), 16u);
    EXPECT_EQ(a256->client_to_server.size(), 32u);
    EXPECT_EQ(a128->client_to_server, b128->client_to_server);
    EXPECT_FALSE(a256->client_to_server == b256->client_to_server);
    EXPECT_FALSE(a128->client_to_server == a128->server_to_client);
}

} // namespace

namespace {

// The lab's encrypted samples (samples/generate, encrypted_cells; Samba 4.17 smbd and
// smbclient --client-protection=encrypt), one per cipher: a tag that checks with a key
// derived here from the lab password is the known answer, since no other key or cipher
// would make any of them match.
struct CipherSample {
    const char *file;
    Dialect dialect;
    smb2::Cipher cipher; // the negotiated one (3.0: none negotiated, AES-128-CCM used)
    std::uint32_t encrypted;
};

class EncryptedSample : public ::testing::TestWithParam<CipherSample> {};

TEST_P(EncryptedSample, EveryEncryptedMessageValidAndFedToTheTracker) {
    const CipherSample &c = GetParam();
    auto cap = sample(c.file);
    Verifier verifier(lab_password());
    Fed r = feed(cap, verifier);
    const SessionView *v = encrypted_session(r);
    ASSERT_NE(v, nullptr);
    EXPECT_EQ(v->dialect, c.dialect);
    EXPECT_EQ(v->cipher, c.cipher);
    EXPECT_EQ(v->counted_encrypted, c.encrypted);
    EXPECT_EQ(v->signatures.encrypted_valid, c.encrypted);
    EXPECT_EQ(v->integrity, Integrity::Verified);
    EXPECT_EQ(v->verdict, Verdict::Encrypted); // decrypted messages count as encrypted
    EXPECT_EQ(v->counted, c.encrypted);
    EXPECT_EQ(v->observed, Observed::Established);
}

INSTANTIATE_TEST_SUITE_P(
    Lab, EncryptedSample,
    ::testing::Values(CipherSample{"smb30-encrypted-aes128ccm.pcap", Dialect::Smb300,
                                   smb2::Cipher::None, 46},
                      CipherSample{"smb311-encrypted-aes128ccm.pcap", Dialect::Smb311,
                                   smb2::Cipher::Aes128Ccm, 44},
                      CipherSample{"smb311-encrypted-aes128gcm.pcap", Dialect::Smb311,
                                   smb2::Cipher::Aes128Gcm, 44},
                      CipherSample{"smb311-encrypted-aes256ccm.pcap", Dialect::Smb311,
                                   smb2::Cipher::Aes256Ccm, 44},
                      CipherSample{"smb311-encrypted-aes256gcm.pcap", Dialect::Smb311,
                                   smb2::Cipher::Aes256Gcm, 44}));

// smb311-encrypted-denied.pcap: an encrypted session whose TREE_CONNECT to [closed] is
// denied inside encrypted messages. With the key, the decrypted denial decides the outcome;
// without it nothing inside can be seen.
TEST(VerifyEncryption, DenialInsideEncryptedMessagesDecidesTheOutcome) {
    auto cap = sample("smb311-encrypted-denied.pcap");
    Verifier verifier(lab_password());
    Fed r = feed(cap, verifier);
    const SessionView *v = encrypted_session(r);
    ASSERT_NE(v, nullptr);
    EXPECT_EQ(v->observed, Observed::DeniedAtTreeConnect);
    EXPECT_EQ(v->verdict, Verdict::Encrypted);
    EXPECT_EQ(v->integrity, Integrity::Verified);

    Tracker blind;
    for (const auto &m : cap.messages)
        blind.on_pdu(m.conn, m.side, m.frame, Bytes(cap.bytes).subspan(m.offset, m.size), m.size);
    ASSERT_EQ(blind.session_count(), 1u);
    EXPECT_NE(blind.view(0).observed, Observed::DeniedAtTreeConnect);
    EXPECT_EQ(blind.view(0).integrity, Integrity::Unverified);
}

// Direction keys given instead of the session key (the table's Server-to-Client and
// Client-to-Server columns) take precedence over the password; 32-byte keys that are not
// the session's open no message of the AES-256-GCM sample and call none invalid: the key
// is named wrong.
TEST(VerifyEncryption, WrongDirectionKeysOpenNothing) {
    auto cap = sample("smb311-encrypted-aes256gcm.pcap");
    Verifier by_password(lab_password());
    Fed first = feed(cap, by_password);
    const SessionView *v = encrypted_session(first);
    ASSERT_NE(v, nullptr);
    Secrets swapped = lab_password();
    std::array<std::uint8_t, 32> k1{}, k2{};
    k1.fill(0x11);
    k2.fill(0x22);
    swapped.session_keys.push_back(
        {v->id, {}, *SessionKey::cipher_key(k1), *SessionKey::cipher_key(k2)});
    Verifier by_keys(swapped);
    Fed r = feed(cap, by_keys);
    const SessionView *x = encrypted_session(r);
    ASSERT_NE(x, nullptr);
    EXPECT_EQ(x->signatures.encrypted_valid, 0u);
    EXPECT_EQ(x->signatures.encrypted_invalid, 0u);
    EXPECT_EQ(x->signatures.encrypted_unverifiable, 44u);
    for (const auto &[frame, code] : r.encrypted)
        EXPECT_EQ(reason_of(code), Reason::KeyWrong) << "frame " << frame;
    EXPECT_EQ(x->signatures.key_state, KeyState::Proven); // the password's key still signs
    EXPECT_EQ(x->integrity, Integrity::Unverified);
}

} // namespace

namespace {

// An SMB 3.1.1 COMPRESSION_TRANSFORM (MS-SMB2 2.2.42, unchained: ProtocolId FC 'SMB',
// OriginalCompressedSegmentSize, CompressionAlgorithm LZ77 = 0x0002, Flags 0, Offset 0)
// appended after smb311-signed-readwrite.pcap's last message on its connection: the lab
// has no compressing peer (Samba 4.17 does not compress), so the message is made here. It
// is the connection's only session's, unverifiable (compressed), and the session is no
// longer verified.
TEST(VerifyEncryption, CompressedMessageIsUnverifiableAndNeverVerified) {
    auto cap = sample("smb311-signed-readwrite.pcap");
    const std::vector<std::uint8_t> compressed = {0xFC, 'S', 'M', 'B', 0x40, 0, 0, 0, 0x02, 0,
                                                  0,    0,   0,   0,   0,    0, 1, 2, 3,    4};
    Verifier verifier(lab_password());
    Tracker tracker;
    tracker.set_verifier(&verifier);
    std::uint32_t last = 0, conn = 0;
    std::uint8_t side = 0;
    for (const auto &m : cap.messages) {
        tracker.on_pdu(m.conn, m.side, m.frame, Bytes(cap.bytes).subspan(m.offset, m.size), m.size);
        last = m.frame;
        conn = m.conn;
        side = m.side;
    }
    ASSERT_EQ(tracker.session_count(), 1u);
    EXPECT_EQ(tracker.view(0).integrity, Integrity::Verified);
    tracker.on_pdu(conn, side, last + 1, compressed, compressed.size());
    auto entries = tracker.frame_entries(last + 1);
    ASSERT_EQ(entries.size(), 1u);
    EXPECT_EQ(status_of(entries[0].signature), Status::Unverifiable);
    EXPECT_EQ(reason_of(entries[0].signature), Reason::Compressed);
    EXPECT_EQ(tracker.view(0).integrity, Integrity::Unverified);
}

} // namespace

namespace {

// Known answers computed independently of the C++ core by
// tests/unit/make_encryption_vectors.py (Python hmac/hashlib, pycryptodomex MD4/RC4,
// cryptography's AESCCM/AESGCM, which checked each tag) from the lab's encrypted samples
// and the lab password: the NTLMv2 session key, the 3.1.1 preauth hash, the
// client-to-server cipher key (MS-SMB2 3.2.5.3.1), and the first client TRANSFORM
// message's frame and plaintext (its first 64 bytes, the SMB2 header, and its size).
struct EncryptionVector {
    const char *file;
    Dialect dialect;
    smb2::Cipher cipher;
    const char *session_key;
    const char *preauth_hash; // "" for 3.0
    const char *c2s_key;
    std::uint32_t frame;
    const char *plain_header;
    std::size_t plain_size;
};

const EncryptionVector kVectors[] = {
    {"smb30-encrypted-aes128ccm.pcap", Dialect::Smb300, smb2::Cipher::None,
     "98cd0e60d408aa0c16a0a115e43f1511", "", "c3c778c6fb1a8708818c4c2a1490306e", 12,
     "fe534d4240000100000000000300010000000000000000000300000000000000"
     "000000000000000058f731740000000000000000000000000000000000000000",
     104},
    {"smb311-encrypted-aes128ccm.pcap", Dialect::Smb311, smb2::Cipher::Aes128Ccm,
     "06818937aff4b84ce7ca6873db227bbf",
     "d44bab194554fa2eab497dfecc68c819b1dc4f8a743fb5e1fd03779d7adcc604"
     "5f9dbd8f2d3228a73b049144e137e09d953f0a88e059bcf404292c057f12f2be",
     "bb481017bd79d575ca1d8e860f615ead", 13,
     "fe534d4240000100000000000300010010000000000000000300000000000000"
     "0000000000000000a04010210000000000000000000000000000000000000000",
     104},
    {"smb311-encrypted-aes128gcm.pcap", Dialect::Smb311, smb2::Cipher::Aes128Gcm,
     "a35fc5591e9441271c268c9a908209f5",
     "3d05c457b5d1987f787ea7233d9504ba86b9564c931f8e7843c52d3110aee148"
     "fcbe0135ae4e8c93ee6d2713242f8e2a0812a4075da1fbe7114605bc398855e1",
     "3090191b7f98683501036501752bcd67", 12,
     "fe534d4240000100000000000300010010000000000000000300000000000000"
     "0000000000000000fc90fb8b0000000000000000000000000000000000000000",
     104},
    {"smb311-encrypted-aes256ccm.pcap", Dialect::Smb311, smb2::Cipher::Aes256Ccm,
     "d24b5c50a13f97d6edb11e72f628ad61",
     "68820d31c46853199640177269faf9ac129f5565939e054762b5c0c3e1dc6a8a"
     "d211ef2e86e4ca20237fb2bdcdec5e3262d137e8f48faa66f7881294bdc7c361",
     "02e0da5262c4aefc5fa7d1cf6b14712ca1f2d6dc5aa8c01be33987010b74c6af", 12,
     "fe534d4240000100000000000300010010000000000000000300000000000000"
     "0000000000000000d102e0360000000000000000000000000000000000000000",
     104},
    {"smb311-encrypted-aes256gcm.pcap", Dialect::Smb311, smb2::Cipher::Aes256Gcm,
     "5f02123c02321031026ee393e1451b88",
     "7c6ddb0a3090b0bd1621db42b283c32e3bdfdd43434f580c777993ebf6b00d0a"
     "54f4d94d7b9edaa414ec8f6113822da1eb2e4e801f71a4071478edece80ea343",
     "569950bc8801f185bcae58cbe409ba7e40938de32138c097a5fe4dad8c2ad051", 12,
     "fe534d4240000100000000000300010010000000000000000300000000000000"
     "0000000000000000cc11f77a0000000000000000000000000000000000000000",
     104},
};

TEST(VerifyEncryption, KnownAnswersFromAnIndependentImplementation) {
    for (const EncryptionVector &v : kVectors) {
        SCOPED_TRACE(v.file);
        const auto sk = SessionKey::from_gss(testutil::from_hex(v.session_key));
        ASSERT_TRUE(sk);
        Digest64 hash{};
        const auto h = testutil::from_hex(v.preauth_hash);
        std::copy(h.begin(), h.end(), hash.begin());
        const auto keys =
            smb3_cipher_keys(v.dialect, session_cipher(v.dialect, v.cipher), *sk, &hash);
        ASSERT_TRUE(keys);
        EXPECT_EQ(testutil::hex_of(keys->client_to_server.full()), v.c2s_key);

        auto cap = sample(v.file);
        const pcap_reader::Message *m = nullptr;
        for (const auto &x : cap.messages)
            if (x.frame == v.frame)
                m = &x;
        ASSERT_NE(m, nullptr);
        const Bytes bytes = Bytes(cap.bytes).subspan(m->offset, m->size);
        smb2::TransformHeader t;
        ASSERT_EQ(smb2::parse_transform_header(bytes, t), ParseError::None);
        TransformDecryptor d(session_cipher(v.dialect, v.cipher), keys->client_to_server);
        std::vector<std::uint8_t> plain(t.ciphertext.size());
        ASSERT_EQ(d.open(t, plain), TagMatch::Match);
        EXPECT_EQ(plain.size(), v.plain_size);
        EXPECT_EQ(testutil::hex_of(Bytes(plain).first(64)), v.plain_header);
        // The server-to-client key does not open a client's message.
        TransformDecryptor other(session_cipher(v.dialect, v.cipher), keys->server_to_client);
        EXPECT_EQ(other.open(t, plain), TagMatch::Mismatch);
    }
}

} // namespace
