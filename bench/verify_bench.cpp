// Google Benchmark of signature verification: the core's check of one signed message
// (Smb2Signer::verify, smb1_verify: the signature field replaced on the fly, the MAC, the
// comparison) against libgcrypt's raw MAC over the same bytes with a keyed handle, the
// fastest that libgcrypt itself allows. Bytes per second are the message's bytes.
#include "smbsign/verify/sign.hpp"

#include <benchmark/benchmark.h>

#include <cstring>
#include <vector>

namespace {

using namespace smbsign;
using namespace smbsign::verify;

constexpr Key16 kKey = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};

// A signed SMB2 READ response of `size` bytes, signed correctly with kKey.
std::vector<std::uint8_t> smb2_signed(smb2::SigningAlgorithm alg, std::size_t size) {
    std::vector<std::uint8_t> m(size, 0x5A);
    std::memcpy(m.data(), smb2::kProtocolId.data(), 4);
    std::memset(m.data() + 4, 0, 60);
    m[4] = 64;
    m[12] = 8;
    m[16] = smb2::kFlagServerToRedir | smb2::kFlagSigned;
    auto sig = Smb2Signer(alg, kKey).sign(m);
    std::copy(sig->begin(), sig->end(), m.begin() + 48);
    return m;
}

int gcry_of(smb2::SigningAlgorithm a) {
    return a == smb2::SigningAlgorithm::HmacSha256 ? GCRY_MAC_HMAC_SHA256
           : a == smb2::SigningAlgorithm::AesCmac  ? GCRY_MAC_CMAC_AES
                                                   : GCRY_MAC_GMAC_AES;
}

template <smb2::SigningAlgorithm A> void BM_VerifySmb2(benchmark::State &state) {
    const auto m = smb2_signed(A, static_cast<std::size_t>(state.range(0)));
    Smb2Signer signer(A, kKey);
    for (auto _ : state) {
        auto c = signer.verify(m);
        if (c.status != MacMatch::Match)
            state.SkipWithError("not valid");
        benchmark::DoNotOptimize(c);
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * state.range(0));
}

template <smb2::SigningAlgorithm A> void BM_RawMac(benchmark::State &state) {
    const auto m = smb2_signed(A, static_cast<std::size_t>(state.range(0)));
    Mac mac(gcry_of(A), kKey);
    std::array<std::uint8_t, 12> nonce{};
    std::array<std::uint8_t, 32> out{};
    const std::size_t len = A == smb2::SigningAlgorithm::HmacSha256 ? 32 : 16;
    for (auto _ : state) {
        mac.restart();
        if (A == smb2::SigningAlgorithm::AesGmac)
            mac.set_iv(nonce);
        mac.write(m);
        mac.read(std::span(out).first(len));
        benchmark::DoNotOptimize(out);
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * state.range(0));
}

void BM_VerifySmb1(benchmark::State &state) {
    std::vector<std::uint8_t> m(static_cast<std::size_t>(state.range(0)), 0x5A);
    std::memcpy(m.data(), smb1::kProtocolId.data(), 4);
    auto sig = smb1_signature(kKey, 7, m);
    std::copy(sig->begin(), sig->end(), m.begin() + smb1::kSignatureOffset);
    for (auto _ : state) {
        auto c = smb1_verify(kKey, 7, m);
        if (c.status != MacMatch::Match)
            state.SkipWithError("not valid");
        benchmark::DoNotOptimize(c);
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * state.range(0));
}

void BM_RawMd5(benchmark::State &state) {
    std::vector<std::uint8_t> m(static_cast<std::size_t>(state.range(0)), 0x5A);
    std::array<std::uint8_t, 16> out{};
    for (auto _ : state) {
        gcry_md_hash_buffer(GCRY_MD_MD5, out.data(), m.data(), m.size());
        benchmark::DoNotOptimize(out);
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * state.range(0));
}

// Message sizes: a small request, a 4 KiB and a 64 KiB READ/WRITE.
#define SIZES ->Arg(256)->Arg(4096)->Arg(65536)
BENCHMARK(BM_VerifySmb2<smb2::SigningAlgorithm::HmacSha256>) SIZES;
BENCHMARK(BM_RawMac<smb2::SigningAlgorithm::HmacSha256>) SIZES;
BENCHMARK(BM_VerifySmb2<smb2::SigningAlgorithm::AesCmac>) SIZES;
BENCHMARK(BM_RawMac<smb2::SigningAlgorithm::AesCmac>) SIZES;
BENCHMARK(BM_VerifySmb2<smb2::SigningAlgorithm::AesGmac>) SIZES;
BENCHMARK(BM_RawMac<smb2::SigningAlgorithm::AesGmac>) SIZES;
BENCHMARK(BM_VerifySmb1) SIZES;
BENCHMARK(BM_RawMd5) SIZES;

} // namespace
