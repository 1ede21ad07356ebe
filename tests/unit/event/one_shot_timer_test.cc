// What Timer and DeadlineTimer promise alike: one run per arm, none after a cancel or once
// destroyed, a negative duration runs on the next turn, the callback may arm its own timer again
// or destroy it. Each type's own tests (timer_test.cc, deadline_timer_test.cc) cover the rest.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>

#include "gateway/event/deadline_timer.h"
#include "gateway/event/timer.h"
#include "tests/unit/event/loop.h"

namespace slotgate::gateway {
namespace {

using namespace std::chrono_literals;

// The two types spell arm, cancel and the armed question differently.
struct TimerCalls {
  using Type = Timer;
  static constexpr char kName[] = "Timer";
  static void arm(Timer& t, std::chrono::microseconds d) { t.enable(d); }
  static void cancel(Timer& t) { t.disable(); }
  static bool armed(const Timer& t) { return t.enabled(); }
};

struct DeadlineTimerCalls {
  using Type = DeadlineTimer;
  static constexpr char kName[] = "DeadlineTimer";
  static void arm(DeadlineTimer& t, std::chrono::microseconds d) { t.arm(d); }
  static void cancel(DeadlineTimer& t) { t.cancel(); }
  static bool armed(const DeadlineTimer& t) { return t.armed(); }
};

template <typename Calls>
class OneShotTimer : public ::testing::Test {};

using TimerTypes = ::testing::Types<TimerCalls, DeadlineTimerCalls>;
// Test names say which type ran: OneShotTimer/Timer.RunsOncePerArm.
struct TimerTypeName {
  template <typename Calls>
  static std::string GetName(int /*index*/) {
    return Calls::kName;
  }
};
TYPED_TEST_SUITE(OneShotTimer, TimerTypes, TimerTypeName);

TYPED_TEST(OneShotTimer, RunsOncePerArm) {
  testing::TestLoop loop;
  int fired = 0;
  typename TypeParam::Type timer(loop.base.get(), [&] { ++fired; });
  EXPECT_FALSE(TypeParam::armed(timer));
  TypeParam::arm(timer, 0us);
  EXPECT_TRUE(TypeParam::armed(timer));
  loop.runOnce();
  EXPECT_EQ(fired, 1);
  EXPECT_FALSE(TypeParam::armed(timer));
  loop.runReady();
  EXPECT_EQ(fired, 1);
}

TYPED_TEST(OneShotTimer, CancelledDoesNotRun) {
  testing::TestLoop loop;
  int fired = 0;
  typename TypeParam::Type timer(loop.base.get(), [&] { ++fired; });
  TypeParam::arm(timer, 0us);
  TypeParam::cancel(timer);
  EXPECT_FALSE(TypeParam::armed(timer));
  loop.runReady();
  EXPECT_EQ(fired, 0);
}

TYPED_TEST(OneShotTimer, NegativeDurationRunsOnTheNextTurn) {
  testing::TestLoop loop;
  int fired = 0;
  typename TypeParam::Type timer(loop.base.get(), [&] { ++fired; });
  TypeParam::arm(timer, -5s);
  loop.runOnce();
  EXPECT_EQ(fired, 1);
}

TYPED_TEST(OneShotTimer, ArmsAgainFromItsCallback) {
  testing::TestLoop loop;
  int fired = 0;
  std::unique_ptr<typename TypeParam::Type> timer;
  timer = std::make_unique<typename TypeParam::Type>(loop.base.get(), [&] {
    if (++fired < 3) {
      TypeParam::arm(*timer, 0us);
    }
  });
  TypeParam::arm(*timer, 0us);
  for (int i = 0; i < 3; ++i) {
    loop.runOnce();
  }
  EXPECT_EQ(fired, 3);
  EXPECT_FALSE(TypeParam::armed(*timer));
}

// Under ASan this also proves that nothing of the timer is touched after its callback.
TYPED_TEST(OneShotTimer, CallbackMayDestroyItsTimerAsItsLastAct) {
  testing::TestLoop loop;
  bool fired = false;
  std::unique_ptr<typename TypeParam::Type> timer;
  timer = std::make_unique<typename TypeParam::Type>(loop.base.get(), [&] {
    fired = true;
    timer.reset();
  });
  TypeParam::arm(*timer, 0us);
  loop.runOnce();
  EXPECT_TRUE(fired);
  EXPECT_EQ(timer, nullptr);
}

TYPED_TEST(OneShotTimer, DestroyingCancels) {
  testing::TestLoop loop;
  int fired = 0;
  {
    typename TypeParam::Type timer(loop.base.get(), [&] { ++fired; });
    TypeParam::arm(timer, 0us);
  }
  loop.runReady();
  EXPECT_EQ(fired, 0);
}

}  // namespace
}  // namespace slotgate::gateway
