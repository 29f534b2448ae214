// NTLM facts and relay linking (relay.hpp), on real bytes: the lab samples (samples/README.md)
// and the relay captures of samples/generate-relay (impacket ntlmrelayx between a victim at
// 10.78.0.2, the relaying host 10.78.0.3 and a Samba target 10.78.0.4), fed message by message
// as the plugin feeds them, addresses included.
#include "smbsign/relay.hpp"
#include "smbsign/tracker.hpp"

#include "hex.hpp"
#include "pcap_reader.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace {

using namespace smbsign;

std::string dotted(std::uint32_t le) {
    return std::to_string(le & 0xff) + "." + std::to_string((le >> 8) & 0xff) + "." +
           std::to_string((le >> 16) & 0xff) + "." + std::to_string(le >> 24);
}

pcap_reader::Capture sample(const std::string &name) {
    auto cap = pcap_reader::read(std::string(SMBSIGN_SAMPLES_DIR) + "/" + name);
    EXPECT_FALSE(cap.messages.empty()) << name;
    return cap;
}

// Feeds the messages of the frames after `after` up to and including `last` (all by
// default), giving the addresses when the tracker asks for them, as the plugin does.
void feed(Tracker &t, const pcap_reader::Capture &cap, std::uint32_t last = 0xffffffffu,
          std::uint32_t after = 0) {
    for (const auto &m : cap.messages) {
        if (m.frame <= after)
            continue;
        if (m.frame > last)
            break;
        t.on_pdu(m.conn, m.side, m.frame, Bytes(cap.bytes).subspan(m.offset, m.size), m.size);
        if (t.wants_endpoints(m.conn))
            t.set_endpoints(m.conn, m.side, dotted(m.src_ip), dotted(m.dst_ip));
    }
}

std::vector<SessionView> views(const Tracker &t) {
    std::vector<SessionView> v;
    for (std::uint32_t i = 0; i < t.session_count(); ++i)
        v.push_back(t.view(i));
    return v;
}

// The NTLMv2 NTProofStr of the AUTHENTICATE in `frame` (what must never be shown).
std::string proof_hex(const pcap_reader::Capture &cap, std::uint32_t frame) {
    for (const auto &m : cap.messages) {
        if (m.frame != frame)
            continue;
        const auto msg =
            find_ntlmssp(Bytes(cap.bytes).subspan(m.offset, m.size), ntlm::kMessageAuthenticate);
        NtlmAuthenticate a;
        if (msg && parse_ntlm_authenticate(*msg, a) == ParseError::None)
            return testutil::hex_of(a.nt_response.first(ntlm::kNtProofStrSize));
    }
    return {};
}

// --- NTLM facts -----------------------------------------------------------------------

// samples/smb2-signed-readwrite.pcap: smbclient (SMBSIGN-CLI) logs on as SMBSIGN\smbsign to
// Samba SMBSIGN-SRV at 10.77.0.1; NTLM NEGOTIATE in frame 8, CHALLENGE 9, AUTHENTICATE 10.
TEST(NtlmFacts, LabLogonFromRealBytes) {
    Tracker t;
    const auto cap = sample("smb2-signed-readwrite.pcap");
    feed(t, cap);
    const SessionView v = t.view(0);
    ASSERT_NE(v.ntlm, nullptr);
    const NtlmFacts &f = *v.ntlm;
    EXPECT_EQ(f.user, "smbsign");
    EXPECT_EQ(f.domain, "SMBSIGN");
    EXPECT_EQ(f.workstation, "SMBSIGN-CLI");
    EXPECT_EQ(f.server_nb_name, "SMBSIGN-SRV");
    EXPECT_FALSE(f.server_dns_name.empty());
    EXPECT_EQ(f.target_name, "cifs/10.77.0.1");
    EXPECT_TRUE(f.negotiate_seen && f.challenge_seen && f.authenticate_seen && f.ntlmv2);
    EXPECT_TRUE(f.mic);
    EXPECT_TRUE(f.mic_promised);
    EXPECT_EQ(f.authenticate_flags, 0x62088215u); // sign, seal, key exchange, ...
    EXPECT_EQ(f.authenticate_frame, 10u);
    EXPECT_EQ(f.challenge_frame, 9u);
    // An ordinary logon: no relay evidence at all.
    EXPECT_EQ(v.relay.role, RelayRole::None);
    EXPECT_EQ(v.relay.signals, 0);
}

TEST(NtlmFacts, FingerprintIsShortAndNotTheProof) {
    const auto cap = sample("smb2-signed-readwrite.pcap");
    Tracker t;
    feed(t, cap);
    const NtlmFacts &f = *t.view(0).ntlm;
    const std::string proof = proof_hex(cap, f.authenticate_frame);
    ASSERT_EQ(proof.size(), 32u);
    EXPECT_EQ(proof, testutil::hex_of(Bytes(f.proof)));
    char fp[9];
    std::snprintf(fp, sizeof fp, "%08x", f.proof_fingerprint);
    EXPECT_EQ(proof.find(fp), std::string::npos);
    // Stable (goldens and cross-capture linking rely on it), and different for another proof.
    EXPECT_EQ(relay::fingerprint(Bytes(f.proof)), f.proof_fingerprint);
    auto other = f.proof;
    other[15] ^= 1;
    EXPECT_NE(relay::fingerprint(Bytes(other)), f.proof_fingerprint);
    // No text fact carries any 4 bytes of the proof in hex.
    for (const std::string_view s :
         {f.user, f.domain, f.workstation, f.server_nb_name, f.server_dns_name, f.target_name})
        for (std::size_t i = 0; i + 8 <= proof.size(); i += 2)
            EXPECT_EQ(s.find(proof.substr(i, 8)), std::string::npos);
}

TEST(NtlmFacts, AvPairsStopAtTheEnd) {
    // MsvAvNbComputerName "A" then MsvAvEol.
    const std::vector<std::uint8_t> pairs = {1, 0, 2, 0, 'A', 0, 0, 0, 0, 0};
    const auto nb = find_av_pair(pairs, ntlm::kAvNbComputerName);
    ASSERT_TRUE(nb.has_value());
    EXPECT_EQ(ntlm_text(*nb, true), "A");
    EXPECT_FALSE(find_av_pair(pairs, ntlm::kAvTargetName).has_value());
    // One byte short inside the value: nothing, not a read past the end.
    EXPECT_FALSE(find_av_pair(Bytes(pairs).first(5), ntlm::kAvNbComputerName).has_value());
    // Exactly the first pair, without Eol.
    EXPECT_TRUE(find_av_pair(Bytes(pairs).first(6), ntlm::kAvNbComputerName).has_value());
}

TEST(NtlmFacts, TextIsBoundedAndSafeForCsv) {
    const std::vector<std::uint8_t> name = {'a', 0, ',', 0, '"', 0, '\\', 0, 0x0a, 0, 0xe9, 0};
    EXPECT_EQ(ntlm_text(name, true), "a????\xc3\xa9");
    const std::vector<std::uint8_t> long_name(400, 'x');
    EXPECT_LE(ntlm_text(long_name, false).size(), 64u);
}

// --- One-leg rules ----------------------------------------------------------------------

NtlmFacts logon(std::string target, std::string nb, std::string dns) {
    NtlmFacts f;
    f.challenge_seen = f.authenticate_seen = f.ntlmv2 = true;
    f.target_name = std::move(target);
    f.server_nb_name = std::move(nb);
    f.server_dns_name = std::move(dns);
    return f;
}

TEST(RelayRules, TargetName) {
    using relay::target_name_elsewhere;
    EXPECT_FALSE(target_name_elsewhere(logon("cifs/10.0.0.5", "SRV", "srv.lab"), "10.0.0.5"));
    EXPECT_TRUE(target_name_elsewhere(logon("cifs/10.0.0.9", "SRV", "srv.lab"), "10.0.0.5"));
    EXPECT_FALSE(target_name_elsewhere(logon("cifs/SRV", "SRV", "srv.lab"), "10.0.0.5"));
    EXPECT_FALSE(target_name_elsewhere(logon("cifs/srv.lab.example", "SRV", ""), "10.0.0.5"));
    EXPECT_FALSE(target_name_elsewhere(logon("cifs/srv:445", "SRV", ""), ""));
    EXPECT_TRUE(target_name_elsewhere(logon("cifs/other.lab", "SRV", "srv.lab"), "10.0.0.5"));
    // What proves nothing: no target name, an address against an unknown server address,
    // a name against a server whose names are unknown, localhost.
    EXPECT_FALSE(target_name_elsewhere(logon("", "SRV", "srv.lab"), "10.0.0.5"));
    EXPECT_FALSE(target_name_elsewhere(logon("cifs/10.0.0.9", "SRV", "srv.lab"), ""));
    EXPECT_FALSE(target_name_elsewhere(logon("cifs/other", "", ""), "10.0.0.5"));
    EXPECT_FALSE(target_name_elsewhere(logon("cifs/localhost", "SRV", ""), "10.0.0.5"));
    NtlmFacts no_challenge = logon("cifs/other", "SRV", "");
    no_challenge.challenge_seen = false;
    EXPECT_FALSE(target_name_elsewhere(no_challenge, "10.0.0.5"));
}

TEST(RelayRules, FlagsDroppedOnlyWhenAskedAndGranted) {
    NtlmFacts f = logon("", "", "");
    f.negotiate_seen = true;
    f.negotiate_flags = ntlm::kFlagSign | ntlm::kFlagKeyExchange;
    f.challenge_flags = ntlm::kFlagSign | ntlm::kFlagKeyExchange;
    f.authenticate_flags = ntlm::kFlagSign | ntlm::kFlagKeyExchange;
    EXPECT_FALSE(relay::flags_dropped(f));
    f.authenticate_flags = ntlm::kFlagSign;
    EXPECT_TRUE(relay::flags_dropped(f));
    f.challenge_flags = ntlm::kFlagSign; // the server did not grant key exchange
    EXPECT_FALSE(relay::flags_dropped(f));
}

TEST(RelayRules, Outcome) {
    EXPECT_EQ(relay::outcome_of(Observed::Established, Policy::Enabled), RelayOutcome::Worked);
    EXPECT_EQ(relay::outcome_of(Observed::DeniedAtTreeConnect, Policy::Required),
              RelayOutcome::FailedSigning);
    EXPECT_EQ(relay::outcome_of(Observed::AuthFailed, Policy::Enabled), RelayOutcome::FailedAuth);
    EXPECT_EQ(relay::outcome_of(Observed::Incomplete, Policy::Enabled), RelayOutcome::Incomplete);
}

// --- Ordinary traffic stays clean -------------------------------------------------------

TEST(RelayLinking, OrdinarySamplesCarryNoRelayEvidence) {
    for (const char *name : {"smb2-signed-readwrite.pcap", "smb1-cli-required-srv-required.pcap",
                             "smb311-signed-readwrite.pcap", "smb1-impacket-server-uid-reuse.pcap",
                             "relay-control.pcap"}) {
        Tracker t;
        feed(t, sample(name));
        for (const SessionView &v : views(t)) {
            EXPECT_EQ(v.relay.role, RelayRole::None) << name << " session " << v.number;
            EXPECT_EQ(v.relay.signals, 0) << name << " session " << v.number;
        }
    }
}

// --- Both legs --------------------------------------------------------------------------

constexpr RelaySignals kLinked = bit(RelaySignal::SameResponse) | bit(RelaySignal::SameChallenge);

// samples/relay-smb2-works.pcap: smbclient at 10.78.0.2 logs on to the relaying host 10.78.0.3
// (session 1), which relays to Samba at 10.78.0.4 (session 2). The target's CHALLENGE is frame
// 21, forwarded to the victim in 22; the victim's AUTHENTICATE is 23, replayed to the target
// in 24.
TEST(RelayLinking, BothLegsLinkedWithRolesAndOutcome) {
    Tracker t;
    feed(t, sample("relay-smb2-works.pcap"));
    const auto v = views(t);
    ASSERT_EQ(v.size(), 2u);
    EXPECT_EQ(v[0].relay.role, RelayRole::Victim);
    EXPECT_EQ(v[0].relay.peer_frame, 24u);
    EXPECT_EQ(v[0].relay.peer_session, 1u);
    EXPECT_EQ(v[0].relay.signals, kLinked);
    EXPECT_EQ(v[0].relay.frame, 23u);
    EXPECT_EQ(v[1].relay.role, RelayRole::Relayed);
    EXPECT_EQ(v[1].relay.peer_frame, 23u);
    // smbclient names the host it connected to: cifs/10.78.0.3 reaches 10.78.0.4.
    EXPECT_EQ(v[1].relay.signals, kLinked | bit(RelaySignal::TargetName));
    EXPECT_EQ(v[1].ntlm->target_name, "cifs/10.78.0.3");
    EXPECT_EQ(v[0].ntlm->server_nb_name, "SMBSIGN-TGT"); // the target's name, seen by the victim
    EXPECT_EQ(v[1].relay.outcome, RelayOutcome::Worked);
    EXPECT_EQ(v[0].relay.outcome, RelayOutcome::Worked); // the victim leg shows its relay's
    EXPECT_EQ(v[0].ntlm->proof_fingerprint, v[1].ntlm->proof_fingerprint);
}

// One pass links a leg to what came before it: nothing before the forwarded CHALLENGE, the
// challenge after frame 22, the response after frame 24.
TEST(RelayLinking, OnePassLinksToEarlierLegs) {
    const auto cap = sample("relay-smb2-works.pcap");
    Tracker t;
    feed(t, cap, 21);
    ASSERT_EQ(t.session_count(), 2u);
    EXPECT_EQ(t.view(1).relay.role, RelayRole::None);
    Tracker t2;
    feed(t2, cap, 22);
    EXPECT_EQ(t2.view(0).relay.role, RelayRole::Victim);
    EXPECT_EQ(t2.view(0).relay.signals, bit(RelaySignal::SameChallenge));
    EXPECT_EQ(t2.view(0).relay.peer_frame, 21u); // the relayed leg's CHALLENGE, no AUTH yet
    Tracker t3;
    feed(t3, cap, 24);
    EXPECT_EQ(t3.view(1).relay.signals & kLinked, kLinked);
}

// The same on one tracker whose views are asked between the frames, as the first pass asks
// them on every frame: each answer follows what the frames so far show (a view asked again
// after a change is derived again, not the one kept from before it).
TEST(RelayLinking, ViewsAskedBetweenFramesFollowTheLinking) {
    const auto cap = sample("relay-smb2-works.pcap");
    Tracker t;
    feed(t, cap, 21);
    EXPECT_EQ(t.view(1).relay.role, RelayRole::None);
    EXPECT_EQ(t.view(0).relay.role, RelayRole::None);
    feed(t, cap, 22, 21);
    EXPECT_EQ(t.view(0).relay.role, RelayRole::Victim);
    EXPECT_EQ(t.view(0).relay.signals, bit(RelaySignal::SameChallenge));
    EXPECT_EQ(t.view(0).relay.peer_frame, 21u);
    feed(t, cap, 24, 22);
    EXPECT_EQ(t.view(0).relay.peer_frame, 24u);
    EXPECT_EQ(t.view(1).relay.signals & kLinked, kLinked);
    feed(t, cap, 0xffffffffu, 24);
    EXPECT_EQ(t.view(1).relay.outcome, RelayOutcome::Worked);
}

TEST(RelayLinking, SigningRequiredTargetFails) {
    Tracker t;
    feed(t, sample("relay-smb2-signing-required.pcap"));
    const auto v = views(t);
    ASSERT_EQ(v.size(), 2u);
    EXPECT_EQ(v[1].relay.role, RelayRole::Relayed);
    EXPECT_EQ(v[1].server, Policy::Required);
    EXPECT_EQ(v[1].observed, Observed::DeniedAtTreeConnect);
    EXPECT_EQ(v[1].relay.outcome, RelayOutcome::FailedSigning);
    EXPECT_EQ(v[0].relay.outcome, RelayOutcome::FailedSigning);
}

// samples/relay-smb1-to-smb2.pcap: an SMB1 victim relayed over SMB 3.0; ntlmrelayx first opens
// a connection to the target that only negotiates (session 2, no NTLM logon).
TEST(RelayLinking, Smb1VictimRelayedOverSmb2) {
    Tracker t;
    feed(t, sample("relay-smb1-to-smb2.pcap"));
    const auto v = views(t);
    ASSERT_EQ(v.size(), 3u);
    EXPECT_EQ(v[0].family, Family::Smb1);
    EXPECT_EQ(v[0].relay.role, RelayRole::Victim);
    EXPECT_EQ(v[0].relay.peer_session, 2u);
    EXPECT_EQ(v[1].relay.role, RelayRole::None);
    EXPECT_EQ(v[2].family, Family::Smb2);
    EXPECT_EQ(v[2].relay.role, RelayRole::Relayed);
    EXPECT_EQ(v[2].relay.outcome, RelayOutcome::Worked);
}

// --remove-mic: the relayed AUTHENTICATE lost the MIC the victim's carried (and its NTLMv2
// MsvAvFlags still promise), and the forwarded NEGOTIATE lost sign and key exchange; Samba
// checks the MIC and refuses the logon.
TEST(RelayLinking, RemoveMic) {
    Tracker t;
    feed(t, sample("relay-remove-mic.pcap"));
    const auto v = views(t);
    ASSERT_EQ(v.size(), 2u);
    EXPECT_TRUE(v[0].ntlm->mic);
    EXPECT_FALSE(v[1].ntlm->mic);
    EXPECT_TRUE(v[1].ntlm->mic_promised);
    EXPECT_NE(v[1].relay.signals & bit(RelaySignal::MicDropped), 0);
    EXPECT_NE(v[1].relay.signals & bit(RelaySignal::FlagsDropped), 0);
    EXPECT_EQ(v[1].relay.outcome, RelayOutcome::FailedAuth);
}

TEST(RelayLinking, Reflection) {
    Tracker t;
    feed(t, sample("relay-reflection.pcap"));
    const auto v = views(t);
    ASSERT_EQ(v.size(), 2u);
    EXPECT_NE(v[0].relay.signals & bit(RelaySignal::Reflection), 0);
    EXPECT_NE(v[1].relay.signals & bit(RelaySignal::Reflection), 0);
    EXPECT_EQ(v[1].relay.role, RelayRole::Relayed);
    // Without the addresses nothing says the relayed leg's server is the victim.
    Tracker blind;
    const auto cap = sample("relay-reflection.pcap");
    for (const auto &m : cap.messages)
        blind.on_pdu(m.conn, m.side, m.frame, Bytes(cap.bytes).subspan(m.offset, m.size), m.size);
    EXPECT_EQ(blind.view(1).relay.signals & bit(RelaySignal::Reflection), 0);
}

// --- One leg (captured at the target) ----------------------------------------------------

TEST(RelayLinking, TargetSideOnly) {
    struct Case {
        const char *sample;
        RelaySignals signals;
        RelayOutcome outcome;
    };
    for (const Case &c :
         {Case{"relay-smb2-works-target.pcap", bit(RelaySignal::TargetName), RelayOutcome::Worked},
          Case{"relay-smb2-signing-required-target.pcap", bit(RelaySignal::TargetName),
               RelayOutcome::FailedSigning},
          Case{"relay-remove-mic-target.pcap",
               bit(RelaySignal::TargetName) | bit(RelaySignal::MicDropped),
               RelayOutcome::FailedAuth}}) {
        Tracker t;
        feed(t, sample(c.sample));
        ASSERT_EQ(t.session_count(), 1u) << c.sample;
        const SessionView v = t.view(0);
        EXPECT_EQ(v.relay.role, RelayRole::Suspected) << c.sample;
        EXPECT_EQ(v.relay.signals, c.signals) << c.sample;
        EXPECT_EQ(v.relay.outcome, c.outcome) << c.sample;
        EXPECT_EQ(v.relay.peer_frame, kNoFrame) << c.sample;
    }
}

// --- Bounded index ----------------------------------------------------------------------

TEST(RelayLinking, IndexLimitIsReportedAndBounds) {
    const auto cap = sample("relay-smb2-works.pcap");
    Tracker t(Limits{}, RelayLimits{1});
    feed(t, cap);
    // The victim's logon took the only place; the relayed leg's NEGOTIATE (frame 20) is refused.
    bool noted = false;
    for (const FrameEntry &e : t.frame_entries(20))
        noted = noted || has(e.anomalies, Anomaly::RelayIndexLimit);
    EXPECT_TRUE(noted);
    EXPECT_EQ(t.view(1).ntlm, nullptr);
    EXPECT_EQ(t.view(0).relay.role, RelayRole::None);
}

} // namespace
