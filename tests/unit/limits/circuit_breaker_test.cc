// CircuitBreaker state machine (SPEC section 4) with a fake clock.
#include "limits/circuit_breaker.h"

#include <gtest/gtest.h>

#include <vector>

#include "tests/unit/limits/fake_clock.h"

namespace slotgate::limits {
namespace {

using namespace std::chrono_literals;
using std::chrono::milliseconds;

using testing::FakeClock;

conf::CircuitBreakerConfig config(uint32_t threshold, milliseconds open, uint32_t probes) {
  conf::CircuitBreakerConfig c;
  c.failure_threshold = threshold;
  c.open_duration = open;
  c.half_open_requests = probes;
  return c;
}

class CircuitBreakerTest : public ::testing::Test {
 protected:
  void fail(CircuitBreaker& b, int n) {
    for (int i = 0; i < n; ++i) {
      BreakerPermit p = b.tryAdmit();
      ASSERT_TRUE(p);
      p.failure();
    }
  }
  // Waits out the open period, sends one probe and fails it.
  void failProbe(CircuitBreaker& b) {
    clock_.advance(b.retryAfter());
    BreakerPermit p = b.tryAdmit();
    ASSERT_TRUE(p);
    ASSERT_TRUE(p.isProbe());
    p.failure();
  }
  FakeClock clock_;
};

TEST(CircuitStateNameTest, Names) {
  EXPECT_EQ(circuitStateName(CircuitState::kClosed), "closed");
  EXPECT_EQ(circuitStateName(CircuitState::kOpen), "open");
  EXPECT_EQ(circuitStateName(CircuitState::kHalfOpen), "half_open");
}

TEST_F(CircuitBreakerTest, ClosedAdmitsAndOpensAfterConsecutiveFailures) {
  CircuitBreaker b("pk", config(3, 30s, 1), clock_);
  EXPECT_EQ(b.keyId(), "pk");
  EXPECT_EQ(b.state(), CircuitState::kClosed);
  EXPECT_TRUE(b.admits());
  EXPECT_EQ(b.retryAfter(), 0ms);
  fail(b, 2);
  EXPECT_EQ(b.consecutiveFailures(), 2u);
  EXPECT_EQ(b.state(), CircuitState::kClosed);
  fail(b, 1);
  EXPECT_EQ(b.state(), CircuitState::kOpen);
  EXPECT_FALSE(b.admits());
  EXPECT_FALSE(b.tryAdmit());
  EXPECT_EQ(b.retryAfter(), 30000ms);
  clock_.advance(10s);
  EXPECT_EQ(b.retryAfter(), 20000ms);
  EXPECT_FALSE(b.tryAdmit());
}

TEST_F(CircuitBreakerTest, SuccessResetsConsecutiveCount) {
  CircuitBreaker b("pk", config(3, 30s, 1), clock_);
  fail(b, 2);
  b.tryAdmit().success();
  EXPECT_EQ(b.consecutiveFailures(), 0u);
  fail(b, 2);
  EXPECT_EQ(b.state(), CircuitState::kClosed);
  fail(b, 1);
  EXPECT_EQ(b.state(), CircuitState::kOpen);
}

TEST_F(CircuitBreakerTest, NeutralOutcomesDoNotCount) {
  CircuitBreaker b("pk", config(2, 30s, 1), clock_);
  fail(b, 1);
  { BreakerPermit p = b.tryAdmit(); }  // client left: no verdict
  EXPECT_EQ(b.consecutiveFailures(), 1u);
  EXPECT_EQ(b.state(), CircuitState::kClosed);
  fail(b, 1);
  EXPECT_EQ(b.state(), CircuitState::kOpen);
}

TEST_F(CircuitBreakerTest, HalfOpenProbeSuccessCloses) {
  CircuitBreaker b("pk", config(1, 30s, 1), clock_);
  fail(b, 1);
  clock_.advance(30s - 1ms);
  EXPECT_EQ(b.state(), CircuitState::kOpen);
  EXPECT_EQ(b.retryAfter(), 1ms);
  clock_.advance(1ms);
  EXPECT_EQ(b.state(), CircuitState::kHalfOpen);
  EXPECT_EQ(b.retryAfter(), 0ms);
  EXPECT_TRUE(b.admits());
  BreakerPermit probe = b.tryAdmit();
  ASSERT_TRUE(probe);
  EXPECT_TRUE(probe.isProbe());
  EXPECT_FALSE(b.admits());  // the one probe place is taken
  EXPECT_FALSE(b.tryAdmit());
  probe.success();
  EXPECT_FALSE(probe);  // spent
  EXPECT_EQ(b.state(), CircuitState::kClosed);
  BreakerPermit normal = b.tryAdmit();
  ASSERT_TRUE(normal);
  EXPECT_FALSE(normal.isProbe());
}

TEST_F(CircuitBreakerTest, HalfOpenAdmitsConfiguredNumberOfProbes) {
  CircuitBreaker b("pk", config(1, 1s, 3), clock_);
  fail(b, 1);
  clock_.advance(1s);
  std::vector<BreakerPermit> probes;
  for (int i = 0; i < 3; ++i) {
    probes.push_back(b.tryAdmit());
    ASSERT_TRUE(probes.back());
    EXPECT_TRUE(probes.back().isProbe());
  }
  EXPECT_EQ(b.probesInFlight(), 3u);
  EXPECT_FALSE(b.tryAdmit());
  EXPECT_FALSE(b.admits());
  // A neutral probe frees its place for another probe.
  probes[0] = BreakerPermit();
  EXPECT_EQ(b.probesInFlight(), 2u);
  EXPECT_TRUE(b.admits());
  BreakerPermit another = b.tryAdmit();
  ASSERT_TRUE(another);
  EXPECT_TRUE(another.isProbe());
  EXPECT_FALSE(b.tryAdmit());
  // The first verdict decides; the other probes' outcomes are stale afterwards.
  probes[1].success();
  EXPECT_EQ(b.state(), CircuitState::kClosed);
  probes[2].failure();
  another.failure();
  EXPECT_EQ(b.state(), CircuitState::kClosed);
  EXPECT_EQ(b.consecutiveFailures(), 0u);
}

TEST_F(CircuitBreakerTest, FailedProbeReopensWithDoublingCappedAtTenTimes) {
  CircuitBreaker b("pk", config(1, 30s, 1), clock_);
  fail(b, 1);
  EXPECT_EQ(b.retryAfter(), 30s);
  const std::vector<milliseconds> expected = {60s, 120s, 240s, 300s, 300s};
  for (milliseconds want : expected) {
    failProbe(b);
    EXPECT_EQ(b.state(), CircuitState::kOpen);
    EXPECT_EQ(b.retryAfter(), want);
    EXPECT_EQ(b.currentOpenDuration(), want);
  }
  // A good probe closes and the doubling starts over.
  clock_.advance(b.retryAfter());
  BreakerPermit probe = b.tryAdmit();
  ASSERT_TRUE(probe.isProbe());
  probe.success();
  EXPECT_EQ(b.state(), CircuitState::kClosed);
  fail(b, 1);
  EXPECT_EQ(b.retryAfter(), 30s);
  failProbe(b);
  EXPECT_EQ(b.retryAfter(), 60s);
}

TEST_F(CircuitBreakerTest, NeutralProbeKeepsCircuitHalfOpen) {
  CircuitBreaker b("pk", config(1, 5s, 1), clock_);
  fail(b, 1);
  clock_.advance(5s);
  { BreakerPermit probe = b.tryAdmit(); }
  EXPECT_EQ(b.state(), CircuitState::kHalfOpen);
  EXPECT_EQ(b.probesInFlight(), 0u);
  BreakerPermit probe = b.tryAdmit();
  ASSERT_TRUE(probe);
  EXPECT_TRUE(probe.isProbe());
  probe.failure();
  EXPECT_EQ(b.retryAfter(), 10s);  // doubled from 5s: the neutral probe did not count
}

TEST_F(CircuitBreakerTest, StalePermitsFromClosedStateDoNotAffectLaterStates) {
  CircuitBreaker b("pk", config(2, 10s, 1), clock_);
  BreakerPermit slow_ok = b.tryAdmit();
  BreakerPermit slow_bad = b.tryAdmit();
  fail(b, 2);
  EXPECT_EQ(b.state(), CircuitState::kOpen);
  slow_ok.success();  // a request from before the opening cannot close it
  EXPECT_EQ(b.state(), CircuitState::kOpen);
  clock_.advance(10s);
  BreakerPermit probe = b.tryAdmit();
  ASSERT_TRUE(probe.isProbe());
  slow_bad.failure();  // nor re-open a half-open one
  EXPECT_EQ(b.state(), CircuitState::kHalfOpen);
  probe.success();
  EXPECT_EQ(b.state(), CircuitState::kClosed);
}

TEST_F(CircuitBreakerTest, PermitMoveSemantics) {
  CircuitBreaker b("pk", config(1, 10s, 1), clock_);
  BreakerPermit rejected;
  EXPECT_FALSE(rejected);
  rejected.failure();  // no-op
  EXPECT_EQ(b.state(), CircuitState::kClosed);

  BreakerPermit p = b.tryAdmit();
  BreakerPermit q(std::move(p));
  EXPECT_FALSE(p);  // NOLINT(bugprone-use-after-move)
  EXPECT_TRUE(q);
  p.failure();  // moved-from: no-op
  EXPECT_EQ(b.state(), CircuitState::kClosed);
  q.failure();
  EXPECT_EQ(b.state(), CircuitState::kOpen);
  q.failure();  // spent
  clock_.advance(10s);
  BreakerPermit probe = b.tryAdmit();
  BreakerPermit holder;
  holder = std::move(probe);
  EXPECT_TRUE(holder.isProbe());
  EXPECT_EQ(b.probesInFlight(), 1u);
  holder = BreakerPermit();  // replaced: neutral
  EXPECT_EQ(b.probesInFlight(), 0u);
}

TEST_F(CircuitBreakerTest, ForceOpenAndSetConfig) {
  CircuitBreaker b("pk", config(5, 10s, 1), clock_);
  b.forceOpen(clock_.now() + 25s);
  EXPECT_EQ(b.state(), CircuitState::kOpen);
  EXPECT_EQ(b.retryAfter(), 25s);
  b.forceOpen(clock_.now() + 5s);  // never shortens
  EXPECT_EQ(b.retryAfter(), 25s);
  failProbe(b);
  EXPECT_EQ(b.retryAfter(), 50s);

  // Lowering open_duration caps the doubling at the new 10x at once.
  b.setConfig(config(2, 2s, 2));
  failProbe(b);
  EXPECT_EQ(b.retryAfter(), 20s);
  clock_.advance(20s);
  BreakerPermit p1 = b.tryAdmit();
  BreakerPermit p2 = b.tryAdmit();
  EXPECT_TRUE(p1.isProbe());
  EXPECT_TRUE(p2.isProbe());
  EXPECT_FALSE(b.tryAdmit());
  p1.success();
  EXPECT_EQ(b.state(), CircuitState::kClosed);
  fail(b, 2);  // the new threshold
  EXPECT_EQ(b.retryAfter(), 2s);
}

TEST_F(CircuitBreakerTest, PermitKeepsSharedBreakerAlive) {
  std::weak_ptr<CircuitBreaker> weak;
  BreakerPermit p;
  {
    auto b = CircuitBreaker::create("pk", config(1, 1s, 1), clock_);
    weak = b;
    p = b->tryAdmit();
  }
  EXPECT_FALSE(weak.expired());
  p.failure();
  EXPECT_TRUE(weak.expired());
}

}  // namespace
}  // namespace slotgate::limits
