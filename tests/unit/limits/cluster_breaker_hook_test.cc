// The CircuitBreaker hooks cluster mode uses: the transition listener, forceOpenFor, forceClose.
#include <gtest/gtest.h>

#include <vector>

#include "limits/circuit_breaker.h"
#include "tests/unit/limits/fake_clock.h"

namespace slotgate::limits {
namespace {

using namespace std::chrono_literals;

using testing::FakeClock;

struct Recorded {
  std::string key;
  bool opened;
  std::chrono::milliseconds open_for;
};

class BreakerHookTest : public ::testing::Test {
 protected:
  BreakerHookTest() {
    conf::CircuitBreakerConfig c;
    c.failure_threshold = 2;
    c.open_duration = 1000ms;
    c.half_open_requests = 1;
    breaker_ = CircuitBreaker::create("k1", c, clock_);
    breaker_->setListener([this](CircuitBreaker& b, CircuitTransition t) {
      events_.push_back({b.keyId(), t.opened, t.open_for});
    });
  }
  void fail() {
    BreakerPermit p = breaker_->tryAdmit();
    ASSERT_TRUE(p);
    p.failure();
  }

  FakeClock clock_;
  CircuitBreakerPtr breaker_;
  std::vector<Recorded> events_;
};

TEST_F(BreakerHookTest, ReportsOpenAtThresholdThenDoubledReopenThenClose) {
  fail();
  EXPECT_TRUE(events_.empty());
  fail();
  ASSERT_EQ(events_.size(), 1u);
  EXPECT_EQ(events_[0].key, "k1");
  EXPECT_TRUE(events_[0].opened);
  EXPECT_EQ(events_[0].open_for, 1000ms);

  clock_.advance(1000ms);
  fail();  // the probe fails: re-open for twice as long
  ASSERT_EQ(events_.size(), 2u);
  EXPECT_TRUE(events_[1].opened);
  EXPECT_EQ(events_[1].open_for, 2000ms);

  clock_.advance(2000ms);
  BreakerPermit probe = breaker_->tryAdmit();
  ASSERT_TRUE(probe.isProbe());
  probe.success();
  ASSERT_EQ(events_.size(), 3u);
  EXPECT_FALSE(events_[2].opened);
  EXPECT_EQ(breaker_->state(), CircuitState::kClosed);
}

TEST_F(BreakerHookTest, ForcedTransitionsAreNotReported) {
  breaker_->forceOpenFor(3000ms);
  EXPECT_EQ(breaker_->state(), CircuitState::kOpen);
  EXPECT_EQ(breaker_->retryAfter(), 3000ms);
  breaker_->forceClose();
  EXPECT_EQ(breaker_->state(), CircuitState::kClosed);
  EXPECT_TRUE(events_.empty());
}

TEST_F(BreakerHookTest, ForceCloseEndsHalfOpenAndResetsTheDoubling) {
  fail();
  fail();
  clock_.advance(1000ms);
  fail();  // re-opened for 2000 ms
  EXPECT_EQ(breaker_->currentOpenDuration(), 2000ms);
  breaker_->forceClose();
  EXPECT_EQ(breaker_->state(), CircuitState::kClosed);
  EXPECT_EQ(breaker_->currentOpenDuration(), 1000ms);
  BreakerPermit p = breaker_->tryAdmit();
  EXPECT_TRUE(p);
  EXPECT_FALSE(p.isProbe());
}

TEST_F(BreakerHookTest, RemovedListenerIsNotCalled) {
  breaker_->setListener(nullptr);
  fail();
  fail();
  EXPECT_EQ(breaker_->state(), CircuitState::kOpen);
  EXPECT_TRUE(events_.empty());
}

}  // namespace
}  // namespace slotgate::limits
