// The real clocks: same time base, both monotonic.
#include "limits/clock.h"

#include <gtest/gtest.h>

namespace slotgate::limits {
namespace {

using namespace std::chrono_literals;

TEST(ClockTest, RealIsSteadyClock) {
  const SteadyTime before = std::chrono::steady_clock::now();
  const SteadyTime t = Clock::real().now();
  const SteadyTime after = std::chrono::steady_clock::now();
  EXPECT_LE(before, t);
  EXPECT_LE(t, after);
  EXPECT_EQ(&Clock::real(), &Clock::real());
}

TEST(ClockTest, CoarseSharesTheTimeBaseWithinATick) {
  const SteadyTime before = Clock::real().now();
  const SteadyTime coarse = Clock::coarse().now();
  const SteadyTime after = Clock::real().now();
  // The coarse clock is the fine one truncated to the last kernel tick (<= 10 ms even at HZ=100),
  // so it reads no later than `after` and at most a tick before `before`, however long the
  // thread was preempted between the reads.
  EXPECT_LE(coarse, after);
  EXPECT_GT(coarse, before - 50ms);
  SteadyTime last = Clock::coarse().now();
  for (int i = 0; i < 1000; ++i) {
    const SteadyTime now = Clock::coarse().now();
    ASSERT_LE(last, now);
    last = now;
  }
}

}  // namespace
}  // namespace slotgate::limits
