// NTLM facts and relay evidence as fields (see relay.hpp). Never a response, hash or key:
// the NTProofStr only as the core's 32-bit fingerprint.

#include "plugin/relay.hpp"

#include "smbsign/relay.hpp"

#include <epan/proto.h>

#include <cstdio>
#include <string>
#include <string_view>

namespace smbsign::plugin::relay_items {
namespace {

int hf_user = -1;
int hf_domain = -1;
int hf_workstation = -1;
int hf_server_nb = -1;
int hf_server_dns = -1;
int hf_target_name = -1;
int hf_mic = -1;
int hf_flags = -1;
int hf_flag_sign = -1;
int hf_flag_seal = -1;
int hf_flag_key_exchange = -1;
int hf_proof_fp = -1;
int hf_challenge = -1;
int hf_role = -1;
int hf_peer_frame = -1;
int hf_peer_session = -1;
int hf_signal = -1;
int hf_outcome = -1;

std::string signal_list(RelaySignals s) {
    std::string out;
    for (unsigned i = 0; i < static_cast<unsigned>(RelaySignal::Count); ++i) {
        if ((s & bit(static_cast<RelaySignal>(i))) == 0)
            continue;
        if (!out.empty())
            out += " ";
        out += to_string(static_cast<RelaySignal>(i));
    }
    return out;
}

std::string hex8(std::uint32_t v) {
    char buf[12];
    std::snprintf(buf, sizeof buf, "%08x", v);
    return buf;
}

} // namespace

void register_fields(int proto) {
    static hf_register_info hf[] = {
        {&hf_user,
         {"NTLM user", "smbsign.ntlm.user", FT_STRING, BASE_NONE, nullptr, 0,
          "AUTHENTICATE UserName", HFILL}},
        {&hf_domain,
         {"NTLM domain", "smbsign.ntlm.domain", FT_STRING, BASE_NONE, nullptr, 0,
          "AUTHENTICATE DomainName", HFILL}},
        {&hf_workstation,
         {"NTLM workstation", "smbsign.ntlm.workstation", FT_STRING, BASE_NONE, nullptr, 0,
          "AUTHENTICATE Workstation", HFILL}},
        {&hf_server_nb,
         {"Server NetBIOS name", "smbsign.ntlm.server.nb_name", FT_STRING, BASE_NONE, nullptr, 0,
          "CHALLENGE MsvAvNbComputerName", HFILL}},
        {&hf_server_dns,
         {"Server DNS name", "smbsign.ntlm.server.dns_name", FT_STRING, BASE_NONE, nullptr, 0,
          "CHALLENGE MsvAvDnsComputerName", HFILL}},
        {&hf_target_name,
         {"Target name", "smbsign.ntlm.target_name", FT_STRING, BASE_NONE, nullptr, 0,
          "MsvAvTargetName of the client's NTLMv2 response: the SPN it meant to reach", HFILL}},
        {&hf_mic,
         {"MIC present", "smbsign.ntlm.mic", FT_BOOLEAN, BASE_NONE, nullptr, 0,
          "The AUTHENTICATE carries a message integrity code", HFILL}},
        {&hf_flags,
         {"NTLM flags", "smbsign.ntlm.flags", FT_UINT32, BASE_HEX, nullptr, 0,
          "AUTHENTICATE NegotiateFlags", HFILL}},
        {&hf_flag_sign,
         {"NTLM sign", "smbsign.ntlm.flags.sign", FT_BOOLEAN, BASE_NONE, nullptr, 0,
          "AUTHENTICATE NegotiateFlags: NTLMSSP_NEGOTIATE_SIGN", HFILL}},
        {&hf_flag_seal,
         {"NTLM seal", "smbsign.ntlm.flags.seal", FT_BOOLEAN, BASE_NONE, nullptr, 0,
          "AUTHENTICATE NegotiateFlags: NTLMSSP_NEGOTIATE_SEAL", HFILL}},
        {&hf_flag_key_exchange,
         {"NTLM key exchange", "smbsign.ntlm.flags.key_exchange", FT_BOOLEAN, BASE_NONE, nullptr, 0,
          "AUTHENTICATE NegotiateFlags: NTLMSSP_NEGOTIATE_KEY_EXCH", HFILL}},
        {&hf_proof_fp,
         {"NTProofStr fingerprint", "smbsign.ntlm.proof_fp", FT_STRING, BASE_NONE, nullptr, 0,
          "32 bits derived from the NTLMv2 NTProofStr: links legs, reveals nothing of it", HFILL}},
        {&hf_challenge,
         {"Server challenge", "smbsign.ntlm.challenge", FT_STRING, BASE_NONE, nullptr, 0,
          "The CHALLENGE's 8-byte ServerChallenge (a public nonce)", HFILL}},
        {&hf_role,
         {"Relay role", "smbsign.relay.role", FT_STRING, BASE_NONE, nullptr, 0,
          "victim, relayed or suspected (one-leg signals only)", HFILL}},
        {&hf_peer_frame,
         {"Other leg's AUTHENTICATE in frame", "smbsign.relay.peer_frame", FT_FRAMENUM, BASE_NONE,
          nullptr, 0, nullptr, HFILL}},
        {&hf_peer_session,
         {"Other leg's session", "smbsign.relay.peer_session", FT_UINT32, BASE_DEC, nullptr, 0,
          nullptr, HFILL}},
        {&hf_signal,
         {"Relay signal", "smbsign.relay.signal", FT_STRING, BASE_NONE, nullptr, 0,
          "same-response, same-challenge, target-name, mic-dropped, flags-dropped, reflection",
          HFILL}},
        {&hf_outcome,
         {"Relayed session", "smbsign.relay.outcome", FT_STRING, BASE_NONE, nullptr, 0,
          "worked, failed-signing-required, failed-auth or incomplete", HFILL}},
    };
    fields.add(proto, hf, G_N_ELEMENTS(hf));
}

proto_item *add_items(const Items &add, const SessionView &v) {
    if (v.ntlm == nullptr)
        return nullptr;
    const NtlmFacts &f = *v.ntlm;
    add.text(hf_user, f.user);
    add.text(hf_domain, f.domain);
    add.text(hf_workstation, f.workstation);
    add.text(hf_server_nb, f.server_nb_name);
    add.text(hf_server_dns, f.server_dns_name);
    add.text(hf_target_name, f.target_name);
    if (f.challenge_seen && add.want(hf_challenge)) {
        std::string hex;
        for (const std::uint8_t b : f.server_challenge)
            hex += hex8(b).substr(6);
        add.text(hf_challenge, hex);
    }
    if (f.authenticate_seen) {
        add.boolean(hf_mic, f.mic);
        add.number(hf_flags, f.authenticate_flags);
        add.boolean(hf_flag_sign, (f.authenticate_flags & ntlm::kFlagSign) != 0);
        add.boolean(hf_flag_seal, (f.authenticate_flags & ntlm::kFlagSeal) != 0);
        add.boolean(hf_flag_key_exchange, (f.authenticate_flags & ntlm::kFlagKeyExchange) != 0);
    }
    if (f.ntlmv2 && add.want(hf_proof_fp)) // formatted only for someone who asked
        add.text(hf_proof_fp, hex8(f.proof_fingerprint));
    const RelayView &r = v.relay;
    if (r.role == RelayRole::None)
        return nullptr;
    proto_item *role = add.text(hf_role, to_string(r.role));
    if (r.peer_frame != kNoFrame)
        add.number(hf_peer_frame, r.peer_frame);
    if (r.peer_session != kNoSession)
        add.number(hf_peer_session, r.peer_session + 1);
    for (unsigned i = 0; i < static_cast<unsigned>(RelaySignal::Count); ++i)
        if ((r.signals & bit(static_cast<RelaySignal>(i))) != 0)
            add.text(hf_signal, to_string(static_cast<RelaySignal>(i)));
    if (r.outcome != RelayOutcome::None)
        add.text(hf_outcome, to_string(r.outcome));
    return role;
}

void add_expert(packet_info *pinfo, proto_item *item, const SessionView &v, expert_field *ei) {
    const RelayView &r = v.relay;
    const std::string signals = signal_list(r.signals);
    if (r.role == RelayRole::Suspected) {
        expert_add_info_format(pinfo, item, ei,
                               "Possible NTLM relay seen on this leg only (%s): session %s",
                               signals.c_str(), std::string(to_string(r.outcome)).c_str());
        return;
    }
    expert_add_info_format(pinfo, item, ei,
                           "NTLM relay (%s leg): linked to session %u (AUTHENTICATE in frame %u) "
                           "by %s; relayed session %s",
                           std::string(to_string(r.role)).c_str(), r.peer_session + 1, r.peer_frame,
                           signals.c_str(), std::string(to_string(r.outcome)).c_str());
}

} // namespace smbsign::plugin::relay_items
