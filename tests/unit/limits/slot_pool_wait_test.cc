// SlotPool's FIFO waiting queue: grants through the executor, max_waiting, cancel, setLimit.
#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "limits/slot_pool.h"

namespace slotgate::limits {
namespace {

// Runs posted tasks only when the test drains it, so "later, never inline" is observable.
class ManualExecutor final : public Executor {
 public:
  void post(std::function<void()> fn) override {
    std::lock_guard<std::mutex> lock(mu_);
    tasks_.push_back(std::move(fn));
  }
  size_t pending() {
    std::lock_guard<std::mutex> lock(mu_);
    return tasks_.size();
  }
  // Runs what is queued now and whatever those tasks queue; returns how many ran.
  int drain() {
    int ran = 0;
    for (;;) {
      std::function<void()> fn;
      {
        std::lock_guard<std::mutex> lock(mu_);
        if (tasks_.empty()) {
          return ran;
        }
        fn = std::move(tasks_.front());
        tasks_.pop_front();
      }
      fn();
      ++ran;
    }
  }
  // Drops queued tasks without running them (a worker shutting down).
  void discard() {
    std::deque<std::function<void()>> dropped;
    {
      std::lock_guard<std::mutex> lock(mu_);
      dropped.swap(tasks_);
    }
  }

 private:
  std::mutex mu_;
  std::deque<std::function<void()>> tasks_;
};

// One thread that runs posted tasks in order: a stand-in for a worker's event loop.
class ThreadExecutor final : public Executor {
 public:
  ThreadExecutor() : thread_([this] { run(); }) {}
  ~ThreadExecutor() override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    cv_.notify_one();
    thread_.join();
  }
  void post(std::function<void()> fn) override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      tasks_.push_back(std::move(fn));
    }
    cv_.notify_one();
  }
  std::thread::id id() const { return thread_.get_id(); }

 private:
  void run() {
    std::unique_lock<std::mutex> lock(mu_);
    for (;;) {
      cv_.wait(lock, [this] { return stop_ || !tasks_.empty(); });
      if (tasks_.empty()) {
        return;
      }
      auto fn = std::move(tasks_.front());
      tasks_.pop_front();
      lock.unlock();
      fn();
      lock.lock();
    }
  }
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> tasks_;
  bool stop_ = false;
  std::thread thread_;
};

class CountingObserver final : public SlotObserver {
 public:
  void onSlotReleased(std::chrono::duration<double>, bool exception) override {
    ++(exception ? exceptions : completions);
  }
  std::atomic<int> exceptions{0};
  std::atomic<int> completions{0};
};

TEST(SlotPoolWaitTest, GrantRunsOnExecutorNeverInline) {
  ManualExecutor ex;
  auto pool = SlotPool::create("k", 1);
  SlotLease held = pool->tryAcquire();
  std::optional<SlotLease> got;
  WaitHandlePtr h = pool->wait(ex, 4, [&](SlotLease l) { got = std::move(l); });
  ASSERT_NE(h, nullptr);
  EXPECT_EQ(pool->waiting(), 1u);
  EXPECT_EQ(pool->available(), 0u);
  EXPECT_EQ(ex.pending(), 0u);

  held.release();  // on this same thread: the grant must still go through the executor
  EXPECT_FALSE(got.has_value());
  EXPECT_EQ(pool->inUse(), 1u);  // the slot is already reserved for the waiter
  EXPECT_EQ(pool->waiting(), 0u);
  EXPECT_EQ(ex.pending(), 1u);
  EXPECT_EQ(ex.drain(), 1);
  ASSERT_TRUE(got.has_value());
  EXPECT_TRUE(*got);
  EXPECT_EQ(got->keyId(), "k");
  got.reset();
  EXPECT_EQ(pool->inUse(), 0u);
}

TEST(SlotPoolWaitTest, WaitWithFreeSlotStillGrantsThroughExecutor) {
  ManualExecutor ex;
  auto pool = SlotPool::create("k", 1);
  int calls = 0;
  WaitHandlePtr h = pool->wait(ex, 0, [&](SlotLease l) {
    EXPECT_TRUE(l);
    ++calls;
  });
  ASSERT_NE(h, nullptr);
  EXPECT_EQ(calls, 0);
  EXPECT_EQ(pool->inUse(), 1u);
  EXPECT_EQ(pool->waiting(), 0u);
  ex.drain();
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(pool->inUse(), 0u);  // the callback dropped the lease
}

TEST(SlotPoolWaitTest, WaitersAreServedOldestFirst) {
  ManualExecutor ex;
  auto pool = SlotPool::create("k", 1);
  SlotLease held = pool->tryAcquire();
  std::vector<int> order;
  std::vector<SlotLease> leases(5);
  std::vector<WaitHandlePtr> handles;
  for (int i = 0; i < 5; ++i) {
    handles.push_back(pool->wait(ex, 10, [&, i](SlotLease l) {
      order.push_back(i);
      leases[i] = std::move(l);
    }));
    ASSERT_NE(handles.back(), nullptr);
  }
  EXPECT_EQ(pool->waiting(), 5u);
  held.release();
  for (int i = 0; i < 5; ++i) {
    ASSERT_EQ(ex.drain(), 1);
    ASSERT_EQ(order.size(), static_cast<size_t>(i + 1));
    EXPECT_EQ(order.back(), i);
    EXPECT_EQ(pool->waiting(), static_cast<size_t>(4 - i));
    EXPECT_FALSE(pool->tryAcquire());  // full, and no overtaking either
    leases[i].release();
  }
  EXPECT_EQ(ex.drain(), 0);
  EXPECT_EQ(pool->inUse(), 0u);
}

TEST(SlotPoolWaitTest, MaxWaitingRefuses) {
  ManualExecutor ex;
  auto pool = SlotPool::create("k", 1);
  SlotLease held = pool->tryAcquire();
  bool called = false;
  auto cb = [&](SlotLease) { called = true; };
  EXPECT_EQ(pool->wait(ex, 0, cb), nullptr);  // no queue at all
  WaitHandlePtr a = pool->wait(ex, 2, cb);
  WaitHandlePtr b = pool->wait(ex, 2, cb);
  WaitHandlePtr c = pool->wait(ex, 2, cb);
  EXPECT_NE(a, nullptr);
  EXPECT_NE(b, nullptr);
  EXPECT_EQ(c, nullptr);
  EXPECT_EQ(pool->waiting(), 2u);
  // Another caller's bound is its own.
  WaitHandlePtr d = pool->wait(ex, 3, cb);
  EXPECT_NE(d, nullptr);
  EXPECT_EQ(pool->waiting(), 3u);
  a.reset();
  EXPECT_EQ(pool->waiting(), 2u);
  EXPECT_NE(pool->wait(ex, 3, cb), nullptr);  // room again (handle dropped at once: cancelled)
  EXPECT_EQ(pool->waiting(), 2u);
  EXPECT_FALSE(called);
}

TEST(SlotPoolWaitTest, CancelRemovesAtOnce) {
  ManualExecutor ex;
  auto pool = SlotPool::create("k", 1);
  SlotLease held = pool->tryAcquire();
  bool called = false;
  WaitHandlePtr h = pool->wait(ex, 4, [&](SlotLease) { called = true; });
  WaitHandlePtr h2 = pool->wait(ex, 4, [&](SlotLease) { called = true; });
  EXPECT_EQ(pool->waiting(), 2u);
  h->cancel();
  EXPECT_EQ(pool->waiting(), 1u);
  h->cancel();  // idempotent
  EXPECT_EQ(pool->waiting(), 1u);
  h2.reset();  // destruction cancels too
  EXPECT_EQ(pool->waiting(), 0u);
  EXPECT_EQ(pool->available(), 0u);  // the held slot
  held.release();
  EXPECT_EQ(ex.pending(), 0u);
  EXPECT_EQ(ex.drain(), 0);
  EXPECT_FALSE(called);
  EXPECT_EQ(pool->inUse(), 0u);
  EXPECT_EQ(pool->available(), 1u);
}

TEST(SlotPoolWaitTest, CancelAfterGrantPassesSlotToNextWaiter) {
  ManualExecutor ex;
  CountingObserver observer;
  auto pool = SlotPool::create("k", 1, &observer);
  SlotLease held = pool->tryAcquire();
  int a_calls = 0;
  std::optional<SlotLease> b_lease;
  WaitHandlePtr a = pool->wait(ex, 4, [&](SlotLease) { ++a_calls; });
  WaitHandlePtr b = pool->wait(ex, 4, [&](SlotLease l) { b_lease = std::move(l); });

  held.markCompleted();
  held.release();  // grants A; the grant sits in A's executor
  EXPECT_EQ(observer.completions.load(), 1);
  EXPECT_EQ(ex.pending(), 1u);
  EXPECT_EQ(pool->waiting(), 1u);
  a->cancel();               // A leaves before its grant ran
  EXPECT_EQ(ex.drain(), 2);  // A's grant gives the slot back, which posts B's grant
  EXPECT_EQ(a_calls, 0);
  ASSERT_TRUE(b_lease.has_value());
  EXPECT_TRUE(*b_lease);
  EXPECT_EQ(pool->inUse(), 1u);
  EXPECT_EQ(pool->waiting(), 0u);
  // The slot A never used is not reported as a release.
  EXPECT_EQ(observer.completions.load() + observer.exceptions.load(), 1);
  b_lease.reset();
  EXPECT_EQ(observer.exceptions.load(), 1);
  EXPECT_EQ(pool->inUse(), 0u);
}

TEST(SlotPoolWaitTest, DiscardedGrantReleasesItsSlot) {
  ManualExecutor ex;
  auto pool = SlotPool::create("k", 1);
  SlotLease held = pool->tryAcquire();
  bool called = false;
  WaitHandlePtr h = pool->wait(ex, 4, [&](SlotLease) { called = true; });
  held.release();
  EXPECT_EQ(pool->inUse(), 1u);
  ex.discard();  // the worker went away without running the task
  EXPECT_FALSE(called);
  EXPECT_EQ(pool->inUse(), 0u);
}

TEST(SlotPoolWaitTest, HandleMayBeDestroyedInsideCallback) {
  ManualExecutor ex;
  auto pool = SlotPool::create("k", 1);
  SlotLease held = pool->tryAcquire();
  SlotLease got;
  WaitHandlePtr h;
  h = pool->wait(ex, 4, [&](SlotLease l) {
    h.reset();
    got = std::move(l);
  });
  held.release();
  ex.drain();
  EXPECT_EQ(h, nullptr);
  EXPECT_TRUE(got);
  EXPECT_EQ(pool->inUse(), 1u);
}

TEST(SlotPoolWaitTest, RaisingLimitGrantsWaiters) {
  ManualExecutor ex;
  auto pool = SlotPool::create("k", 1);
  SlotLease held = pool->tryAcquire();
  std::vector<SlotLease> got;
  std::vector<WaitHandlePtr> handles;
  for (int i = 0; i < 4; ++i) {
    handles.push_back(pool->wait(ex, 10, [&](SlotLease l) { got.push_back(std::move(l)); }));
  }
  pool->setLimit(3);
  EXPECT_EQ(pool->inUse(), 3u);
  EXPECT_EQ(pool->waiting(), 2u);
  EXPECT_EQ(ex.drain(), 2);
  EXPECT_EQ(got.size(), 2u);
  pool->setLimit(0);
  EXPECT_EQ(pool->waiting(), 0u);
  EXPECT_EQ(ex.drain(), 2);
  EXPECT_EQ(got.size(), 4u);
  EXPECT_EQ(pool->inUse(), 5u);
}

TEST(SlotPoolWaitTest, WaitersOnRealThreadsAreServedInOrderOnTheirOwnThreads) {
  constexpr int kWaiters = 4;
  std::vector<std::unique_ptr<ThreadExecutor>> workers;
  for (int i = 0; i < kWaiters; ++i) {
    workers.push_back(std::make_unique<ThreadExecutor>());
  }
  auto pool = SlotPool::create("k", 1);
  SlotLease held = pool->tryAcquire();

  std::mutex mu;
  std::condition_variable cv;
  std::vector<int> order;
  std::vector<WaitHandlePtr> handles;
  std::atomic<int> wrong_thread{0};
  for (int i = 0; i < kWaiters; ++i) {
    ThreadExecutor* worker = workers[i].get();
    handles.push_back(pool->wait(*worker, kWaiters, [&, i, worker](SlotLease l) {
      if (std::this_thread::get_id() != worker->id()) {
        ++wrong_thread;
      }
      {
        std::lock_guard<std::mutex> lock(mu);
        order.push_back(i);
      }
      cv.notify_all();
      l.release();  // on this worker: hands the slot to the next waiter's worker
    }));
    ASSERT_NE(handles.back(), nullptr);
  }
  held.release();
  {
    std::unique_lock<std::mutex> lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(10),
                            [&] { return order.size() == static_cast<size_t>(kWaiters); }));
  }
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3}));
  EXPECT_EQ(wrong_thread.load(), 0);
  workers.clear();  // joins: every task has finished
  EXPECT_EQ(pool->inUse(), 0u);
  EXPECT_EQ(pool->waiting(), 0u);
}

}  // namespace
}  // namespace slotgate::limits
