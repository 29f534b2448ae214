// FrameLog: what each frame remembers of the SMB messages it carried.
#include "smbsign/frame_log.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <vector>

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

// Every frame's entries, asked in the order of a pass (every frame, also those that carried
// no SMB), again (a second pass), and in a random order (a user clicking around): each
// answer is the frame's own, whatever was asked before.
TEST(FrameLog, AnswersEveryFrameInAnyOrder) {
    FrameLog log;
    std::vector<std::uint32_t> sessions_of(400, kNoSession); // frame -> its one session
    std::minstd_rand rng(17);                                // 32-bit results
    for (std::uint32_t frame = 1; frame < sessions_of.size(); ++frame) {
        if (rng() % 3 != 0) // gaps of several frames without SMB
            continue;
        sessions_of[frame] = static_cast<std::uint32_t>(rng() % 5);
        log.note(frame, sessions_of[frame], 0);
    }
    auto check = [&](std::uint32_t frame) {
        const auto entries = log.of(frame);
        if (sessions_of[frame] == kNoSession) {
            EXPECT_TRUE(entries.empty()) << "frame " << frame;
            return;
        }
        ASSERT_EQ(entries.size(), 1u) << "frame " << frame;
        EXPECT_EQ(entries.front().frame, frame);
        EXPECT_EQ(entries.front().session, sessions_of[frame]) << "frame " << frame;
    };
    for (int pass = 0; pass < 2; ++pass)
        for (std::uint32_t frame = 0; frame < sessions_of.size() + 3; ++frame)
            check(frame < sessions_of.size() ? frame : 0);
    for (int i = 0; i < 2000; ++i)
        check(static_cast<std::uint32_t>(rng() % sessions_of.size()));
}

} // namespace
} // namespace smbsign
