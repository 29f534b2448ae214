// The per-session record handed to the taps.
#pragma once

#include "plugin/compat.hpp"
#include "smbsign/tracker.hpp"

#include <epan/packet.h>
#include <epan/tap.h>
#include <epan/to_str.h>

#include <cstdio>
#include <string_view>

namespace smbsign::plugin::glue {

// What the taps get for each session shown in a frame (trivially destructible:
// it lives in packet-scoped wmem memory).
struct TapRecord {
    smbsign::SessionView view;
    char client[64];
    char server[64];
    // NTLM facts copied out of the core (view.ntlm is cleared: a table outlives the frame).
    char ntlm_user[136];     // DOMAIN\user, empty without an AUTHENTICATE
    char ntlm_challenge[17]; // ServerChallenge in hex, empty without a CHALLENGE
    char ntlm_proof_fp[9];   // NTProofStr fingerprint, empty without NTLMv2
};

inline void fill_ntlm(TapRecord &rec, const smbsign::NtlmFacts *f) {
    rec.ntlm_user[0] = rec.ntlm_challenge[0] = rec.ntlm_proof_fp[0] = '\0';
    if (f == nullptr)
        return;
    if (f->authenticate_seen)
        g_snprintf(rec.ntlm_user, sizeof rec.ntlm_user, "%.*s\\%.*s",
                   static_cast<int>(f->domain.size()), f->domain.data(),
                   static_cast<int>(f->user.size()), f->user.data());
    if (f->challenge_seen) {
        for (std::size_t i = 0; i < f->server_challenge.size(); ++i)
            g_snprintf(rec.ntlm_challenge + 2 * i, 3, "%02x", f->server_challenge[i]);
    }
    if (f->ntlmv2)
        g_snprintf(rec.ntlm_proof_fp, sizeof rec.ntlm_proof_fp, "%08x", f->proof_fingerprint);
}

inline void fill_tap_record(TapRecord &rec, const smbsign::SessionView &v, const packet_info *pinfo,
                            bool sender_is_server) {
    rec.view = v;
    char src[64], dst[64];
    address_to_str_buf(&pinfo->src, src, sizeof src);
    address_to_str_buf(&pinfo->dst, dst, sizeof dst);
    const bool v6 = pinfo->src.type == AT_IPv6;
    auto endpoint = [v6](char *out, const char *addr, guint32 port) {
        g_snprintf(out, 64, v6 ? "[%s]:%u" : "%s:%u", addr, port);
    };
    endpoint(sender_is_server ? rec.server : rec.client, src, pinfo->srcport);
    endpoint(sender_is_server ? rec.client : rec.server, dst, pinfo->destport);
    fill_ntlm(rec, v.ntlm);
    rec.view.ntlm = nullptr;
}

void register_stats();

// How a -z table prints: text, or the `,csv` / `,json` the option asks for.
enum class Format { Text, Csv, Json };
inline Format table_format(const char *opt_arg) {
    const std::string_view arg = opt_arg != nullptr ? opt_arg : "";
    if (arg.find(",csv") != std::string_view::npos)
        return Format::Csv;
    if (arg.find(",json") != std::string_view::npos)
        return Format::Json;
    return Format::Text;
}

// Starts a -z table: its listener on the smbsign tap (filter and flags as
// register_tap_listener takes them, then the reset, packet, draw and finish callbacks). If
// Wireshark refuses, says why on stderr and deletes the table.
template <class Table, class... Callbacks>
compat::tap_init_result start_table(Table *t, const char *filter, guint flags,
                                    Callbacks... callbacks) {
    GString *err = register_tap_listener("smbsign", t, filter, flags, callbacks...);
    if (err == nullptr)
        return compat::tap_init_ok(true);
    std::fprintf(stderr, "smbsign: %s\n", err->str);
    g_string_free(err, TRUE);
    delete t;
    return compat::tap_init_ok(false);
}

} // namespace smbsign::plugin::glue
