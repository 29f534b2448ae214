// PendingRequests (pending.hpp): the bounded table of requests whose answers cannot be matched
// by their own bytes.
#include "smbsign/pending.hpp"

#include <gtest/gtest.h>

namespace {

using namespace smbsign;

constexpr std::uint32_t kLimit = 2;
constexpr std::uint32_t kSession = 7;

TEST(PendingRequests, AnswerTakesTheRequestOfItsKeyAndKind) {
    PendingRequests p;
    ASSERT_TRUE(p.remember(5, kSession, PendingKind::Logoff, kLimit));
    EXPECT_FALSE(p.take(5, PendingKind::ExcludedIoctl).has_value()); // same key, other kind
    EXPECT_FALSE(p.take(6, PendingKind::Logoff).has_value());        // other key
    EXPECT_EQ(p.take(5, PendingKind::Logoff), std::optional<std::uint32_t>(kSession));
    EXPECT_FALSE(p.answered(5, PendingKind::Logoff)); // forgotten once answered
    EXPECT_EQ(p.size(), 0u);
}

TEST(PendingRequests, FullTableRefusesTheNextRequest) {
    PendingRequests p;
    EXPECT_TRUE(p.remember(1, kSession, PendingKind::DfsReferral, kLimit));
    EXPECT_TRUE(p.remember(2, kSession, PendingKind::DfsReferral, kLimit));
    EXPECT_FALSE(p.remember(3, kSession, PendingKind::DfsReferral, kLimit));
    EXPECT_EQ(p.size(), kLimit);
    EXPECT_TRUE(p.answered(1, PendingKind::DfsReferral)); // an answer makes room
    EXPECT_TRUE(p.remember(3, kSession, PendingKind::DfsReferral, kLimit));
}

// MS-CIFS 2.2.3.1: a request and its response share MID and PID; SMB1 keys hold both.
TEST(PendingRequests, Smb1KeyHoldsMidAndPid) {
    EXPECT_NE(PendingRequests::smb1_key(1, 2), PendingRequests::smb1_key(2, 1));
    EXPECT_EQ(PendingRequests::smb1_key(0x1234, 0xABCD), 0xABCD1234u);
}

} // namespace
