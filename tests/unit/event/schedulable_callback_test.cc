#include "gateway/event/schedulable_callback.h"

#include <gtest/gtest.h>

#include "tests/unit/event/loop.h"

namespace slotgate::gateway {
namespace {

TEST(SchedulableCallback, RunsOnceOnTheNextTurnHoweverOftenScheduled) {
  testing::TestLoop loop;
  int runs = 0;
  SchedulableCallback cb(loop.base.get(), [&] { ++runs; });
  cb.schedule();
  cb.schedule();
  EXPECT_EQ(runs, 0);  // never inline
  EXPECT_TRUE(cb.scheduled());
  loop.runReady();
  EXPECT_EQ(runs, 1);
  EXPECT_FALSE(cb.scheduled());
  cb.schedule();
  loop.runReady();
  EXPECT_EQ(runs, 2);
}

TEST(SchedulableCallback, CancelAndDestroyDropTheRun) {
  testing::TestLoop loop;
  int runs = 0;
  SchedulableCallback kept(loop.base.get(), [&] { ++runs; });
  kept.schedule();
  kept.cancel();
  EXPECT_FALSE(kept.scheduled());
  {
    SchedulableCallback gone(loop.base.get(), [&] { ++runs; });
    gone.schedule();
  }
  loop.runReady();
  EXPECT_EQ(runs, 0);
}

}  // namespace
}  // namespace slotgate::gateway
