// The password path through the KDC exchanges of the domain lab's captures (samples/README.md,
// "The domain lab"; user smbsign@SMBSIGN.LAB, documented lab password Sign1ng-Pass): the
// AS-REP opened with the password's key, the FAST-armoured TGS-REPs with the TGT's, and the
// service ticket of the SMB AP-REQ found among the tickets they issued.
#include "smbsign/krb/kdc.hpp"
#include "smbsign/krb/kerberos.hpp"
#include "smbsign/verify/kerberos.hpp"

#include "capture_feed.hpp"
#include "kdc_reader.hpp"
#include "pcap_reader.hpp"

#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <string>

namespace {

using namespace smbsign;

constexpr const char *kLabPassword = "Sign1ng-Pass";

std::string sample(const char *name) {
    return std::string(SMBSIGN_SAMPLES_DIR) + "/" + name;
}

struct Parsed {
    std::uint32_t frame;
    krb::KdcMessage m;
};

std::vector<Parsed> kdc_messages(const char *name, std::vector<kdc_reader::Message> &raw) {
    raw = kdc_reader::read(sample(name));
    std::vector<Parsed> out;
    for (const auto &r : raw) {
        krb::KdcMessage m;
        EXPECT_EQ(krb::parse_kdc_message(Bytes(r.bytes), m), ParseError::None) << r.frame;
        out.push_back({r.frame, m});
    }
    return out;
}

// The SMB SESSION_SETUP AP-REQ of a capture (its first).
std::optional<krb::ApReq> smb_ap_req(const char *name, std::vector<std::uint8_t> &keep) {
    const auto cap = pcap_reader::read(sample(name));
    keep = cap.bytes;
    for (const auto &msg : cap.messages) {
        // The blob is somewhere in the message: try each 0x60 (GSS token) or 0xa0 start.
        const Bytes all(keep.data() + msg.offset, msg.size);
        for (std::size_t i = 0; i < all.size(); ++i) {
            if (all[i] != 0x60)
                continue;
            const auto t = krb::find_kerberos(all.subspan(i));
            if (t.ap_req)
                return t.ap_req;
        }
    }
    return std::nullopt;
}

// tshark -r samples/krb-smb311-gmac-signed.pcap -Y kerberos: frame 9, 11 KRB-ERROR (UDP),
// 15 AS-REQ, 18 AS-REP, 29/41 TGS-REQ and 32/46 TGS-REP with PA-FX-FAST (136).
TEST(KdcMessages, TheLabsExchangesParse) {
    std::vector<kdc_reader::Message> raw;
    const auto msgs = kdc_messages("krb-smb311-gmac-signed.pcap", raw);
    std::map<std::uint32_t, const krb::KdcMessage *> by_frame;
    for (const auto &p : msgs)
        by_frame[p.frame] = &p.m;
    ASSERT_TRUE(by_frame.count(18) && by_frame.count(15) && by_frame.count(32));
    const auto &as_req = *by_frame[15];
    EXPECT_EQ(as_req.type, krb::kAppAsReq);
    EXPECT_EQ(as_req.client, "smbsign");
    EXPECT_EQ(as_req.realm, "SMBSIGN.LAB");
    const auto &as_rep = *by_frame[18];
    EXPECT_EQ(as_rep.type, krb::kAppAsRep);
    ASSERT_FALSE(as_rep.etype_info.empty());
    EXPECT_EQ(as_rep.etype_info[0].etype, 18); // aes256-cts-hmac-sha1-96
    ASSERT_TRUE(as_rep.etype_info[0].salt.has_value());
    EXPECT_EQ(std::string(as_rep.etype_info[0].salt->begin(), as_rep.etype_info[0].salt->end()),
              "SMBSIGN.LABsmbsign");
    const auto &tgs_req = *by_frame[29];
    EXPECT_EQ(tgs_req.type, krb::kAppTgsReq);
    EXPECT_TRUE(tgs_req.tgs_ap_req.has_value());
    EXPECT_TRUE(tgs_req.fast);
    const auto &tgs_rep = *by_frame[32];
    EXPECT_EQ(tgs_rep.type, krb::kAppTgsRep);
    EXPECT_TRUE(tgs_rep.fast_rep.has_value());
}

struct Walk {
    verify::KdcPasswordPath path;
    std::optional<krb::ApReq> smb;
    std::vector<std::uint8_t> smb_bytes;
    std::vector<kdc_reader::Message> raw;
};

void walk(const char *name, const char *password, Walk &w) {
    std::vector<verify::KerberosPassword> pw;
    if (password != nullptr)
        pw.emplace_back("smbsign", "SMBSIGN", password);
    for (const auto &p : kdc_messages(name, w.raw))
        w.path.message(p.m, pw);
    w.smb = smb_ap_req(name, w.smb_bytes);
}

// The password path holds the key of the SMB AP-REQ's ticket: it opens that AP-REQ's
// authenticator (usage 11), which carries its own integrity check.
void expect_smb_tickets_key(const Walk &w) {
    ASSERT_TRUE(w.smb.has_value());
    const krb::KeyValue *k = w.path.service_key(w.smb->ticket.cipher);
    ASSERT_NE(k, nullptr);
    const auto auth =
        krb::decrypt(k->etype, k->view(), krb::kUsageAuthenticator, w.smb->authenticator.cipher);
    ASSERT_TRUE(auth.has_value());
    EXPECT_TRUE(krb::is_part(auth->view(), krb::kAppAuthenticator));
}

class KdcPasswordSample : public ::testing::TestWithParam<const char *> {};

TEST_P(KdcPasswordSample, ThePasswordReachesTheSmbTicketsSessionKey) {
    Walk w;
    walk(GetParam(), kLabPassword, w);
    EXPECT_EQ(w.path.counts().as_opened, 1u);
    EXPECT_EQ(w.path.counts().as_wrong, 0u);
    EXPECT_GE(w.path.counts().tgs_opened, 1u);
    EXPECT_EQ(w.path.counts().tgs_unopened, 0u);
    expect_smb_tickets_key(w);
}

TEST_P(KdcPasswordSample, AWrongPasswordOpensNothingAndIsKnown) {
    Walk w;
    walk(GetParam(), "not-the-password", w);
    EXPECT_EQ(w.path.counts().as_opened, 0u);
    EXPECT_EQ(w.path.counts().as_wrong, 1u);
    ASSERT_TRUE(w.smb.has_value());
    EXPECT_EQ(w.path.service_key(w.smb->ticket.cipher), nullptr);
}

INSTANTIATE_TEST_SUITE_P(DomainLab, KdcPasswordSample,
                         ::testing::Values("krb-smb1-signed.pcap", "krb-smb202-signed.pcap",
                                           "krb-smb21-signed.pcap", "krb-smb30-signed.pcap",
                                           "krb-smb311-gmac-signed.pcap",
                                           "krb-smb311-cmac-signed.pcap"));

// A domain's logons come from few users: each one's key is derived once (string-to-key is
// thousands of PBKDF2 iterations), not once per AS-REP.
TEST_P(KdcPasswordSample, TheUsersKeyIsDerivedOncePerPasswordAndSalt) {
    Walk w;
    walk(GetParam(), kLabPassword, w);
    walk(GetParam(), kLabPassword, w); // the same logon again: a second AS-REP
    EXPECT_EQ(w.path.counts().as_opened, 2u);
    EXPECT_EQ(w.path.counts().keys_derived, 1u);
    EXPECT_FALSE(w.path.overflowed());
}

// An AS-REP need not repeat the PA-ETYPE-INFO2 of the KDC_ERR_PREAUTH_REQUIRED before it
// (RFC 4120 5.2.7.5), and the client may name itself in another case than the account's salt
// (`kinit SMBSIGN`): the key is derived with the error's salt, as the client derived it.
TEST(KdcPassword, TheSaltOfThePreauthErrorServesAnAsRepWithoutOne) {
    for (const bool with_errors : {true, false}) {
        std::vector<kdc_reader::Message> raw;
        std::vector<verify::KerberosPassword> pw;
        pw.emplace_back("", "", kLabPassword);
        verify::KdcPasswordPath path;
        for (auto p : kdc_messages("krb-smb311-gmac-signed.pcap", raw)) {
            if (p.m.type == krb::kAppKrbError && !with_errors)
                continue;
            if (p.m.type == krb::kAppAsRep) {
                p.m.etype_info.clear();
                p.m.client = "SMBSIGN"; // default salt SMBSIGN.LABSMBSIGN: not the account's
            }
            path.message(p.m, pw);
        }
        EXPECT_EQ(path.counts().as_opened, with_errors ? 1u : 0u) << with_errors;
        EXPECT_EQ(path.counts().as_wrong, with_errors ? 0u : 1u) << with_errors;
    }
}

// krb-smb311-ccache-signed got its tickets before the capture: no AS-REP to open, so the
// password reaches no ticket.
TEST(KdcPassword, WithoutTheExchangesThePasswordReachesNothing) {
    Walk w;
    walk("krb-smb311-ccache-signed.pcap", kLabPassword, w);
    EXPECT_FALSE(w.path.saw_kdc());
    EXPECT_EQ(w.path.counts().as_opened + w.path.counts().tgs_opened, 0u);
    ASSERT_TRUE(w.smb.has_value());
    EXPECT_EQ(w.path.service_key(w.smb->ticket.cipher), nullptr);
}

} // namespace

namespace {

using testutil::feed;
using testutil::Outcome;
using verify::Integrity;
using verify::KeySource;
using verify::KeyState;
using verify::Status;

verify::Secrets lab_password(const char *password = kLabPassword) {
    verify::Secrets s;
    EXPECT_TRUE(s.add_password(password)); // as ntlmssp.nt_password gives it: any user
    return s;
}

const SessionView *signed_session(const Outcome &r) {
    for (const auto &v : r.sessions)
        if (v.signatures.valid + v.signatures.invalid + v.signatures.unverifiable > 0)
            return &v;
    return nullptr;
}

// With only the password (and the KDC exchanges of the capture), every signed message is
// valid; the counts are krb_capture_test.cpp's, from tshark's signed-frame filters.
struct Signed {
    const char *file;
    std::size_t frames;
};
class PasswordOnly : public ::testing::TestWithParam<Signed> {};

TEST_P(PasswordOnly, EverySignedMessageIsValid) {
    const auto cap = pcap_reader::read(sample(GetParam().file));
    const Outcome r = feed(cap, lab_password(), kdc_reader::read(sample(GetParam().file)));
    EXPECT_EQ(r.by_frame.size(), GetParam().frames);
    for (const auto &[frame, code] : r.by_frame)
        EXPECT_EQ(verify::status_of(code), Status::Valid) << "frame " << frame;
    const SessionView *v = signed_session(r);
    ASSERT_NE(v, nullptr);
    EXPECT_EQ(v->signatures.key_source, KeySource::KerberosPassword);
    EXPECT_EQ(v->signatures.key_state, KeyState::Proven);
    EXPECT_EQ(v->integrity, Integrity::Verified);
}

// The last byte of the 10th signed frame changed: invalid there and only there.
TEST_P(PasswordOnly, AlteredMessageIsInvalidAtExactlyThatFrame) {
    auto cap = pcap_reader::read(sample(GetParam().file));
    const auto kdc = kdc_reader::read(sample(GetParam().file));
    const Outcome good = feed(cap, lab_password(), kdc);
    ASSERT_GT(good.by_frame.size(), 10u);
    const std::uint32_t frame = std::next(good.by_frame.begin(), 10)->first;
    for (const auto &m : cap.messages)
        if (m.frame == frame) {
            cap.bytes[m.offset + m.size - 1] ^= 0x01;
            break;
        }
    const Outcome r = feed(cap, lab_password(), kdc);
    for (const auto &[f, code] : r.by_frame)
        EXPECT_EQ(verify::status_of(code), f == frame ? Status::Invalid : Status::Valid)
            << "frame " << f;
}

// A wrong password: the AS-REP's integrity check refuses it, the key is known to be wrong,
// and nothing is called invalid. After a FAST-armoured AS exchange whose armor is the refused
// TGT, whose logon it is cannot be known (the armour hides the client): not called wrong.
TEST_P(PasswordOnly, WrongPasswordIsKnownAndNothingIsInvalid) {
    const auto cap = pcap_reader::read(sample(GetParam().file));
    const Outcome r =
        feed(cap, lab_password("not-the-password"), kdc_reader::read(sample(GetParam().file)));
    const SessionView *v = signed_session(r);
    ASSERT_NE(v, nullptr);
    EXPECT_EQ(v->signatures.valid, 0u);
    EXPECT_EQ(v->signatures.invalid, 0u);
    if (std::string(GetParam().file) == "krb-smb311-fast-signed.pcap") {
        EXPECT_EQ(v->signatures.key_state, KeyState::Unknown);
        return;
    }
    EXPECT_EQ(v->signatures.key_source, KeySource::KerberosPassword);
    EXPECT_EQ(v->signatures.key_state, KeyState::Wrong);
}

// A capture with another logon's AS exchange, which refuses the password, and a session whose
// tickets were got before the capture: that session's user was never tried, so its key is
// not called wrong (before, any refused AS-REP made every key-less Kerberos session `wrong`).
TEST(PasswordOnlyTwoUsers, ARefusedLogonDoesNotMakeAnotherSessionsKeyWrong) {
    const char *file = "krb-smb311-ccache-signed.pcap";
    std::vector<kdc_reader::Message> kdc;
    for (auto &m : kdc_reader::read(sample("krb-smb311-gmac-signed.pcap"))) {
        krb::KdcMessage parsed;
        if (krb::parse_kdc_message(Bytes(m.bytes), parsed) == ParseError::None &&
            parsed.type == krb::kAppAsRep) {
            m.frame = 1; // before everything of the ccache capture
            kdc.push_back(std::move(m));
        }
    }
    ASSERT_EQ(kdc.size(), 1u);
    for (auto &m : kdc_reader::read(sample(file)))
        kdc.push_back(std::move(m));
    const Outcome r = feed(pcap_reader::read(sample(file)), lab_password("not-the-password"), kdc);
    const SessionView *v = signed_session(r);
    ASSERT_NE(v, nullptr);
    EXPECT_EQ(v->signatures.valid + v->signatures.invalid, 0u);
    EXPECT_NE(v->signatures.key_state, KeyState::Wrong);
    for (const auto &[frame, code] : r.by_frame)
        EXPECT_EQ(verify::reason_of(code), verify::Reason::KerberosNoKey) << "frame " << frame;
}

INSTANTIATE_TEST_SUITE_P(DomainLab, PasswordOnly,
                         ::testing::Values(Signed{"krb-smb1-signed.pcap", 33},
                                           Signed{"krb-smb202-signed.pcap", 55},
                                           Signed{"krb-smb21-signed.pcap", 55},
                                           Signed{"krb-smb30-signed.pcap", 55},
                                           Signed{"krb-smb311-gmac-signed.pcap", 51},
                                           Signed{"krb-smb311-cmac-signed.pcap", 51},
                                           Signed{"krb-smb311-fast-signed.pcap", 51}));

// An AS exchange armoured with FAST (MIT kinit -T) by a TGT of the capture's own first AS
// exchange: the armor key (the armor AP-REQ's subkey and that TGT's key) opens the
// KrbFastResponse, whose strengthen-key and PA-ETYPE-INFO2 give the reply key.
TEST(KdcPasswordFast, TheArmouredAsExchangeOpensThroughTheCapturesOwnTgt) {
    Walk w;
    walk("krb-smb311-fast-signed.pcap", kLabPassword, w);
    EXPECT_EQ(w.path.counts().as_opened, 2u); // the armor's TGT, then the armoured logon
    EXPECT_EQ(w.path.counts().as_wrong, 0u);
    EXPECT_EQ(w.path.counts().as_armour_unopened, 0u);
    EXPECT_EQ(w.path.counts().keys_derived, 1u); // one user, one salt
    expect_smb_tickets_key(w);
}

// The armoured AS-REQ sent again and again before its reply (a replay): one armor key is
// kept, not one per copy, so no table fills and the reply still opens.
TEST(KdcPasswordFast, ARepeatedArmouredRequestKeepsOneArmorKey) {
    std::vector<kdc_reader::Message> raw;
    const auto msgs = kdc_messages("krb-smb311-fast-signed.pcap", raw);
    std::vector<verify::KerberosPassword> pw;
    pw.emplace_back("smbsign", "SMBSIGN", kLabPassword);
    verify::KdcPasswordPath path;
    for (const auto &p : msgs) {
        const bool armoured_request = p.m.type == krb::kAppAsReq && p.m.fast_armor.has_value();
        for (int i = 0; i < (armoured_request ? 100 : 1); ++i)
            path.message(p.m, pw);
    }
    EXPECT_EQ(path.counts().as_opened, 2u);
    EXPECT_EQ(path.counts().as_armour_unopened, 0u);
    EXPECT_FALSE(path.overflowed());
}

// Armoured by a TGT got before the capture: the AS-REP cannot be opened, and that says
// nothing about the password (the plain key cannot open a strengthened reply).
TEST(KdcPasswordFast, ArmourFromOutsideTheCaptureIsNotAWrongPassword) {
    Walk w;
    walk("krb-smb311-fast-outside-signed.pcap", kLabPassword, w);
    EXPECT_EQ(w.path.counts().as_opened, 0u);
    EXPECT_EQ(w.path.counts().as_wrong, 0u);
    EXPECT_EQ(w.path.counts().as_armour_unopened, 1u);
    ASSERT_TRUE(w.smb.has_value());
    EXPECT_EQ(w.path.service_key(w.smb->ticket.cipher), nullptr);
}

// The same through the verifier: no key is called wrong, nothing valid or invalid, and each
// message says why a password cannot reach it.
TEST(PasswordOnlyFast, ArmourFromOutsideTheCaptureGivesNoVerdictAndSaysWhy) {
    const char *file = "krb-smb311-fast-outside-signed.pcap";
    const Outcome r =
        feed(pcap_reader::read(sample(file)), lab_password(), kdc_reader::read(sample(file)));
    const SessionView *v = signed_session(r);
    ASSERT_NE(v, nullptr);
    EXPECT_EQ(v->signatures.valid + v->signatures.invalid, 0u);
    EXPECT_EQ(v->signatures.unverifiable, 51u);
    EXPECT_NE(v->signatures.key_state, KeyState::Wrong);
    EXPECT_NE(v->signatures.key_state, KeyState::Proven);
    for (const auto &[frame, code] : r.by_frame)
        EXPECT_EQ(verify::reason_of(code), verify::Reason::KerberosArmour) << "frame " << frame;
}

// Tickets got before the capture: the password reaches no key; nothing is valid or invalid,
// no key is claimed, and each message says why: the ticket was not opened (not the generic
// "no usable key" of NTLMv1).
TEST(PasswordOnlyCcache, NoKdcExchangeNoKeyNoVerdict) {
    const char *file = "krb-smb311-ccache-signed.pcap";
    const Outcome r =
        feed(pcap_reader::read(sample(file)), lab_password(), kdc_reader::read(sample(file)));
    const SessionView *v = signed_session(r);
    ASSERT_NE(v, nullptr);
    EXPECT_EQ(v->signatures.valid + v->signatures.invalid, 0u);
    EXPECT_GT(v->signatures.unverifiable, 0u);
    EXPECT_NE(v->signatures.key_state, KeyState::Proven);
    for (const auto &[frame, code] : r.by_frame)
        EXPECT_EQ(verify::reason_of(code), verify::Reason::KerberosNoKey) << "frame " << frame;
}

} // namespace

namespace {

// RFC 3962 4, RFC 8009 4: the iteration count params carry, and the enctypes' defaults.
TEST(StringToKey, IterationCountsComeFromTheParamsOrTheEnctypesDefault) {
    const std::uint8_t four_k[] = {0, 0, 0x10, 0};
    const std::uint8_t huge[] = {0, 0x10, 0, 0};
    const std::uint8_t short_params[] = {0x10, 0};
    EXPECT_EQ(krb::s2k_iterations(18, {}), 4096u);
    EXPECT_EQ(krb::s2k_iterations(20, {}), 32768u);
    EXPECT_EQ(krb::s2k_iterations(23, {}), 0u); // rc4-hmac: MD4, no iterations
    EXPECT_EQ(krb::s2k_iterations(17, Bytes(four_k, 4)), 4096u);
    EXPECT_EQ(krb::s2k_iterations(18, Bytes(huge, 4)), 1u << 20);
    EXPECT_FALSE(krb::s2k_iterations(18, Bytes(short_params, 2)).has_value());
    // A capture's params ask for 2^20 iterations: refused, not run.
    EXPECT_FALSE(krb::string_to_key(18, "password", "SALT", Bytes(huge, 4)).has_value());
    EXPECT_TRUE(krb::string_to_key(18, "password", "SALT", Bytes(four_k, 4)).has_value());
}

// The lab's AS-REP fed again and again, each copy with a salt of its own (and s2kparams if
// given), for a password given without a user: what a hostile capture can make the
// password path do.
class HostileAsReps : public ::testing::Test {
protected:
    void SetUp() override {
        msgs_ = kdc_messages("krb-smb311-gmac-signed.pcap", raw_);
        for (const auto &p : msgs_)
            if (p.m.type == krb::kAppAsRep)
                as_rep_ = &p.m;
        ASSERT_NE(as_rep_, nullptr);
        passwords_.emplace_back("", "", kLabPassword);
    }
    void feed_copy(std::size_t i, Bytes params = {}) {
        krb::KdcMessage m = *as_rep_;
        const std::string salt = "SALT" + std::to_string(i);
        for (krb::EtypeInfo &e : m.etype_info) {
            e.salt = Bytes(reinterpret_cast<const std::uint8_t *>(salt.data()), salt.size());
            if (!params.empty())
                e.s2kparams = params;
        }
        path_.message(m, passwords_);
    }

    std::vector<kdc_reader::Message> raw_;
    std::vector<Parsed> msgs_;
    const krb::KdcMessage *as_rep_ = nullptr;
    std::vector<verify::KerberosPassword> passwords_;
    verify::KdcPasswordPath path_;
};

// Ever new salts: the string-to-key work stops at the budget and says so.
TEST_F(HostileAsReps, EverNewSaltsSpendTheDerivationBudgetAndSaySo) {
    const std::size_t n = verify::KdcPasswordPath::kDerivationBudget + 40;
    for (std::size_t i = 0; i < n; ++i)
        feed_copy(i);
    EXPECT_EQ(path_.counts().keys_derived, verify::KdcPasswordPath::kDerivationBudget);
    EXPECT_EQ(path_.counts().as_wrong, n);
    EXPECT_TRUE(path_.overflowed());
}

// PA-ETYPE-INFO2 asking for 2^20 PBKDF2 iterations: refused without running, each costs one
// unit of the budget, and the genuine AS-REP after them still opens.
TEST_F(HostileAsReps, RefusedIterationCountsCostLittleAndTheRealLogonStillOpens) {
    const std::uint8_t huge[] = {0, 0x10, 0, 0};
    for (std::size_t i = 0; i < 100; ++i)
        feed_copy(i, Bytes(huge, 4));
    EXPECT_EQ(path_.counts().as_wrong, 100u);
    EXPECT_FALSE(path_.overflowed());
    path_.message(*as_rep_, passwords_);
    EXPECT_EQ(path_.counts().as_opened, 1u);
}

} // namespace
