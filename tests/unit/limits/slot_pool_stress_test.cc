// Many threads mixing tryAcquire / wait / cancel / release on a few small pools. Meant to run
// under ThreadSanitizer too (-DSLOTGATE_SANITIZE=thread).
#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <random>
#include <thread>
#include <unordered_map>
#include <vector>

#include "limits/slot_pool.h"

namespace slotgate::limits {
namespace {

// A worker's loop reduced to a queue its own thread drains between operations.
class LoopExecutor final : public Executor {
 public:
  void post(std::function<void()> fn) override {
    std::lock_guard<std::mutex> lock(mu_);
    tasks_.push_back(std::move(fn));
  }
  void drain() {
    for (;;) {
      std::function<void()> fn;
      {
        std::lock_guard<std::mutex> lock(mu_);
        if (tasks_.empty()) {
          return;
        }
        fn = std::move(tasks_.front());
        tasks_.pop_front();
      }
      fn();
    }
  }

 private:
  std::mutex mu_;
  std::deque<std::function<void()>> tasks_;
};

class CountingObserver final : public SlotObserver {
 public:
  void onSlotReleased(std::chrono::duration<double> held, bool exception) override {
    calls.fetch_add(1, std::memory_order_relaxed);
    if (held.count() < 0) {
      negative.fetch_add(1, std::memory_order_relaxed);
    }
  }
  std::atomic<int64_t> calls{0};
  std::atomic<int64_t> negative{0};
};

struct PoolUnderTest {
  std::shared_ptr<SlotPool> pool;
  uint32_t limit = 0;
  std::atomic<uint32_t> holders{0};
  std::atomic<uint32_t> max_holders{0};
  std::atomic<int64_t> over_limit{0};
  std::atomic<int64_t> acquired{0};  // leases that reached a holder (tryAcquire or grant)
  std::atomic<int64_t> granted{0};

  void onHold() {
    acquired.fetch_add(1, std::memory_order_relaxed);
    const uint32_t now = holders.fetch_add(1, std::memory_order_seq_cst) + 1;
    if (now > limit) {
      over_limit.fetch_add(1, std::memory_order_relaxed);
    }
    uint32_t seen = max_holders.load(std::memory_order_relaxed);
    while (now > seen && !max_holders.compare_exchange_weak(seen, now)) {
    }
  }
  void onRelease() { holders.fetch_sub(1, std::memory_order_seq_cst); }
};

TEST(SlotPoolStressTest, LimitsHoldAndEverythingDrains) {
  constexpr int kThreads = 8;
  constexpr int kOpsPerThread = 100000 / kThreads;
  constexpr std::array<uint32_t, 3> kLimits = {1, 2, 3};
  CountingObserver observer;
  std::array<PoolUnderTest, kLimits.size()> pools;
  for (size_t i = 0; i < pools.size(); ++i) {
    pools[i].limit = kLimits[i];
    pools[i].pool = SlotPool::create("pool" + std::to_string(i), kLimits[i], &observer);
  }
  std::vector<std::unique_ptr<LoopExecutor>> executors;
  for (int t = 0; t < kThreads; ++t) {
    executors.push_back(std::make_unique<LoopExecutor>());
  }
  std::atomic<int64_t> refusals{0};
  std::atomic<int64_t> leases_dropped{0};

  auto worker = [&](int t) {
    LoopExecutor& ex = *executors[t];
    std::mt19937 rng(1234 + t);
    struct Held {
      size_t pool;
      SlotLease lease;
    };
    std::vector<Held> held;
    std::unordered_map<uint64_t, WaitHandlePtr> pending;
    uint64_t next_id = 0;

    auto drop = [&](size_t index, bool completed) {
      Held h = std::move(held[index]);
      held[index] = std::move(held.back());
      held.pop_back();
      pools[h.pool].onRelease();
      if (completed) {
        h.lease.markCompleted();
      }
      h.lease.release();
      leases_dropped.fetch_add(1, std::memory_order_relaxed);
    };

    for (int op = 0; op < kOpsPerThread; ++op) {
      ex.drain();
      const size_t p = rng() % pools.size();
      const unsigned kind = rng() % 100;
      if (kind < 30) {
        SlotLease lease = pools[p].pool->tryAcquire();
        if (lease) {
          pools[p].onHold();
          held.push_back({p, std::move(lease)});
        }
      } else if (kind < 50) {
        const uint64_t id = next_id++;
        WaitHandlePtr h = pools[p].pool->wait(ex, 3, [&, id, p](SlotLease lease) {
          pools[p].onHold();
          pools[p].granted.fetch_add(1, std::memory_order_relaxed);
          held.push_back({p, std::move(lease)});
          pending.erase(id);  // destroys this waiter's handle inside its own callback
        });
        if (h) {
          pending.emplace(id, std::move(h));
        } else {
          refusals.fetch_add(1, std::memory_order_relaxed);
        }
      } else if (kind < 60) {
        if (!pending.empty()) {
          auto it = pending.begin();
          std::advance(it, rng() % std::min<size_t>(pending.size(), 4));
          if (rng() % 2 == 0) {
            it->second->cancel();
          }
          pending.erase(it);
        }
      } else if (!held.empty()) {
        drop(rng() % held.size(), kind >= 90);
      }
    }
    while (!held.empty()) {
      drop(held.size() - 1, false);
    }
    // Once every handle is gone no grant can be posted here any more; the ones already posted
    // give their slots back when drained.
    pending.clear();
    ex.drain();
  };

  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back(worker, t);
  }
  for (auto& th : threads) {
    th.join();
  }

  int64_t acquired = 0;
  int64_t granted = 0;
  for (auto& p : pools) {
    SCOPED_TRACE(p.pool->keyId());
    EXPECT_EQ(p.over_limit.load(), 0);
    EXPECT_LE(p.max_holders.load(), p.limit);
    EXPECT_GE(p.max_holders.load(), 1u);
    EXPECT_EQ(p.holders.load(), 0u);
    EXPECT_EQ(p.pool->inUse(), 0u);
    EXPECT_EQ(p.pool->waiting(), 0u);
    EXPECT_EQ(p.pool->available(), p.limit);
    acquired += p.acquired.load();
    granted += p.granted.load();
  }
  // Every lease that reached a holder was reported exactly once; abandoned grants never were.
  EXPECT_EQ(observer.calls.load(), acquired);
  EXPECT_EQ(leases_dropped.load(), acquired);
  EXPECT_EQ(observer.negative.load(), 0);
  // The mix really exercised the queue and its refusals.
  EXPECT_GT(granted, 0);
  EXPECT_GT(refusals.load(), 0);
}

}  // namespace
}  // namespace slotgate::limits
