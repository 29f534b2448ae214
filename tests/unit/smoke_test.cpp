#include "smbsign/tracker.hpp"
#include <gtest/gtest.h>
TEST(Smoke, Builds) { smbsign::Tracker t; EXPECT_EQ(t.session_count(), 0u); }
