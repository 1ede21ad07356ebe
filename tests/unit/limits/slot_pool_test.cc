// SlotPool acquire/release and SlotLease ownership, single-threaded.
#include "limits/slot_pool.h"

#include <gtest/gtest.h>

#include <limits>
#include <mutex>
#include <utility>
#include <vector>

#include "tests/unit/limits/fake_clock.h"

namespace slotgate::limits {
namespace {

using namespace std::chrono_literals;

using testing::FakeClock;

class RecordingObserver final : public SlotObserver {
 public:
  struct Call {
    double held_seconds;
    bool exception;
  };
  void onSlotReleased(std::chrono::duration<double> held, bool exception) override {
    std::lock_guard<std::mutex> lock(mu_);
    calls.push_back({held.count(), exception});
  }
  std::vector<Call> calls;

 private:
  std::mutex mu_;
};

TEST(SlotPoolTest, AcquiresUpToLimitThenRefuses) {
  auto pool = SlotPool::create("k1", 3);
  EXPECT_EQ(pool->keyId(), "k1");
  EXPECT_EQ(pool->limit(), 3u);
  EXPECT_EQ(pool->available(), 3u);
  SlotLease a = pool->tryAcquire();
  SlotLease b = pool->tryAcquire();
  SlotLease c = pool->tryAcquire();
  ASSERT_TRUE(a);
  ASSERT_TRUE(b);
  ASSERT_TRUE(c);
  EXPECT_EQ(pool->inUse(), 3u);
  EXPECT_EQ(pool->available(), 0u);
  SlotLease d = pool->tryAcquire();
  EXPECT_FALSE(d);
  EXPECT_EQ(pool->inUse(), 3u);

  b.release();
  EXPECT_FALSE(b);
  EXPECT_EQ(pool->inUse(), 2u);
  EXPECT_EQ(pool->available(), 1u);
  b.release();  // idempotent
  EXPECT_EQ(pool->inUse(), 2u);

  d = pool->tryAcquire();
  EXPECT_TRUE(d);
  EXPECT_EQ(pool->inUse(), 3u);
}

TEST(SlotPoolTest, DestructorReleases) {
  auto pool = SlotPool::create("k", 1);
  {
    SlotLease a = pool->tryAcquire();
    ASSERT_TRUE(a);
    EXPECT_EQ(pool->inUse(), 1u);
  }
  EXPECT_EQ(pool->inUse(), 0u);
}

TEST(SlotPoolTest, UnlimitedCountsButNeverRefuses) {
  auto pool = SlotPool::create("k", 0);
  EXPECT_EQ(pool->available(), std::numeric_limits<uint32_t>::max());
  std::vector<SlotLease> leases;
  for (int i = 0; i < 1000; ++i) {
    leases.push_back(pool->tryAcquire());
    ASSERT_TRUE(leases.back());
  }
  EXPECT_EQ(pool->inUse(), 1000u);
  EXPECT_EQ(pool->available(), std::numeric_limits<uint32_t>::max());
  leases.clear();
  EXPECT_EQ(pool->inUse(), 0u);
}

TEST(SlotPoolTest, SetLimitUpAndDown) {
  auto pool = SlotPool::create("k", 2);
  SlotLease a = pool->tryAcquire();
  SlotLease b = pool->tryAcquire();
  EXPECT_FALSE(pool->tryAcquire());

  pool->setLimit(3);
  EXPECT_EQ(pool->limit(), 3u);
  EXPECT_EQ(pool->available(), 1u);
  SlotLease c = pool->tryAcquire();
  EXPECT_TRUE(c);

  // Down below what is held: the held leases stay, new ones wait for enough releases.
  pool->setLimit(1);
  EXPECT_EQ(pool->inUse(), 3u);
  EXPECT_EQ(pool->available(), 0u);
  a.release();
  EXPECT_FALSE(pool->tryAcquire());
  b.release();
  EXPECT_FALSE(pool->tryAcquire());  // inUse 1 == limit 1
  c.release();
  SlotLease d = pool->tryAcquire();
  EXPECT_TRUE(d);
  EXPECT_FALSE(pool->tryAcquire());

  pool->setLimit(0);  // unlimited
  SlotLease e = pool->tryAcquire();
  EXPECT_TRUE(e);
  EXPECT_EQ(pool->inUse(), 2u);
}

TEST(SlotLeaseTest, MoveTransfersOwnership) {
  auto pool = SlotPool::create("key-a", 2);
  SlotLease a = pool->tryAcquire();
  EXPECT_EQ(a.keyId(), "key-a");
  SlotLease moved(std::move(a));
  EXPECT_FALSE(a);  // NOLINT(bugprone-use-after-move): checking the moved-from state
  EXPECT_EQ(a.keyId(), "");
  EXPECT_TRUE(moved);
  EXPECT_EQ(pool->inUse(), 1u);

  SlotLease other = pool->tryAcquire();
  EXPECT_EQ(pool->inUse(), 2u);
  // Move-assign releases the slot the target held.
  other = std::move(moved);
  EXPECT_EQ(pool->inUse(), 1u);
  EXPECT_TRUE(other);
  EXPECT_FALSE(moved);  // NOLINT(bugprone-use-after-move)

  SlotLease empty;
  EXPECT_FALSE(empty);
  EXPECT_EQ(empty.keyId(), "");
  empty.release();  // no-op
  other = SlotLease();
  EXPECT_EQ(pool->inUse(), 0u);
}

TEST(SlotLeaseTest, LeaseKeepsPoolAlive) {
  SlotLease lease;
  std::weak_ptr<SlotPool> weak;
  {
    auto pool = SlotPool::create("k", 1);
    weak = pool;
    lease = pool->tryAcquire();
  }
  EXPECT_FALSE(weak.expired());
  EXPECT_EQ(weak.lock()->inUse(), 1u);
  lease.release();
  EXPECT_TRUE(weak.expired());
}

TEST(SlotLeaseTest, ObserverToldOnceWithHeldTimeAndOutcome) {
  FakeClock clock;
  RecordingObserver observer;
  auto pool = SlotPool::create("k", 5, &observer, clock);

  SlotLease failed = pool->tryAcquire();
  SlotLease completed = pool->tryAcquire();
  clock.advance(1500ms);
  completed.markCompleted();
  SlotLease moved = std::move(completed);
  moved.release();
  moved.release();
  ASSERT_EQ(observer.calls.size(), 1u);
  EXPECT_DOUBLE_EQ(observer.calls[0].held_seconds, 1.5);
  EXPECT_FALSE(observer.calls[0].exception);

  clock.advance(500ms);
  failed = SlotLease();  // default: exception=true
  ASSERT_EQ(observer.calls.size(), 2u);
  EXPECT_DOUBLE_EQ(observer.calls[1].held_seconds, 2.0);
  EXPECT_TRUE(observer.calls[1].exception);

  {
    SlotLease scoped = pool->tryAcquire();
    clock.advance(250ms);
  }
  ASSERT_EQ(observer.calls.size(), 3u);
  EXPECT_DOUBLE_EQ(observer.calls[2].held_seconds, 0.25);
  EXPECT_TRUE(observer.calls[2].exception);

  // A refused acquire is no lease and reports nothing.
  pool->setLimit(1);
  SlotLease one = pool->tryAcquire();
  { SlotLease refused = pool->tryAcquire(); }
  EXPECT_EQ(observer.calls.size(), 3u);
  one.markCompleted();
  one.release();
  ASSERT_EQ(observer.calls.size(), 4u);
  EXPECT_FALSE(observer.calls[3].exception);
  EXPECT_EQ(pool->inUse(), 0u);
}

}  // namespace
}  // namespace slotgate::limits
