// Kerberos sessions of the lab's Samba AD DC (samples/generate-domain; samples/README.md,
// "The domain lab") verified with the DC's keytab (samples/domain-dc.keytab, a documented lab
// secret): real AES-256 tickets and AP-REPs opened through MIT krb5, SMB2/3 signing with the
// first 16 bytes of the acceptor subkey, SMB1 with the whole 32 bytes. Messages are fed to the
// tracker as the plugin feeds them.
#include "smbsign/krb/kerberos.hpp"
#include "smbsign/tracker.hpp"
#include "smbsign/verify/kerberos.hpp"
#include "smbsign/verify/verifier.hpp"

#include "capture_feed.hpp"
#include "pcap_reader.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <iterator>
#include <map>
#include <string>

namespace {

using namespace smbsign;
using namespace smbsign::verify;

using testutil::feed;
using testutil::Outcome;

pcap_reader::Capture capture(const std::string &sample) {
    auto cap = pcap_reader::read(std::string(SMBSIGN_SAMPLES_DIR) + "/" + sample);
    EXPECT_FALSE(cap.messages.empty()) << sample;
    return cap;
}

std::vector<std::uint8_t> keytab_bytes() {
    std::ifstream f(std::string(SMBSIGN_SAMPLES_DIR) + "/domain-dc.keytab", std::ios::binary);
    return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

Secrets dc_keytab() {
    Secrets s;
    EXPECT_GT(parse_keytab(keytab_bytes(), s), 0u);
    return s;
}

const SessionView &signed_session(const Outcome &r) {
    for (const auto &v : r.sessions)
        if (v.signatures.valid + v.signatures.invalid + v.signatures.unverifiable > 0)
            return v;
    static const SessionView none;
    ADD_FAILURE() << "no session with signature checks";
    return none;
}

struct Sample {
    const char *file;
    std::size_t signed_frames; // frames with a signed message, from the final SESSION_SETUP on
};
// Counts as `tshark -Y 'smb2.flags.signature==1'` (SMB2/3) and `-Y 'smb.signature !=
// 42:53:52:53:50:59:4c:20 && smb.signature != 00:00:00:00:00:00:00:00'` (SMB1) give them.
constexpr Sample kSamples[] = {
    {"krb-smb1-signed.pcap", 33},
    {"krb-smb202-signed.pcap", 55},
    {"krb-smb21-signed.pcap", 55},
    {"krb-smb30-signed.pcap", 55},
    {"krb-smb311-gmac-signed.pcap", 51},
    {"krb-smb311-cmac-signed.pcap", 51},
    {"krb-smb311-ccache-signed.pcap", 51}, // tickets got before the capture
    {"krb-smb311-fast-signed.pcap", 51},   // FAST-armoured AS exchange (a second DC's keys)
    {"krb-smb311-fast-outside-signed.pcap", 51},
};

class KerberosSample : public ::testing::TestWithParam<Sample> {};

TEST(KerberosKeytab, DcKeytabHoldsTheMachineAccountsAes256Key) {
    Secrets s = dc_keytab();
    bool machine_aes256 = false;
    for (const auto &k : s.kerberos_keys)
        machine_aes256 = machine_aes256 ||
                         (k.principal == "DC1$@SMBSIGN.LAB" && k.etype == 18 && k.key.size() == 32);
    EXPECT_TRUE(machine_aes256);
}

TEST_P(KerberosSample, EverySignedMessageIsValidWithTheDcKeytab) {
    const Sample &p = GetParam();
    Outcome r = feed(capture(p.file), dc_keytab());
    EXPECT_EQ(r.by_frame.size(), p.signed_frames);
    for (const auto &[frame, code] : r.by_frame)
        EXPECT_EQ(status_of(code), Status::Valid) << "frame " << frame;
    const SessionView &v = signed_session(r);
    EXPECT_EQ(v.signatures.invalid, 0u);
    EXPECT_EQ(v.signatures.unverifiable, 0u);
    EXPECT_EQ(v.signatures.key_source, KeySource::Keytab);
    EXPECT_EQ(v.signatures.key_state, KeyState::Proven);
    EXPECT_EQ(v.integrity, Integrity::Verified);
}

// One byte of the body of the 10th signed frame changed: invalid there, and only there.
TEST_P(KerberosSample, TamperedByteIsInvalidAtExactlyThatFrame) {
    const Sample &p = GetParam();
    auto cap = capture(p.file);
    const Outcome good = feed(cap, dc_keytab());
    ASSERT_GT(good.by_frame.size(), 10u);
    const std::uint32_t frame = std::next(good.by_frame.begin(), 10)->first;
    for (const auto &m : cap.messages)
        if (m.frame == frame) {
            ASSERT_GT(m.size, 70u);
            cap.bytes[m.offset + m.size - 1] ^= 0x01;
            break;
        }
    Outcome r = feed(cap, dc_keytab());
    for (const auto &[f, code] : r.by_frame)
        EXPECT_EQ(status_of(code), f == frame ? Status::Invalid : Status::Valid) << "frame " << f;
    EXPECT_EQ(signed_session(r).integrity, Integrity::Invalid);
}

// Every key of the keytab changed: the ticket's own integrity check refuses them all, so the
// key is wrong and nothing is called invalid.
TEST_P(KerberosSample, WrongKeytabIsKnownAndNothingIsInvalid) {
    const Sample &p = GetParam();
    Secrets s = dc_keytab();
    for (auto &k : s.kerberos_keys)
        k.key[0] ^= 0x01;
    s.credentials.clear();
    Outcome r = feed(capture(p.file), std::move(s));
    const SessionView &v = signed_session(r);
    EXPECT_EQ(v.signatures.valid, 0u);
    EXPECT_EQ(v.signatures.invalid, 0u);
    EXPECT_EQ(v.signatures.key_source, KeySource::Keytab);
    EXPECT_EQ(v.signatures.key_state, KeyState::Wrong);
    for (const auto &[frame, code] : r.by_frame)
        EXPECT_EQ(reason_of(code), Reason::KeyWrong) << "frame " << frame;
}

// The AP-REP altered (the last byte of its encrypted part, in the final SESSION_SETUP
// response): it no longer decrypts, so whether it held the acceptor subkey, and which
// key signs, is unknown. Nothing is called invalid and no other key stands in.
TEST_P(KerberosSample, AlteredApRepLeavesTheSessionWithoutAKey) {
    const Sample &p = GetParam();
    auto cap = capture(p.file);
    const Outcome good = feed(cap, dc_keytab());
    const std::uint32_t setup = signed_session(good).setup_frame;
    std::optional<std::size_t> at; // the last byte of the AP-REP's ciphertext
    for (const auto &m : cap.messages) {
        const Bytes msg = Bytes(cap.bytes).subspan(m.offset, m.size);
        for (std::size_t i = 0; m.frame == setup && !at && i < msg.size(); ++i)
            if (const krb::Token t = krb::find_kerberos(msg.subspan(i)); t.ap_rep)
                at = static_cast<std::size_t>(t.ap_rep->enc_part.cipher.data() - cap.bytes.data()) +
                     t.ap_rep->enc_part.cipher.size() - 1;
    }
    ASSERT_TRUE(at);
    cap.bytes[*at] ^= 0x01;
    const SessionView v = signed_session(feed(cap, dc_keytab()));
    EXPECT_EQ(v.signatures.valid, 0u);
    EXPECT_EQ(v.signatures.invalid, 0u);
    EXPECT_EQ(v.signatures.unverifiable, p.signed_frames);
    EXPECT_NE(v.signatures.key_state, KeyState::Proven);
    EXPECT_EQ(v.integrity, Integrity::Unverified);
}

// No frame of the domain lab's captures has a malformed security token.
TEST_P(KerberosSample, NoMalformedTokenInTheLabsCapture) {
    const Outcome r = feed(capture(GetParam().file), dc_keytab());
    for (const auto &[frame, a] : r.anomalies)
        EXPECT_FALSE(has(a, Anomaly::MalformedSecurityToken)) << "frame " << frame;
}

// The AP-REQ's outer length made one 256 bytes too long (its DER no longer fits the SPNEGO
// token that carries it, in the SESSION_SETUP request): a malformed token in exactly that
// frame; the session has no key, and nothing is called invalid.
TEST_P(KerberosSample, BrokenApReqIsMalformedAtItsFrame) {
    const Sample &p = GetParam();
    auto cap = capture(p.file);
    std::optional<std::size_t> at; // the first byte of the AP-REQ's long-form length
    std::uint32_t frame = 0;
    for (const auto &m : cap.messages) {
        const Bytes msg = Bytes(cap.bytes).subspan(m.offset, m.size);
        for (std::size_t i = 0; !at && i + 2 < msg.size(); ++i)
            if (msg[i] == 0x6e && msg[i + 1] == 0x82 && krb::find_kerberos(msg.subspan(i)).ap_req) {
                at = m.offset + i + 2;
                frame = m.frame;
            }
    }
    ASSERT_TRUE(at);
    cap.bytes[*at] += 1;
    const Outcome r = feed(cap, dc_keytab());
    std::vector<std::uint32_t> malformed;
    for (const auto &[f, a] : r.anomalies)
        if (has(a, Anomaly::MalformedSecurityToken))
            malformed.push_back(f);
    EXPECT_EQ(malformed, std::vector<std::uint32_t>{frame});
    const SessionView &v = signed_session(r);
    EXPECT_EQ(v.signatures.valid, 0u);
    EXPECT_EQ(v.signatures.invalid, 0u);
    EXPECT_NE(v.signatures.key_state, KeyState::Proven);
}

// The machine account's AES-256 keys as secretsdump lines (one per DC the samples come
// from) do what the keytab does.
TEST_P(KerberosSample, CredentialsFileKeyLine) {
    const Sample &p = GetParam();
    std::string lines;
    for (const auto &k : dc_keytab().kerberos_keys)
        if (k.principal == "DC1$@SMBSIGN.LAB" && k.etype == 18) {
            static constexpr char kDigits[] = "0123456789abcdef";
            lines += "SMBSIGN\\DC1$:aes256-cts-hmac-sha1-96:";
            for (std::uint8_t b : k.key) {
                lines.push_back(kDigits[b >> 4]);
                lines.push_back(kDigits[b & 15]);
            }
            lines += '\n';
        }
    ASSERT_FALSE(lines.empty());
    Secrets s;
    EXPECT_TRUE(parse_credentials(lines, s).empty());
    Outcome r = feed(capture(p.file), std::move(s));
    const SessionView &v = signed_session(r);
    EXPECT_EQ(v.signatures.valid, p.signed_frames);
    EXPECT_EQ(v.integrity, Integrity::Verified);
}

// Without a key of the tickets' enctype (only the keytab's AES-128 keys), the session stays
// unverified, never invalid.
TEST_P(KerberosSample, NoKeyOfTheTicketsEnctype) {
    const Sample &p = GetParam();
    Secrets s = dc_keytab();
    std::erase_if(s.kerberos_keys, [](const KerberosKey &k) { return k.etype != 17; });
    s.credentials.clear();
    ASSERT_FALSE(s.kerberos_keys.empty());
    Outcome r = feed(capture(p.file), std::move(s));
    const SessionView &v = signed_session(r);
    EXPECT_EQ(v.signatures.valid + v.signatures.invalid, 0u);
    EXPECT_EQ(v.integrity, Integrity::Unverified);
}

// The GSS key of a capture's logon, found the way an analyst with other tools would: the
// AP-REQ and AP-REP read from the SESSION_SETUP messages and opened with the keytab.
std::string gss_key_hex(const pcap_reader::Capture &cap) {
    std::optional<krb::ApReq> req;
    std::optional<krb::ApRep> rep;
    for (const auto &m : cap.messages) {
        const Bytes msg = Bytes(cap.bytes).subspan(m.offset, m.size);
        for (std::size_t i = 0; i < msg.size(); ++i) {
            if (msg[i] != 0x60 && msg[i] != 0xa1)
                continue;
            const krb::Token t = krb::find_kerberos(msg.subspan(i));
            if (t.ap_req && !req)
                req = t.ap_req;
            if (t.ap_rep && !rep)
                rep = t.ap_rep;
        }
    }
    EXPECT_TRUE(req && rep);
    if (!req || !rep)
        return "";
    KerberosLogon logon;
    logon.ap_req(*req, dc_keytab().kerberos_keys);
    logon.ap_rep(*rep);
    const krb::KeyValue *k = logon.gss_key();
    EXPECT_NE(k, nullptr);
    std::string hex;
    static constexpr char kDigits[] = "0123456789abcdef";
    for (std::uint8_t b : k != nullptr ? k->view() : Bytes{}) {
        hex.push_back(kDigits[b >> 4]);
        hex.push_back(kDigits[b & 15]);
    }
    return hex;
}

// The session's key given by hand (a `session-key:0xID:KEY` line), for SMB1 too: SMB1 signs
// with all 32 bytes of the AES-256 subkey, SMB2/3 with the first 16; a key cut to 16 bytes
// fails SMB1's first signature and is named wrong, nothing invalid.
TEST(KerberosKeyByHand, Smb1AndSmb311SessionKeyLines) {
    for (const char *file : {"krb-smb1-signed.pcap", "krb-smb311-gmac-signed.pcap"}) {
        SCOPED_TRACE(file);
        const auto cap = capture(file);
        const std::string key = gss_key_hex(cap);
        ASSERT_EQ(key.size(), 64u);                                         // AES-256
        const std::uint64_t id = signed_session(feed(cap, dc_keytab())).id; // UID / SessionId
        char prefix[64];
        std::snprintf(prefix, sizeof prefix,
                      "session-key:0x%llx:", static_cast<unsigned long long>(id));
        Secrets whole;
        EXPECT_TRUE(parse_credentials(std::string(prefix) + key, whole).empty());
        const SessionView v = signed_session(feed(cap, std::move(whole)));
        EXPECT_EQ(v.integrity, Integrity::Verified);
        EXPECT_EQ(v.signatures.key_source, KeySource::SessionKey);
        EXPECT_EQ(v.signatures.key_state, KeyState::Proven);
        Secrets cut;
        EXPECT_TRUE(parse_credentials(std::string(prefix) + key.substr(0, 32), cut).empty());
        const Outcome r = feed(cap, std::move(cut));
        const SessionView &c = signed_session(r);
        if (std::string(file).find("smb1") != std::string::npos) {
            EXPECT_EQ(c.signatures.valid, 0u);
            EXPECT_EQ(c.signatures.invalid, 0u);
            EXPECT_EQ(c.signatures.key_state, KeyState::Wrong);
        } else {
            EXPECT_EQ(c.integrity, Integrity::Verified); // SMB2/3 only use the first 16 bytes
        }
    }
}

INSTANTIATE_TEST_SUITE_P(DomainLab, KerberosSample, ::testing::ValuesIn(kSamples),
                         [](const auto &info) {
                             std::string n = info.param.file;
                             n = n.substr(0, n.find('.'));
                             std::erase_if(n, [](char c) { return c == '-'; });
                             return n;
                         });

} // namespace
