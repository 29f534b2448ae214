// Signature verification through the tracker, as the plugin runs it: the lab's signed
// samples (samples/README.md: user smbsign, password Sign1ng-Pass) read from their pcap
// files and fed message by message, with the secrets an analyst would give.
#include "smbsign/tracker.hpp"
#include "smbsign/verify/verifier.hpp"

#include "capture_feed.hpp"
#include "pcap_reader.hpp"

#include <gtest/gtest.h>

#include <cctype>
#include <map>
#include <set>
#include <string>

namespace {

using namespace smbsign;
using namespace smbsign::verify;

constexpr const char *kLabPassword = "Sign1ng-Pass"; // samples/README.md

using testutil::feed;
using testutil::Outcome;

// Reads a sample, applies `tamper` to its bytes, and feeds it.
template <typename Tamper> Outcome run(const std::string &sample, Secrets secrets, Tamper tamper) {
    auto cap = pcap_reader::read(std::string(SMBSIGN_SAMPLES_DIR) + "/" + sample);
    EXPECT_FALSE(cap.messages.empty()) << sample;
    tamper(cap);
    return feed(cap, std::move(secrets));
}
Outcome run(const std::string &sample, Secrets secrets) {
    return run(sample, std::move(secrets), [](pcap_reader::Capture &) {});
}

Secrets lab_password() {
    Secrets s;
    EXPECT_TRUE(s.add_password(kLabPassword));
    return s;
}

// The session that carried signed messages.
const SessionView &signed_session(const Outcome &r) {
    for (const auto &v : r.sessions)
        if (v.signatures.valid + v.signatures.invalid + v.signatures.unverifiable > 0)
            return v;
    static const SessionView none;
    ADD_FAILURE() << "no session with signature checks";
    return none;
}

// Flips one bit of the byte `at` bytes into the SMB message of `frame`.
auto flip(std::uint32_t frame, std::size_t at) {
    return [=](pcap_reader::Capture &c) {
        for (const auto &m : c.messages)
            if (m.frame == frame) {
                ASSERT_LT(at, m.size);
                c.bytes[m.offset + at] ^= 0x01;
                return;
            }
        FAIL() << "no message in frame " << frame;
    };
}

struct Sample {
    const char *file;
    std::size_t signed_messages; // every signed message from the final SESSION_SETUP response
    std::uint32_t tampered_frame;
};
// Counts as in verify_capture_test.cpp (make_signed_vectors.py): SMB1 MD5, 2.0.2
// HMAC-SHA256, 3.1.1 AES-128-GMAC; then 3.0 and 3.1.1 with AES-128-CMAC (every message
// with SMB2_FLAGS_SIGNED, as `tshark -Y smb2.flags.signature==1` counts them).
constexpr Sample kSamples[] = {
    {"smb1-cli-required-srv-required.pcap", 17, 12},
    {"smb2-signed-readwrite.pcap", 41, 18},
    {"smb311-signed-readwrite.pcap", 39, 16},
    {"smb30-signed-readwrite.pcap", 41, 18},       // 3.0, AES-128-CMAC
    {"smb311-cmac-signed-readwrite.pcap", 39, 16}, // 3.1.1, AES-128-CMAC chosen by the client
};

class SignedSample : public ::testing::TestWithParam<Sample> {};

TEST_P(SignedSample, EverySignedMessageIsValid) {
    const Sample &p = GetParam();
    Outcome r = run(p.file, lab_password());
    EXPECT_EQ(r.by_frame.size(), p.signed_messages);
    for (const auto &[frame, code] : r.by_frame)
        EXPECT_EQ(status_of(code), Status::Valid) << "frame " << frame;
    const SessionView &v = signed_session(r);
    EXPECT_EQ(v.signatures.valid, p.signed_messages);
    EXPECT_EQ(v.signatures.invalid, 0u);
    EXPECT_EQ(v.signatures.unverifiable, 0u);
    EXPECT_EQ(v.signatures.key_source, KeySource::Password);
    EXPECT_EQ(v.signatures.key_state, KeyState::Proven);
    EXPECT_EQ(v.integrity, Integrity::Verified);
}

TEST_P(SignedSample, TamperedByteIsInvalidAtExactlyThatFrame) {
    const Sample &p = GetParam();
    // A byte past every header: the message body (the header is 32 or 64 bytes).
    Outcome r = run(p.file, lab_password(), flip(p.tampered_frame, 70));
    EXPECT_EQ(r.by_frame.size(), p.signed_messages);
    for (const auto &[frame, code] : r.by_frame)
        EXPECT_EQ(status_of(code), frame == p.tampered_frame ? Status::Invalid : Status::Valid)
            << "frame " << frame;
    const SessionView &v = signed_session(r);
    EXPECT_EQ(v.signatures.invalid, 1u);
    EXPECT_EQ(v.signatures.key_state, KeyState::Proven);
    EXPECT_EQ(v.integrity, Integrity::Invalid);
}

TEST_P(SignedSample, WrongPasswordIsAWrongKeyAndNothingInvalid) {
    const Sample &p = GetParam();
    Secrets s;
    ASSERT_TRUE(s.add_password("Sign1ng-pass"));
    Outcome r = run(p.file, std::move(s));
    EXPECT_EQ(r.by_frame.size(), p.signed_messages);
    for (const auto &[frame, code] : r.by_frame) {
        EXPECT_EQ(status_of(code), Status::Unverifiable) << "frame " << frame;
        EXPECT_EQ(reason_of(code), Reason::KeyWrong) << "frame " << frame;
    }
    const SessionView &v = signed_session(r);
    EXPECT_EQ(v.signatures.key_state, KeyState::Wrong);
    EXPECT_EQ(v.signatures.invalid, 0u);
    EXPECT_EQ(v.integrity, Integrity::Unverified);
}

TEST_P(SignedSample, CredentialForAnotherUserIsNotTried) {
    const Sample &p = GetParam();
    Secrets s;
    parse_credentials("LAB\\someone-else:Sign1ng-Pass\n", s);
    Outcome r = run(p.file, std::move(s));
    for (const auto &[frame, code] : r.by_frame)
        EXPECT_EQ(reason_of(code), Reason::NoKey) << "frame " << frame;
    EXPECT_EQ(signed_session(r).signatures.key_state, KeyState::Unknown);
}

TEST_P(SignedSample, NoSecretsNoChecks) {
    Outcome r = run(GetParam().file, Secrets{});
    EXPECT_TRUE(r.by_frame.empty());
    bool any_signed = false;
    for (const auto &v : r.sessions)
        any_signed = any_signed || v.integrity == Integrity::Unverified;
    EXPECT_TRUE(any_signed);
}

INSTANTIATE_TEST_SUITE_P(LabSamples, SignedSample, ::testing::ValuesIn(kSamples),
                         [](const ::testing::TestParamInfo<Sample> &info) {
                             std::string name(info.param.file);
                             name = name.substr(0, name.find('.'));
                             for (char &c : name)
                                 if (!std::isalnum(static_cast<unsigned char>(c)))
                                     c = '_';
                             return name;
                         });

TEST(VerifyTracker, CredentialsFileLinesForTheUser) {
    // A pwdump line with the NT hash of the lab password, and a password line.
    Secrets pw, hash;
    EXPECT_TRUE(parse_credentials("# lab\nSMBSIGN\\smbsign:Sign1ng-Pass\n", pw).empty());
    auto nt = nt_hash_from_password(kLabPassword);
    ASSERT_TRUE(nt);
    std::string hex;
    for (auto b : *nt) {
        static const char *d = "0123456789abcdef";
        hex += d[b >> 4];
        hex += d[b & 15];
    }
    EXPECT_TRUE(
        parse_credentials("smbsign:1000:aad3b435b51404eeaad3b435b51404ee:" + hex + ":::", hash)
            .empty());
    for (auto [secrets, source] : {std::pair{pw, KeySource::Password}, {hash, KeySource::NtHash}}) {
        Outcome r = run("smb311-signed-readwrite.pcap", secrets);
        const SessionView &v = signed_session(r);
        EXPECT_EQ(v.integrity, Integrity::Verified);
        EXPECT_EQ(v.signatures.key_source, source);
    }
}

TEST(VerifyTracker, BadCredentialLinesAreNamedByNumber) {
    Secrets s;
    EXPECT_EQ(parse_credentials("\nno-colon-here\n:x\nuser:pw\n", s),
              (std::vector<std::size_t>{2, 3}));
    EXPECT_EQ(s.credentials.size(), 1u);
}

// The 2.0.2 sample's SessionKey, from its NTLM messages and the lab password.
std::optional<Key16> lab_session_key(const pcap_reader::Capture &cap) {
    std::optional<NtlmChallenge> ch;
    for (const auto &m : cap.messages) {
        Bytes msg = Bytes(cap.bytes).subspan(m.offset, m.size);
        if (auto c = find_ntlmssp(msg, ntlm::kMessageChallenge)) {
            NtlmChallenge nc;
            if (parse_ntlm_challenge(*c, nc) == ParseError::None)
                ch = nc;
        }
        if (auto a = find_ntlmssp(msg, ntlm::kMessageAuthenticate); a && ch) {
            NtlmAuthenticate au;
            if (parse_ntlm_authenticate(*a, au) != ParseError::None)
                return std::nullopt;
            auto k = ntlmv2_session_key(*nt_hash_from_password(kLabPassword), *ch, au);
            if (k.status == NtlmProof::Proven)
                return k.session_key;
        }
    }
    return std::nullopt;
}

// The SMB2 session-key table: the 2.0.2 sample's session key (derived here from the
// password by the NTLM code, as `smbinfo keys` would print it) verifies the session; a
// wrong key is named wrong and makes nothing invalid.
TEST(VerifyTracker, SessionKeyTable) {
    auto cap = pcap_reader::read(std::string(SMBSIGN_SAMPLES_DIR) + "/smb2-signed-readwrite.pcap");
    // The session id and key, from a first run with the password.
    std::uint64_t id = 0;
    Key16 key{};
    {
        Outcome r = run("smb2-signed-readwrite.pcap", lab_password());
        id = signed_session(r).id;
        ASSERT_NE(id, 0u);
    }
    auto derived = lab_session_key(cap);
    ASSERT_TRUE(derived);
    key = *derived;
    Secrets table;
    table.session_keys.push_back({id, SessionKey(key), {}, {}});
    Outcome good = run("smb2-signed-readwrite.pcap", table);
    const SessionView &g = signed_session(good);
    EXPECT_EQ(g.integrity, Integrity::Verified);
    EXPECT_EQ(g.signatures.valid, 41u);
    EXPECT_EQ(g.signatures.key_source, KeySource::SessionKey);
    EXPECT_EQ(g.signatures.key_state, KeyState::Proven);

    key[0] ^= 0xff;
    Secrets wrong;
    wrong.session_keys.push_back({id, SessionKey(key), {}, {}});
    Outcome bad = run("smb2-signed-readwrite.pcap", wrong);
    const SessionView &b = signed_session(bad);
    EXPECT_EQ(b.signatures.invalid, 0u);
    EXPECT_EQ(b.signatures.key_state, KeyState::Wrong);
    EXPECT_EQ(b.integrity, Integrity::Unverified);
}

// Every sample of the lab was made with the lab password: with it, no signature anywhere
// is invalid, and every session whose messages are signed is verified.
TEST(VerifyTracker, NoLabSampleHasAnInvalidSignature) {
    for (const char *f :
         {"smb1-cli-enabled-srv-required.pcap", "smb1-cli-required-srv-enabled.pcap",
          "smb1-netbios139-signed.pcap", "smb2-cli-required-srv-required.pcap",
          "smb2-cli-enabled-srv-required.pcap", "smb311-cli-required-srv-required.pcap",
          "smb311-cli-enabled-srv-required.pcap", "smb311-guest-srv-required.pcap",
          "smb311-encrypted.pcap"}) {
        Outcome r = run(f, lab_password());
        for (const auto &[frame, code] : r.by_frame)
            EXPECT_EQ(status_of(code), Status::Valid) << f << " frame " << frame;
    }
}

} // namespace

namespace {

// An MIT keytab (format 0x0502, big-endian) as ktutil writes it: one entry per key.
std::vector<std::uint8_t> keytab(const std::vector<std::pair<std::uint16_t, Bytes>> &keys) {
    std::vector<std::uint8_t> out = {0x05, 0x02};
    auto u16 = [](std::vector<std::uint8_t> &v, unsigned x) {
        v.push_back(static_cast<std::uint8_t>(x >> 8));
        v.push_back(static_cast<std::uint8_t>(x));
    };
    auto u32 = [&](std::vector<std::uint8_t> &v, std::uint32_t x) {
        u16(v, x >> 16);
        u16(v, x & 0xFFFF);
    };
    auto counted = [&](std::vector<std::uint8_t> &v, std::string_view s) {
        u16(v, static_cast<unsigned>(s.size()));
        v.insert(v.end(), s.begin(), s.end());
    };
    for (const auto &[etype, key] : keys) {
        std::vector<std::uint8_t> e;
        u16(e, 1);                 // components
        counted(e, "SMBSIGN.LAB"); // realm
        counted(e, "smbsign");
        u32(e, 1);          // name type KRB5_NT_PRINCIPAL
        u32(e, 0x5f000000); // timestamp
        e.push_back(1);     // vno8
        u16(e, etype);
        u16(e, static_cast<unsigned>(key.size()));
        e.insert(e.end(), key.begin(), key.end());
        u32(out, static_cast<std::uint32_t>(e.size()));
        out.insert(out.end(), e.begin(), e.end());
    }
    return out;
}

// A keytab's RC4-HMAC key (etype 23) is the account's NT hash: it verifies the session;
// every key (AES included) is also kept as a Kerberos long-term key, with its principal.
TEST(VerifyTracker, KeytabRc4KeyIsAnNtHash) {
    auto nt = nt_hash_from_password(kLabPassword);
    ASSERT_TRUE(nt);
    const std::array<std::uint8_t, 32> aes256{};
    const auto kt = keytab({{18, Bytes(aes256)}, {23, Bytes(*nt)}});
    Secrets s;
    EXPECT_EQ(parse_keytab(kt, s), 2u);
    ASSERT_EQ(s.credentials.size(), 1u);
    EXPECT_EQ(s.credentials[0].user, "smbsign");
    ASSERT_EQ(s.kerberos_keys.size(), 2u);
    EXPECT_EQ(s.kerberos_keys[0].principal, "smbsign@SMBSIGN.LAB");
    EXPECT_EQ(s.kerberos_keys[0].etype, 18);
    EXPECT_EQ(s.kerberos_keys[0].kvno, 1u);
    EXPECT_EQ(s.kerberos_keys[0].key.size(), 32u);
    EXPECT_EQ(s.kerberos_keys[1].etype, 23);
    Outcome r = run("smb2-signed-readwrite.pcap", std::move(s));
    const SessionView &v = signed_session(r);
    EXPECT_EQ(v.integrity, Integrity::Verified);
    EXPECT_EQ(v.signatures.key_source, KeySource::Keytab);
    // A keytab cut inside its second entry still gives the first.
    Secrets cut;
    const auto one = keytab({{23, Bytes(*nt)}, {23, Bytes(*nt)}});
    EXPECT_EQ(parse_keytab(Bytes(one).first(one.size() - 5), cut), 1u);
}

} // namespace

namespace {

// Two messages as one compound chain (MS-SMB2 3.2.4.1.4): the first padded to 8 bytes with
// NextCommand pointing past the padding, each element signed over its own bytes.
std::vector<std::uint8_t> compound(Bytes a, Bytes b, Smb2Signer &signer) {
    const std::size_t first = (a.size() + 7) & ~std::size_t{7};
    std::vector<std::uint8_t> out(a.begin(), a.end());
    out.resize(first, 0);
    for (std::size_t i = 0; i < 4; ++i)
        out[20 + i] = static_cast<std::uint8_t>(first >> (8 * i)); // NextCommand
    out.insert(out.end(), b.begin(), b.end());
    for (std::size_t at : {std::size_t{0}, first}) {
        const std::size_t size = at == 0 ? first : out.size() - first;
        auto sig = signer.sign(Bytes(out).subspan(at, size));
        EXPECT_TRUE(sig);
        if (sig)
            std::copy(sig->begin(), sig->end(), out.begin() + static_cast<std::ptrdiff_t>(at + 48));
    }
    return out;
}

// The 2.0.2 sample with CREATE and QUERY_INFO (frames 22 and 24) sent as one compound
// request, and their responses (23 and 25) as one compound response, re-signed with the
// session's key; `alter` then flips one byte of the compound request.
pcap_reader::Capture compound_capture(std::optional<std::size_t> alter) {
    auto cap = pcap_reader::read(std::string(SMBSIGN_SAMPLES_DIR) + "/smb2-signed-readwrite.pcap");
    auto key = lab_session_key(cap);
    EXPECT_TRUE(key);
    Smb2Signer signer(smb2::SigningAlgorithm::HmacSha256, key.value_or(Key16{}));
    auto bytes_of = [&](std::uint32_t frame) {
        for (const auto &m : cap.messages)
            if (m.frame == frame)
                return Bytes(cap.bytes).subspan(m.offset, m.size);
        ADD_FAILURE() << "no frame " << frame;
        return Bytes{};
    };
    auto request = compound(bytes_of(22), bytes_of(24), signer);
    auto response = compound(bytes_of(23), bytes_of(25), signer);
    if (alter)
        request.at(*alter) ^= 0x01;
    std::vector<pcap_reader::Message> messages;
    for (auto m : cap.messages) {
        if (m.frame == 24 || m.frame == 25)
            continue;
        if (m.frame == 22 || m.frame == 23) {
            const auto &chain = m.frame == 22 ? request : response;
            m.offset = cap.bytes.size();
            m.size = chain.size();
            cap.bytes.insert(cap.bytes.end(), chain.begin(), chain.end());
        }
        messages.push_back(m);
    }
    cap.messages = messages;
    return cap;
}

TEST(VerifyTracker, CompoundElementsEachOverTheirOwnBytes) {
    Outcome r = feed(compound_capture(std::nullopt), lab_password());
    const SessionView &v = signed_session(r);
    EXPECT_EQ(v.signatures.valid, 41u); // every element counts: 2 compound frames, 4 messages
    EXPECT_EQ(v.integrity, Integrity::Verified);
    EXPECT_EQ(status_of(r.by_frame.at(22)), Status::Valid);
    EXPECT_EQ(status_of(r.by_frame.at(23)), Status::Valid);
}

TEST(VerifyTracker, CompoundAlteredElementOrPaddingIsInvalid) {
    // A byte in the first element's body; then one in its padding (signed as well).
    const auto cap =
        pcap_reader::read(std::string(SMBSIGN_SAMPLES_DIR) + "/smb2-signed-readwrite.pcap");
    std::size_t first_size = 0;
    for (const auto &m : cap.messages)
        if (m.frame == 22)
            first_size = m.size;
    ASSERT_NE(first_size % 8, 0u) << "the first element needs padding for this test";
    for (std::size_t at : {std::size_t{70}, first_size}) {
        Outcome r = feed(compound_capture(at), lab_password());
        const SessionView &v = signed_session(r);
        EXPECT_EQ(status_of(r.by_frame.at(22)), Status::Invalid) << "byte " << at;
        EXPECT_EQ(v.signatures.invalid, 1u) << "byte " << at; // the second element is valid
        EXPECT_EQ(v.signatures.valid, 40u) << "byte " << at;
    }
}

// Real compound chains (samples/generate, impacket's smb2-compound mode): frame 14 is a
// CREATE + QUERY_INFO + CLOSE request, frame 15 Samba's compound response, each element
// signed over its own bytes; 2.1 signs with HMAC-SHA256, 3.0 with AES-128-CMAC.
TEST(VerifyTracker, RealCompoundChainsEveryElementValidAndEachCheckedAlone) {
    for (const char *sample : {"smb21-signed-compound.pcap", "smb30-signed-compound.pcap"}) {
        Outcome r = run(sample, lab_password());
        EXPECT_EQ(r.by_frame.size(), 9u) << sample; // frames 11 to 19
        for (const auto &[frame, code] : r.by_frame)
            EXPECT_EQ(status_of(code), Status::Valid) << sample << " frame " << frame;
        EXPECT_EQ(signed_session(r).signatures.valid, 13u) << sample; // 7 + 2 chains of 3
        EXPECT_EQ(signed_session(r).integrity, Integrity::Verified) << sample;

        // One byte of the second element's header (Reserved, at 32) in the request chain,
        // whose first element is 0x90 bytes long: that frame alone, that element alone.
        Outcome t = run(sample, lab_password(), flip(14, 0x90 + 32));
        for (const auto &[frame, code] : t.by_frame)
            EXPECT_EQ(status_of(code), frame == 14 ? Status::Invalid : Status::Valid)
                << sample << " frame " << frame;
        EXPECT_EQ(signed_session(t).signatures.invalid, 1u) << sample;
        EXPECT_EQ(signed_session(t).signatures.valid, 12u) << sample;
    }
}

} // namespace

namespace {

// SMB 3.1.1 keys hash every NEGOTIATE and SESSION_SETUP message: with one missing from the
// capture, the signatures are unverifiable (set-up not in the capture), never invalid.
TEST(VerifyTracker, Smb311WithoutTheWholePreauthExchangeIsUnverifiable) {
    for (std::uint32_t dropped : {4u, 6u, 8u}) { // NEGOTIATE request, response; first SESSION_SETUP
        Outcome r =
            run("smb311-signed-readwrite.pcap", lab_password(), [&](pcap_reader::Capture &c) {
                std::erase_if(c.messages, [&](const auto &m) { return m.frame == dropped; });
            });
        ASSERT_FALSE(r.by_frame.empty()) << "without frame " << dropped;
        for (const auto &[frame, code] : r.by_frame) {
            EXPECT_EQ(status_of(code), Status::Unverifiable)
                << "without " << dropped << ", frame " << frame;
            // Without the NEGOTIATE response the dialect itself is unknown.
            EXPECT_EQ(reason_of(code), dropped == 6 ? Reason::UnknownDialect : Reason::NoSetup)
                << "without " << dropped << ", frame " << frame;
        }
    }
}

} // namespace

namespace {

// SMB1 sequence numbers count every message on the wire: a request/response pair missing
// from the capture shifts the numbers, which must not make the rest of the connection
// "invalid". The first message after the gap is unverifiable, the others valid again.
TEST(VerifyTracker, Smb1PairMissingFromTheCaptureResynchronises) {
    Outcome r =
        run("smb1-cli-required-srv-required.pcap", lab_password(), [](pcap_reader::Capture &c) {
            std::erase_if(c.messages, [](const auto &m) {
                return m.frame == 14 || m.frame == 15; // a request and its response
            });
        });
    ASSERT_EQ(r.by_frame.size(), 15u);
    for (const auto &[frame, code] : r.by_frame) {
        if (frame == 16) {
            EXPECT_EQ(status_of(code), Status::Unverifiable);
            EXPECT_EQ(reason_of(code), Reason::NoSequence);
        } else {
            EXPECT_EQ(status_of(code), Status::Valid) << "frame " << frame;
        }
    }
    EXPECT_EQ(signed_session(r).signatures.invalid, 0u);
}

} // namespace

namespace {

// Messages MS-SMB2 never signs are not checked even when SMB2_FLAGS_SIGNED is set: an
// interim STATUS_PENDING response (3.3.4.2) and an oplock break notification (MessageId
// all ones, 3.3.4.6). Made here from the 3.1.1 sample's WRITE response (frame 17), whose
// signature then no longer matches: checking it would call it invalid.
TEST(VerifyTracker, InterimAndOplockBreakAreNotChecked) {
    auto as = [](auto change) {
        return [=](pcap_reader::Capture &c) {
            for (const auto &m : c.messages)
                if (m.frame == 17)
                    change(c.bytes.data() + m.offset);
        };
    };
    Outcome interim = run("smb311-signed-readwrite.pcap", lab_password(), as([](std::uint8_t *h) {
                              h[16] |= smb2::kFlagAsync;                      // Flags: async
                              h[8] = 0x03, h[9] = 0x01, h[10] = 0, h[11] = 0; // STATUS_PENDING
                          }));
    Outcome oplock = run("smb311-signed-readwrite.pcap", lab_password(), as([](std::uint8_t *h) {
                             std::fill(h + 24, h + 32, 0xFF); // MessageId 0xFFFFFFFFFFFFFFFF
                         }));
    for (const Outcome *r : {&interim, &oplock}) {
        EXPECT_EQ(r->by_frame.count(17), 0u);
        EXPECT_EQ(r->by_frame.size(), 38u);
        EXPECT_EQ(signed_session(*r).signatures.invalid, 0u);
        EXPECT_EQ(signed_session(*r).integrity, Integrity::Verified);
    }
}

} // namespace

namespace {

// A 32-byte session key (as Kerberos AES-256 gives) whose first 16 bytes are the 2.0.2
// sample's key: SMB2 signing takes only those (MS-SMB2 3.2.5.3.1), so the session
// verifies; with the first 16 bytes altered it does not.
TEST(VerifyTracker, SessionKeyOf32BytesSignsWithItsFirst16) {
    auto cap = pcap_reader::read(std::string(SMBSIGN_SAMPLES_DIR) + "/smb2-signed-readwrite.pcap");
    const std::uint64_t id = signed_session(run("smb2-signed-readwrite.pcap", lab_password())).id;
    auto derived = lab_session_key(cap);
    ASSERT_TRUE(derived);
    std::array<std::uint8_t, 32> whole{};
    std::copy(derived->begin(), derived->end(), whole.begin());
    std::fill(whole.begin() + 16, whole.end(), 0xC3);
    Secrets table;
    table.session_keys.push_back({id, *SessionKey::from_gss(whole), {}, {}});
    Outcome good = run("smb2-signed-readwrite.pcap", table);
    const SessionView &g = signed_session(good);
    EXPECT_EQ(g.integrity, Integrity::Verified);
    EXPECT_EQ(g.signatures.valid, 41u);

    whole[3] ^= 0x01;
    Secrets wrong;
    wrong.session_keys.push_back({id, *SessionKey::from_gss(whole), {}, {}});
    EXPECT_EQ(signed_session(run("smb2-signed-readwrite.pcap", wrong)).signatures.key_state,
              KeyState::Wrong);
}

} // namespace
