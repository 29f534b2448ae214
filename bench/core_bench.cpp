// Google Benchmark of the core alone: SMB headers parsed per second, messages per
// second through the tracker, and heap bytes of tracker state per session and per frame.
#include "smbsign/tracker.hpp"

#include <benchmark/benchmark.h>
#include <malloc.h>

#include <array>
#include <cstring>
#include <vector>

namespace {

using namespace smbsign;

// A 64-byte SMB2 header: READ response, signed, SessionId 0x1122334455667788.
std::vector<std::uint8_t> smb2_message(std::uint16_t command, bool response, bool is_signed,
                                       std::uint64_t session, std::size_t body = 16) {
    std::vector<std::uint8_t> m(smb2::kHeaderSize + body, 0);
    std::memcpy(m.data(), smb2::kProtocolId.data(), 4);
    m[4] = smb2::kHeaderSize;
    m[12] = static_cast<std::uint8_t>(command);
    std::uint32_t flags =
        (response ? smb2::kFlagServerToRedir : 0) | (is_signed ? smb2::kFlagSigned : 0);
    std::memcpy(m.data() + 16, &flags, 4);
    std::memcpy(m.data() + 40, &session, 8);
    if (is_signed)
        m[48] = 0xAB;
    return m;
}

std::vector<std::uint8_t> smb1_message(std::uint8_t command, bool reply, std::uint16_t uid) {
    std::vector<std::uint8_t> m(smb1::kHeaderSize + 3, 0);
    std::memcpy(m.data(), smb1::kProtocolId.data(), 4);
    m[4] = command;
    m[9] = reply ? smb1::kFlagsReply : 0;
    m[10] = 0x01; // Flags2: long names
    m[14] = 0x5A; // a signature
    std::memcpy(m.data() + 28, &uid, 2);
    return m;
}

void BM_Smb2Header(benchmark::State &state) {
    const auto msg = smb2_message(8, true, true, 0x1122334455667788ULL);
    for (auto _ : state) {
        smb2::Header h;
        benchmark::DoNotOptimize(smb2::parse_header(Bytes(msg), h));
        benchmark::DoNotOptimize(h);
    }
    state.SetItemsProcessed(state.iterations());
    state.SetLabel("SMB2 headers");
}
BENCHMARK(BM_Smb2Header);

void BM_Smb1Header(benchmark::State &state) {
    const auto msg = smb1_message(smb1::kCmdReadAndX, true, 0x800);
    for (auto _ : state) {
        smb1::Header h;
        benchmark::DoNotOptimize(smb1::parse_header(Bytes(msg), h));
        benchmark::DoNotOptimize(h);
    }
    state.SetItemsProcessed(state.iterations());
    state.SetLabel("SMB1 headers");
}
BENCHMARK(BM_Smb1Header);

// Messages of established sessions through the whole tracker (parse, attribute, count,
// frame log). Sessions are created mid-capture, one per connection.
void BM_TrackerMessages(benchmark::State &state) {
    std::vector<std::vector<std::uint8_t>> msgs;
    for (int i = 0; i < 64; ++i)
        msgs.push_back(
            smb2_message(8, i % 2 == 1, true, 0x1000 + static_cast<std::uint64_t>(i / 8)));
    Tracker t;
    std::uint32_t frame = 1;
    for (auto _ : state) {
        for (std::size_t i = 0; i < msgs.size(); ++i)
            t.on_pdu(static_cast<std::uint32_t>(i / 8), static_cast<std::uint8_t>(i % 2), frame++,
                     Bytes(msgs[i]), msgs[i].size());
        if (frame > 50'000'000) {
            state.PauseTiming();
            t.clear();
            frame = 1;
            state.ResumeTiming();
        }
    }
    state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(msgs.size()));
    state.SetLabel("messages");
}
BENCHMARK(BM_TrackerMessages);

// Bytes in use: small chunks plus the mmap()ed large ones (big vectors).
std::size_t heap_in_use() {
    const auto m = mallinfo2();
    return m.uordblks + m.hblkhd;
}

// Heap bytes of tracker state: a full SMB2 session each (NEGOTIATE, a SESSION_SETUP
// round trip, TREE_CONNECT, `reads` READ round trips, LOGOFF, FIN) on its own connection.
// Returns {heap bytes, frames}.
std::pair<double, double> session_heap(std::uint32_t sessions, int reads) {
    const auto neg_req = smb2_message(smb2::kCmdNegotiate, false, false, 0, 36);
    auto neg_resp = smb2_message(smb2::kCmdNegotiate, true, false, 0, 65);
    neg_resp[64] = 65;
    neg_resp[66] = smb2::kSigningEnabled | smb2::kSigningRequired;
    neg_resp[68] = 0x02;
    neg_resp[69] = 0x02;
    std::vector<std::vector<std::uint8_t>> session;
    const std::uint64_t sid = 0x4242;
    session.push_back(smb2_message(smb2::kCmdSessionSetup, false, false, 0, 25));
    session.push_back(smb2_message(smb2::kCmdSessionSetup, true, true, sid, 9));
    session.push_back(smb2_message(smb2::kCmdTreeConnect, false, true, sid));
    session.push_back(smb2_message(smb2::kCmdTreeConnect, true, true, sid));
    for (int i = 0; i < reads; ++i) {
        session.push_back(smb2_message(8, false, true, sid));
        session.push_back(smb2_message(8, true, true, sid));
    }
    session.push_back(smb2_message(smb2::kCmdLogoff, false, true, sid));
    session.push_back(smb2_message(smb2::kCmdLogoff, true, true, sid));
    const std::size_t before = heap_in_use();
    Tracker t;
    std::uint32_t frame = 1;
    for (std::uint32_t c = 0; c < sessions; ++c) {
        t.on_pdu(c, 0, frame++, Bytes(neg_req), neg_req.size());
        t.on_pdu(c, 1, frame++, Bytes(neg_resp), neg_resp.size());
        for (const auto &m : session)
            t.on_pdu(c, static_cast<std::uint8_t>((m[16] & 1) != 0), frame++, Bytes(m), m.size());
        t.on_tcp_close(c, 0, frame++);
    }
    const auto bytes = static_cast<double>(heap_in_use() - before);
    benchmark::DoNotOptimize(t.view(0));
    return {bytes, static_cast<double>(frame - 1)};
}

// Two workloads that differ only in frames per session give the cost of a frame (the
// slope) and of a session (the rest). Heap bytes count vector capacity, so growth slack
// is included.
void BM_StatePerSession(benchmark::State &state) {
    const std::uint32_t sessions = 100'000;
    double per_session = 0, per_frame = 0;
    for (auto _ : state) {
        const auto [small_bytes, small_frames] = session_heap(sessions, 1);
        const auto [large_bytes, large_frames] = session_heap(sessions, 20);
        per_frame = (large_bytes - small_bytes) / (large_frames - small_frames);
        per_session = (small_bytes - per_frame * small_frames) / sessions;
    }
    state.counters["bytes_per_session"] = per_session;
    state.counters["bytes_per_frame"] = per_frame;
}
BENCHMARK(BM_StatePerSession)->Iterations(1)->Unit(benchmark::kMillisecond);

} // namespace

BENCHMARK_MAIN();
