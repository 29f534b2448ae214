// Replays the fuzz regression inputs kept in tests/fuzz/regressions/ (SMBSIGN_REGRESSIONS_DIR;
// format in its README.md): each file through every fuzz target body when the fuzz harness
// is there, and through a Tracker split into records by the reader below.
#include "smbsign/tracker.hpp"

#include "smb_vectors.hpp"
#include "test_bytes.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#if __has_include("../fuzz/harness.hpp")
#include "../fuzz/harness.hpp"
#include "../fuzz/verify_harness.hpp"
#define SMBSIGN_HAVE_FUZZ_HARNESS 1
#endif

namespace {

using namespace smbsign;
using namespace testutil;

// --- The record format (tests/fuzz/regressions/README.md) ---------------------------------

constexpr std::uint8_t kRecSide = 0x01;
constexpr std::uint8_t kRecClose = 0x02;
constexpr unsigned kRecConnShift = 2;
constexpr std::uint8_t kRecConnMask = 0x03;
constexpr std::uint8_t kRecTruncated = 0x10;
constexpr std::uint8_t kRecSameFrame = 0x20;
constexpr std::size_t kRecTruncatedExtra = 10;

#ifdef SMBSIGN_HAVE_FUZZ_HARNESS
// The fuzz target and this reader must agree on the format.
static_assert(kRecSide == fuzz::kRecSide && kRecClose == fuzz::kRecClose &&
              kRecConnShift == fuzz::kRecConnShift && kRecConnMask == fuzz::kRecConnMask &&
              kRecTruncated == fuzz::kRecTruncated && kRecSameFrame == fuzz::kRecSameFrame &&
              kRecTruncatedExtra == fuzz::kRecTruncatedExtra);
#endif

struct Record {
    std::uint32_t conn = 0;
    std::uint8_t side = 0;
    std::uint32_t frame = 0;
    bool close = false;
    Bytes pdu;
    std::size_t reported = 0;
};

std::vector<Record> split(Bytes in) {
    std::vector<Record> out;
    std::size_t pos = 0;
    std::uint32_t frame = 0;
    while (pos < in.size()) {
        const std::uint8_t flags = in[pos++];
        Record r;
        r.side = static_cast<std::uint8_t>(flags & kRecSide);
        r.conn = (flags >> kRecConnShift) & kRecConnMask;
        if (frame == 0 || !(flags & kRecSameFrame))
            ++frame;
        r.frame = frame;
        if (flags & kRecClose) {
            r.close = true;
        } else {
            std::size_t len = 0;
            if (pos < in.size())
                len = in[pos++];
            if (pos < in.size())
                len |= std::size_t{in[pos++]} << 8;
            len = std::min(len, in.size() - pos);
            r.pdu = in.subspan(pos, len);
            pos += len;
            r.reported = len + ((flags & kRecTruncated) ? kRecTruncatedExtra : 0);
        }
        out.push_back(r);
    }
    return out;
}

// Feeds the records; returns how many PDUs went in. Every on_pdu must stay within its input.
std::size_t replay(Tracker &t, Bytes in) {
    std::size_t pdus = 0;
    for (const Record &r : split(in)) {
        if (r.close) {
            t.on_tcp_close(r.conn, r.side, r.frame);
            continue;
        }
        ++pdus;
        const std::size_t used = t.on_pdu(r.conn, r.side, r.frame, r.pdu, r.reported);
        EXPECT_LE(used, r.pdu.size()) << "record at frame " << r.frame;
    }
    // Reading every view back must not crash either.
    for (std::uint32_t i = 0; i < t.session_count(); ++i)
        EXPECT_EQ(t.view(i).number, i + 1);
    return pdus;
}

// --- Writing records (for the tests of the reader) ----------------------------------------

void add_pdu(Buf &out, std::uint8_t flags, const Buf &pdu) {
    out.push_back(flags);
    append_u16le(out, static_cast<std::uint16_t>(pdu.size()));
    append(out, pdu);
}

// smb311-client-sec03-requires-signing-samba.pcap frames 4-22 as records on connection 0,
// then a FIN from the client.
Buf samba_session_records() {
    constexpr std::uint8_t kClient = 0;
    constexpr std::uint8_t kServer = kRecSide;
    Buf out;
    add_pdu(out, kClient, to_buf(vectors::kSmb2NegotiateRequestSamba));
    add_pdu(out, kServer, to_buf(vectors::kSmb2NegotiateResponseSamba));
    add_pdu(out, kClient, to_buf(vectors::kSmb2SessionSetupRequestSamba));
    add_pdu(out, kServer, to_buf(vectors::kSmb2SessionSetupResponseMoreSamba));
    add_pdu(out, kClient, to_buf(vectors::kSmb2SessionSetupRequest2Samba));
    add_pdu(out, kServer, to_buf(vectors::kSmb2SessionSetupResponseSamba));
    add_pdu(out, kClient, to_buf(vectors::kSmb2TreeConnectRequestSamba));
    add_pdu(out, kServer, to_buf(vectors::kSmb2TreeConnectResponseSamba));
    add_pdu(out, kClient, to_buf(vectors::kSmb2CreateRequestSamba));
    add_pdu(out, kServer, to_buf(vectors::kSmb2CreateResponseSamba));
    out.push_back(kRecClose | kClient);
    return out;
}

TEST(RegressionRecords, SplitsARealSession) {
    const Buf in = samba_session_records();
    const auto records = split(span(in));
    ASSERT_EQ(records.size(), 11u);
    EXPECT_EQ(records[0].frame, 1u);
    EXPECT_EQ(records[0].side, 0);
    EXPECT_EQ(records[1].side, 1);
    EXPECT_EQ(records[1].pdu.size(), vectors::kSmb2NegotiateResponseSamba.size());
    EXPECT_TRUE(std::equal(records[1].pdu.begin(), records[1].pdu.end(),
                           vectors::kSmb2NegotiateResponseSamba.begin()));
    EXPECT_TRUE(records[10].close);
    EXPECT_EQ(records[10].frame, 11u);

    Tracker t;
    EXPECT_EQ(replay(t, span(in)), 10u);
    ASSERT_EQ(t.session_count(), 1u);
    const SessionView v = t.view(0);
    EXPECT_EQ(v.verdict, Verdict::Signed);
    EXPECT_EQ(v.client, Policy::Required);
    EXPECT_EQ(v.observed, Observed::Established);
}

TEST(RegressionRecords, FlagsConnectionTruncationAndSameFrame) {
    const Buf pdu = to_buf(vectors::kSmb2NegotiateRequestW2016);
    Buf in;
    add_pdu(in, static_cast<std::uint8_t>(2u << kRecConnShift | kRecTruncated), pdu);
    add_pdu(in, static_cast<std::uint8_t>(kRecSide | kRecSameFrame), pdu);
    in.push_back(static_cast<std::uint8_t>(kRecClose | kRecSide | 3u << kRecConnShift));
    const auto r = split(span(in));
    ASSERT_EQ(r.size(), 3u);
    EXPECT_EQ(r[0].conn, 2u);
    EXPECT_EQ(r[0].reported, pdu.size() + kRecTruncatedExtra);
    EXPECT_EQ(r[1].conn, 0u);
    EXPECT_EQ(r[1].side, 1);
    EXPECT_EQ(r[1].frame, r[0].frame);
    EXPECT_EQ(r[1].reported, pdu.size());
    EXPECT_TRUE(r[2].close);
    EXPECT_EQ(r[2].conn, 3u);
    EXPECT_EQ(r[2].frame, 2u);
}

TEST(RegressionRecords, LengthPastTheEndTakesWhatIsThere) {
    const Buf pdu = to_buf(vectors::kSmb2NegotiateRequestW2016);
    Buf in = {0x00};
    append_u16le(in, 0xFFFF);
    append(in, pdu);
    auto r = split(span(in));
    ASSERT_EQ(r.size(), 1u);
    EXPECT_EQ(r[0].pdu.size(), pdu.size());
    EXPECT_EQ(r[0].reported, pdu.size());
    // A length field cut short: its one byte is the length, the PDU is empty.
    r = split(span(Buf{0x00, 0x05}));
    ASSERT_EQ(r.size(), 1u);
    EXPECT_TRUE(r[0].pdu.empty());
    EXPECT_TRUE(split(Bytes{}).empty());
}

// --- The inputs in SMBSIGN_REGRESSIONS_DIR ------------------------------------------------

std::vector<std::string> regression_files() {
    namespace fs = std::filesystem;
    std::vector<std::string> names;
    std::error_code ec;
    for (const auto &e : fs::directory_iterator(SMBSIGN_REGRESSIONS_DIR, ec)) {
        const std::string name = e.path().filename().string();
        if (!e.is_regular_file() || name.empty() || name[0] == '.' || e.path().extension() == ".md")
            continue;
        names.push_back(name);
    }
    std::sort(names.begin(), names.end());
    return names;
}

Buf read_file(const std::string &name) {
    std::ifstream f(std::filesystem::path(SMBSIGN_REGRESSIONS_DIR) / name, std::ios::binary);
    return Buf(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}

TEST(RegressionsDir, Exists) {
    EXPECT_TRUE(std::filesystem::is_directory(SMBSIGN_REGRESSIONS_DIR)) << SMBSIGN_REGRESSIONS_DIR;
}

class Regressions : public ::testing::TestWithParam<std::string> {};

TEST_P(Regressions, ReplaysWithoutCrashing) {
    const Buf in = read_file(GetParam());
    SCOPED_TRACE(GetParam() + " (" + std::to_string(in.size()) + " bytes)");
#ifdef SMBSIGN_HAVE_FUZZ_HARNESS
    fuzz::run_all(in.data(), in.size()); // traps on a broken invariant
    fuzz::run_verify(in.data(), in.size());
#endif
    Tracker t;
    replay(t, span(in));
    // The same input as a single PDU on one connection, as the parser targets see it.
    Tracker single;
    EXPECT_LE(single.on_pdu(0, 0, 1, span(in), in.size()), in.size());
}

std::string test_name(const ::testing::TestParamInfo<std::string> &info) {
    std::string s = info.param;
    for (char &c : s)
        if (!std::isalnum(static_cast<unsigned char>(c)))
            c = '_';
    return s;
}

INSTANTIATE_TEST_SUITE_P(Inputs, Regressions, ::testing::ValuesIn(regression_files()), test_name);
// The folder may hold no inputs yet.
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(Regressions);

} // namespace
