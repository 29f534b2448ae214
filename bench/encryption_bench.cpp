// Google Benchmark of SMB3 decryption: the core's check of one TRANSFORM message
// (TransformDecryptor::open on a parsed header: reset, nonce, CCM lengths, the 32-byte
// authenticated data, decryption, tag check) against libgcrypt's raw AEAD decryption and
// tag check of the same bytes with a keyed handle. Bytes per second are the ciphertext's.
#include "smbsign/smb2.hpp"
#include "smbsign/verify/smb2_encryption.hpp"

#include <benchmark/benchmark.h>

#include <cstring>
#include <vector>

namespace {

using namespace smbsign;
using namespace smbsign::verify;

SessionKey key_for(smb2::Cipher c) {
    std::array<std::uint8_t, 32> k{};
    for (std::size_t i = 0; i < k.size(); ++i)
        k[i] = static_cast<std::uint8_t>(i + 1);
    return *SessionKey::cipher_key(Bytes(k).first(is_256(c) ? 32 : 16));
}

gcry_cipher_hd_t keyed(smb2::Cipher c) {
    gcry_cipher_hd_t h = nullptr;
    crypto_init();
    gcry_cipher_open(&h, is_256(c) ? GCRY_CIPHER_AES256 : GCRY_CIPHER_AES128,
                     is_gcm(c) ? GCRY_CIPHER_MODE_GCM : GCRY_CIPHER_MODE_CCM, 0);
    const SessionKey k = key_for(c);
    gcry_cipher_setkey(h, k.full().data(), k.size());
    return h;
}

// Sets up the nonce, CCM lengths and authenticated data for one message.
void start(gcry_cipher_hd_t h, smb2::Cipher c, const smb2::TransformHeader &t) {
    gcry_cipher_reset(h);
    gcry_cipher_setiv(h, t.nonce.data(), is_gcm(c) ? aead::kGcmNonceSize : aead::kCcmNonceSize);
    if (!is_gcm(c)) {
        std::uint64_t l[3] = {t.ciphertext.size(), t.aad.size(), aead::kTagSize};
        gcry_cipher_ctl(h, GCRYCTL_SET_CCM_LENGTHS, l, sizeof(l));
    }
    gcry_cipher_authenticate(h, t.aad.data(), t.aad.size());
}

// A TRANSFORM message carrying `size` bytes, encrypted and tagged with key_for(c).
std::vector<std::uint8_t> transform_message(smb2::Cipher c, std::size_t size) {
    std::vector<std::uint8_t> m(smb2::kTransformHeaderSize + size, 0x5A);
    std::memcpy(m.data(), smb2::kTransformProtocolId.data(), 4);
    for (std::size_t i = 0; i < 16; ++i)
        m[smb2::transform::kNonceOffset + i] = static_cast<std::uint8_t>(i < 12 ? i + 1 : 0);
    for (std::size_t i = 0; i < 4; ++i)
        m[smb2::transform::kOriginalSizeOffset + i] = static_cast<std::uint8_t>(size >> (8 * i));
    m[40] = m[41] = 0;
    m[smb2::transform::kFlagsOffset] = 1;
    m[smb2::transform::kFlagsOffset + 1] = 0;
    smb2::TransformHeader t;
    smb2::parse_transform_header(m, t);
    gcry_cipher_hd_t h = keyed(c);
    start(h, c, t);
    std::uint8_t *body = m.data() + smb2::kTransformHeaderSize;
    gcry_cipher_encrypt(h, body, size, nullptr, 0);
    gcry_cipher_gettag(h, m.data() + smb2::transform::kSignatureOffset, aead::kTagSize);
    gcry_cipher_close(h);
    return m;
}

template <smb2::Cipher C> void BM_OpenTransform(benchmark::State &state) {
    const auto m = transform_message(C, static_cast<std::size_t>(state.range(0)));
    TransformDecryptor d(C, key_for(C));
    std::vector<std::uint8_t> plain(static_cast<std::size_t>(state.range(0)));
    for (auto _ : state) {
        smb2::TransformHeader t;
        smb2::parse_transform_header(m, t);
        if (d.open(t, plain) != TagMatch::Match)
            state.SkipWithError("not valid");
        benchmark::DoNotOptimize(plain.data());
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * state.range(0));
}

template <smb2::Cipher C> void BM_RawAead(benchmark::State &state) {
    const auto m = transform_message(C, static_cast<std::size_t>(state.range(0)));
    smb2::TransformHeader t;
    smb2::parse_transform_header(m, t);
    gcry_cipher_hd_t h = keyed(C);
    std::vector<std::uint8_t> plain(t.ciphertext.size());
    for (auto _ : state) {
        start(h, C, t);
        gcry_cipher_decrypt(h, plain.data(), plain.size(), t.ciphertext.data(),
                            t.ciphertext.size());
        if (gcry_cipher_checktag(h, t.signature.data(), t.signature.size()) != 0)
            state.SkipWithError("not valid");
        benchmark::DoNotOptimize(plain.data());
    }
    gcry_cipher_close(h);
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * state.range(0));
}

#define ENC_SIZES ->Arg(256)->Arg(4096)->Arg(65536)
BENCHMARK(BM_OpenTransform<smb2::Cipher::Aes128Ccm>) ENC_SIZES;
BENCHMARK(BM_RawAead<smb2::Cipher::Aes128Ccm>) ENC_SIZES;
BENCHMARK(BM_OpenTransform<smb2::Cipher::Aes128Gcm>) ENC_SIZES;
BENCHMARK(BM_RawAead<smb2::Cipher::Aes128Gcm>) ENC_SIZES;
BENCHMARK(BM_OpenTransform<smb2::Cipher::Aes256Ccm>) ENC_SIZES;
BENCHMARK(BM_RawAead<smb2::Cipher::Aes256Ccm>) ENC_SIZES;
BENCHMARK(BM_OpenTransform<smb2::Cipher::Aes256Gcm>) ENC_SIZES;
BENCHMARK(BM_RawAead<smb2::Cipher::Aes256Gcm>) ENC_SIZES;

} // namespace
