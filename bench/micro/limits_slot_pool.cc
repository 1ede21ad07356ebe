// Microbenchmarks of the in-process slot pool and the breaker's closed path.
#include <benchmark/benchmark.h>

#include <memory>

#include "limits/circuit_breaker.h"
#include "limits/slot_pool.h"

namespace slotgate::limits {
namespace {

class NullObserver final : public SlotObserver {
 public:
  void onSlotReleased(std::chrono::duration<double> held, bool exception) override {
    benchmark::DoNotOptimize(held);
  }
};

void BM_AcquireRelease_Uncontended(benchmark::State& state) {
  auto pool = SlotPool::create("k", 1000);
  for (auto _ : state) {
    SlotLease lease = pool->tryAcquire();
    benchmark::DoNotOptimize(lease);
  }
}
BENCHMARK(BM_AcquireRelease_Uncontended);

// With an observer: two clock reads (acquire, release) and the virtual call.
void BM_AcquireRelease_UncontendedObserved(benchmark::State& state) {
  NullObserver observer;
  auto pool = SlotPool::create("k", 1000, &observer);
  for (auto _ : state) {
    SlotLease lease = pool->tryAcquire();
    lease.markCompleted();
    benchmark::DoNotOptimize(lease);
  }
}
BENCHMARK(BM_AcquireRelease_UncontendedObserved);

// The same with Clock::coarse(), the cheaper clock for hold-time metrics.
void BM_AcquireRelease_UncontendedObservedCoarse(benchmark::State& state) {
  NullObserver observer;
  auto pool = SlotPool::create("k", 1000, &observer, Clock::coarse());
  for (auto _ : state) {
    SlotLease lease = pool->tryAcquire();
    lease.markCompleted();
    benchmark::DoNotOptimize(lease);
  }
}
BENCHMARK(BM_AcquireRelease_UncontendedObservedCoarse);

void BM_AcquireRelease_Unlimited(benchmark::State& state) {
  auto pool = SlotPool::create("k", 0);
  for (auto _ : state) {
    SlotLease lease = pool->tryAcquire();
    benchmark::DoNotOptimize(lease);
  }
}
BENCHMARK(BM_AcquireRelease_Unlimited);

// A refused acquire on a full pool (the 429 path).
void BM_TryAcquire_Full(benchmark::State& state) {
  auto pool = SlotPool::create("k", 1);
  SlotLease held = pool->tryAcquire();
  for (auto _ : state) {
    SlotLease lease = pool->tryAcquire();
    benchmark::DoNotOptimize(lease);
  }
}
BENCHMARK(BM_TryAcquire_Full);

// All threads on one pool whose limit is never reached: the cost of the shared cache line.
std::shared_ptr<SlotPool> g_shared_pool = SlotPool::create("shared", 1000);

void BM_AcquireRelease_Contended(benchmark::State& state) {
  for (auto _ : state) {
    SlotLease lease = g_shared_pool->tryAcquire();
    benchmark::DoNotOptimize(lease);
  }
}
BENCHMARK(BM_AcquireRelease_Contended)->Threads(1)->Threads(2)->Threads(4)->UseRealTime();

void BM_BreakerTryAdmitClosed(benchmark::State& state) {
  CircuitBreaker breaker("pk", conf::CircuitBreakerConfig{});
  for (auto _ : state) {
    BreakerPermit permit = breaker.tryAdmit();
    benchmark::DoNotOptimize(permit);
    permit.success();
  }
}
BENCHMARK(BM_BreakerTryAdmitClosed);

// Owned by shared_ptr: the permit also takes a reference to keep the breaker alive.
void BM_BreakerTryAdmitClosedShared(benchmark::State& state) {
  auto breaker = CircuitBreaker::create("pk", conf::CircuitBreakerConfig{});
  for (auto _ : state) {
    BreakerPermit permit = breaker->tryAdmit();
    benchmark::DoNotOptimize(permit);
    permit.success();
  }
}
BENCHMARK(BM_BreakerTryAdmitClosedShared);

void BM_BreakerAdmitsClosed(benchmark::State& state) {
  CircuitBreaker breaker("pk", conf::CircuitBreakerConfig{});
  for (auto _ : state) {
    benchmark::DoNotOptimize(breaker.admits());
  }
}
BENCHMARK(BM_BreakerAdmitsClosed);

}  // namespace
}  // namespace slotgate::limits
