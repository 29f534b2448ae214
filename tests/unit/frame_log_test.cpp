// FrameLog: what each frame remembers of the SMB messages it carried.
#include "smbsign/frame_log.hpp"

#include <gtest/gtest.h>

namespace smbsign {
namespace {

constexpr std::uint32_t kFrame = 7;
constexpr std::uint32_t kSessionA = 1;
constexpr std::uint32_t kSessionB = 2;

// One frame carrying messages of sessions A, B, then A again (an SMB2 compound or several
// PDUs in one TCP segment): A's second message adds to A's slot, which is not the last slot.
TEST(FrameLog, InterleavedSessionsKeepEveryAnomalyAndSignature) {
    FrameLog log;
    log.note(kFrame, kSessionA, 0);
    log.note(kFrame, kSessionB, bit(Anomaly::MalformedBody));
    log.note_signature(kFrame, kSessionB, verify::encode(verify::Status::Valid));
    log.note(kFrame, kSessionA, bit(Anomaly::MalformedBody));
    log.note_signature(kFrame, kSessionA, verify::encode(verify::Status::Invalid));

    const auto entries = log.of(kFrame);
    ASSERT_EQ(entries.size(), 2u);
    EXPECT_EQ(entries[0].session, kSessionA);
    EXPECT_EQ(entries[0].anomalies, bit(Anomaly::MalformedBody));
    EXPECT_EQ(verify::status_of(entries[0].signature), verify::Status::Invalid);
    EXPECT_EQ(entries[1].session, kSessionB);
    EXPECT_EQ(entries[1].anomalies, bit(Anomaly::MalformedBody));
    EXPECT_EQ(verify::status_of(entries[1].signature), verify::Status::Valid);
}

TEST(FrameLog, RepeatedSessionMergesAnomalies) {
    FrameLog log;
    log.note(kFrame, kSessionA, bit(Anomaly::MalformedBody));
    log.note(kFrame, kSessionA, 0);
    const auto entries = log.of(kFrame);
    ASSERT_EQ(entries.size(), 1u);
    EXPECT_EQ(entries.front().anomalies, bit(Anomaly::MalformedBody));
    EXPECT_TRUE(log.of(kFrame + 1).empty());
}

} // namespace
} // namespace smbsign
