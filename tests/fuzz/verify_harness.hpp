// The body of the fuzz_verify libFuzzer target, as a plain function over a byte buffer
// (smbsign::fuzz::run_verify), so that the unit tests replay the regression inputs through
// the same code. A broken property ends the process with __builtin_trap().
//
// Fuzzes the verification layer (include/smbsign/verify/): the credentials-file and keytab
// parsers, the verifier fed by the tracker (records as fuzz_tracker reads them), the NTLMSSP
// CHALLENGE/AUTHENTICATE parsers and the NTLMv2 derivation behind them, the UTF-8 password
// path, the preauth hash, and every signer, all on the same input bytes (an SMB message
// from the seeds, or anything). Properties checked:
//  - every span the NTLMSSP parsers hand back lies inside the input;
//  - a key is handed out only for Proven;
//  - a message signed with a key verifies as valid with that key, and as invalid once one
//    byte after its protocol id is altered (the signature field included).
#pragma once

#include "harness.hpp" // SMBSIGN_FUZZ_CHECK, within

#include "smbsign/verify/ntlm.hpp"
#include "smbsign/verify/secrets.hpp"
#include "smbsign/verify/sign.hpp"
#include "smbsign/verify/smb2_keys.hpp"
#include "smbsign/verify/verifier.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace smbsign::fuzz::verify_target {

using namespace smbsign::verify;

inline constexpr Key16 kKey = {0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
                               0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff};

inline void ntlmssp_paths(Bytes data) {
    NtlmChallenge challenge;
    if (auto ch = find_ntlmssp(data, ntlm::kMessageChallenge))
        (void)parse_ntlm_challenge(*ch, challenge);
    auto au = find_ntlmssp(data, ntlm::kMessageAuthenticate);
    if (!au)
        return;
    NtlmAuthenticate auth;
    if (parse_ntlm_authenticate(*au, auth) != ParseError::None)
        return;
    for (Bytes f : {auth.nt_response, auth.user, auth.domain, auth.encrypted_session_key})
        SMBSIGN_FUZZ_CHECK(within(*au, f));
    auto r = ntlmv2_session_key(kKey, challenge, auth);
    if (r.status != NtlmProof::Proven)
        SMBSIGN_FUZZ_CHECK(r.session_key == Key16{});
}

// Signs a copy of the message, then checks valid / invalid-after-one-altered-byte.
template <typename Sign, typename Verify>
inline void sign_then_verify(Bytes data, std::size_t sig_offset, Sign sign, Verify verify) {
    auto sig = sign(data);
    if (!sig)
        return;
    // A signer must refuse a message too short to hold its signature (GCC 16 cannot see
    // that it does, and warns about the copy below without this check).
    SMBSIGN_FUZZ_CHECK(data.size() >= sig_offset + sig->size());
    std::vector<std::uint8_t> copy(data.begin(), data.end());
    std::copy(sig->begin(), sig->end(), copy.begin() + static_cast<std::ptrdiff_t>(sig_offset));
    SMBSIGN_FUZZ_CHECK(verify(Bytes(copy)) == MacMatch::Match);
    // One altered byte, chosen by the input itself, past the 4-byte protocol id.
    const std::size_t i = 4 + data[data.size() - 1] % (copy.size() - 4);
    copy[i] ^= 0x80;
    SMBSIGN_FUZZ_CHECK(verify(Bytes(copy)) == MacMatch::Mismatch);
}

inline void signers(Bytes data) {
    for (auto alg : {smb2::SigningAlgorithm::HmacSha256, smb2::SigningAlgorithm::AesCmac,
                     smb2::SigningAlgorithm::AesGmac}) {
        sign_then_verify(
            data, smb2::kSignatureOffset, [&](Bytes m) { return Smb2Signer(alg, kKey).sign(m); },
            [&](Bytes m) { return Smb2Signer(alg, kKey).verify(m).status; });
    }
    const std::uint32_t seq = data.size() > 8 ? data[8] : 0;
    sign_then_verify(
        data, smb1::kSignatureOffset, [&](Bytes m) { return smb1_signature(kKey, seq, m); },
        [&](Bytes m) { return smb1_verify(kKey, seq, m).status; });
}

} // namespace smbsign::fuzz::verify_target

namespace smbsign::fuzz {

// The body of fuzz_verify, also replayed on the regression inputs by the unit tests.
inline void run_verify(const std::uint8_t *data, std::size_t size) {
    using namespace verify_target;
    SMBSIGN_FUZZ_CHECK(crypto_init());
    const Bytes in(data, size);
    ntlmssp_paths(in);
    signers(in);
    PreauthHash h;
    SMBSIGN_FUZZ_CHECK(h.update(in));
    const std::string_view text(reinterpret_cast<const char *>(data), size);
    (void)nt_hash_from_password(text);
    // The secrets formats: every line number named bad exists, keytab keys are 16 bytes.
    Secrets parsed;
    for (std::size_t line : parse_credentials(text, parsed))
        SMBSIGN_FUZZ_CHECK(line >= 1 && line <= size + 1);
    const std::size_t before = parsed.credentials.size();
    SMBSIGN_FUZZ_CHECK(parse_keytab(in, parsed) == parsed.credentials.size() - before);
    // The verifier behind the tracker, on the fuzz_tracker record format, with a password
    // for any user and a session key for SessionId 1.
    Secrets secrets;
    secrets.add_password("Sign1ng-Pass");
    secrets.session_keys.push_back({1, SessionKey(kKey), {}, {}});
    Verifier verifier(std::move(secrets));
    run_tracker(data, size, &verifier);
}

} // namespace smbsign::fuzz
