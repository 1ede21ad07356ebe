#include "gateway/event/deadline_timer.h"

#include <gtest/gtest.h>

#include <chrono>

#include "tests/unit/event/loop.h"

namespace slotgate::gateway {
namespace {

using namespace std::chrono_literals;

// The lazy part: a later deadline leaves the earlier event in place, and when that fires it
// waits out the rest instead of running the callback.
TEST(DeadlineTimer, ALaterDeadlineOutlivesTheEarlierEvent) {
  testing::TestLoop loop;
  int fired = 0;
  DeadlineTimer timer(loop.base.get(), [&] { ++fired; });
  timer.arm(0us);
  timer.arm(1h);
  loop.runReady();  // the event armed for now fires; the deadline is an hour away
  EXPECT_EQ(fired, 0);
  EXPECT_TRUE(timer.armed());
  timer.arm(0us);  // earlier than the event re-added for the hour: replaces it
  loop.runOnce();
  EXPECT_EQ(fired, 1);
  EXPECT_FALSE(timer.armed());
}

TEST(DeadlineTimer, AnEarlierDeadlineReplacesTheLaterEvent) {
  testing::TestLoop loop;
  int fired = 0;
  DeadlineTimer timer(loop.base.get(), [&] { ++fired; });
  timer.arm(1h);
  timer.arm(0us);
  loop.runOnce();  // would block for the hour if the first event were still the only one
  EXPECT_EQ(fired, 1);
}

TEST(DeadlineTimer, ArmedAgainAfterCancelRuns) {
  testing::TestLoop loop;
  int fired = 0;
  DeadlineTimer timer(loop.base.get(), [&] { ++fired; });
  timer.arm(0us);
  timer.cancel();
  timer.arm(0us);
  loop.runOnce();
  EXPECT_EQ(fired, 1);
}

}  // namespace
}  // namespace slotgate::gateway
