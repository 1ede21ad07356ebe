#include "gateway/event/deadline_timer.h"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>

#include "tests/unit/event/loop.h"

namespace slotgate::gateway {
namespace {

using namespace std::chrono_literals;

TEST(DeadlineTimer, FiresOnceAtItsDeadline) {
  testing::TestLoop loop;
  int fired = 0;
  DeadlineTimer timer(loop.base.get(), [&] { ++fired; });
  EXPECT_FALSE(timer.armed());
  timer.arm(0us);
  EXPECT_TRUE(timer.armed());
  loop.runOnce();
  EXPECT_EQ(fired, 1);
  EXPECT_FALSE(timer.armed());  // one-shot
  loop.runReady();
  EXPECT_EQ(fired, 1);
}

TEST(DeadlineTimer, CancelledDoesNotRunThoughItsEventStillFires) {
  testing::TestLoop loop;
  int fired = 0;
  DeadlineTimer timer(loop.base.get(), [&] { ++fired; });
  timer.arm(0us);
  timer.cancel();
  EXPECT_FALSE(timer.armed());
  loop.runReady();  // the event fires: nothing runs
  EXPECT_EQ(fired, 0);
}

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

TEST(DeadlineTimer, NegativeDurationFiresOnTheNextTurn) {
  testing::TestLoop loop;
  int fired = 0;
  DeadlineTimer timer(loop.base.get(), [&] { ++fired; });
  timer.arm(-5s);
  loop.runOnce();
  EXPECT_EQ(fired, 1);
}

TEST(DeadlineTimer, ReArmsFromItsCallback) {
  testing::TestLoop loop;
  int fired = 0;
  std::unique_ptr<DeadlineTimer> timer;
  timer = std::make_unique<DeadlineTimer>(loop.base.get(), [&] {
    if (++fired < 3) {
      timer->arm(0us);
    }
  });
  timer->arm(0us);
  for (int i = 0; i < 3; ++i) {
    loop.runOnce();
  }
  EXPECT_EQ(fired, 3);
  EXPECT_FALSE(timer->armed());
}

// Under ASan this also proves that nothing of the timer is touched after its callback.
TEST(DeadlineTimer, CallbackMayDestroyItsTimerAsItsLastAct) {
  testing::TestLoop loop;
  bool fired = false;
  std::unique_ptr<DeadlineTimer> timer;
  timer = std::make_unique<DeadlineTimer>(loop.base.get(), [&] {
    fired = true;
    timer.reset();
  });
  timer->arm(0us);
  loop.runOnce();
  EXPECT_TRUE(fired);
  EXPECT_EQ(timer, nullptr);
}

TEST(DeadlineTimer, DestroyingCancels) {
  testing::TestLoop loop;
  int fired = 0;
  {
    DeadlineTimer timer(loop.base.get(), [&] { ++fired; });
    timer.arm(0us);
  }
  loop.runReady();
  EXPECT_EQ(fired, 0);
}

}  // namespace
}  // namespace slotgate::gateway
