#include "gateway/event/timer.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "gateway/event/schedulable_callback.h"
#include "gateway/event/thread_heap.h"
#include "tests/unit/event/alloc_counter.h"
#include "tests/unit/event/loop.h"

namespace slotgate::gateway {
namespace {

using namespace std::chrono_literals;

TEST(Timer, EnableReplacesThePendingArm) {
  testing::TestLoop loop;
  int fired = 0;
  Timer timer(loop.base.get(), [&] { ++fired; });
  timer.enable(1h);
  timer.enable(0us);  // the hour is gone: one run, now
  loop.runOnce();
  EXPECT_EQ(fired, 1);
  EXPECT_FALSE(timer.enabled());
}

// A member timer whose callback captures only its owner costs no allocation of its own
// (std::function keeps such a callable inline), and its event is held by value: a Timer or
// SchedulableCallback made per upstream call allocates nothing, in libevent neither.
TEST(Timer, ThisCapturingCallbackAllocatesNothing) {
  if (!testing::countingAllocations()) {
    GTEST_SKIP() << "a sanitizer's allocator owns operator new here";
  }
  struct Owner {
    explicit Owner(event_base* base) : timer(base, [this] { ++fired; }) {}
    int fired = 0;
    Timer timer;
  };
  testing::TestLoop loop;
  alignas(Owner) unsigned char storage[sizeof(Owner)];
  const size_t before = testing::allocationsOnThisThread();
  auto* owner = new (storage) Owner(loop.base.get());
  owner->timer.enable(0us);
  loop.runOnce();
  EXPECT_EQ(testing::allocationsOnThisThread(), before);
  EXPECT_EQ(owner->fired, 1);
  owner->~Owner();
}

TEST(Timer, TimersAndScheduledCallbacksMakeNoLibeventEvent) {
  routeLibeventMemory();  // libevent's allocations go through the thread heap, counted there
  std::thread([] {
    testing::TestLoop loop;
    {
      Timer warm_up(loop.base.get(), [] {});
      warm_up.enable(1s);  // the loop's timer heap makes its array once, here
    }
    const size_t kept = thread_heap::keptBlocksOnThisThread();
    const size_t from_heap = thread_heap::heapAllocationsOnThisThread();
    int fired = 0;
    {
      Timer timer(loop.base.get(), [&] { ++fired; });
      SchedulableCallback kick(loop.base.get(), [&] { ++fired; });
      timer.enable(0us);
      kick.schedule();
      // Neither took a block for an event: no block left the lists, none came from malloc.
      EXPECT_EQ(thread_heap::keptBlocksOnThisThread(), kept);
      EXPECT_EQ(thread_heap::heapAllocationsOnThisThread(), from_heap);
      loop.runOnce();
      loop.runReady();
    }
    EXPECT_EQ(fired, 2);
    EXPECT_EQ(thread_heap::keptBlocksOnThisThread(), kept);  // and none was freed
  }).join();
}

}  // namespace
}  // namespace slotgate::gateway
