// ClusterBreakers against a real redis-server: two "instances" share breaker state.
#include "limits/cluster/cluster_breakers.h"

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <thread>

#include "limits/cluster/cluster_slots.h"
#include "tests/unit/support/redis_test_server.h"

namespace slotgate::limits {
namespace {

using namespace std::chrono_literals;
using testing::RedisServer;

conf::CircuitBreakerConfig breakerConfig() {
  conf::CircuitBreakerConfig c;
  c.failure_threshold = 2;
  c.open_duration = 5s;
  c.half_open_requests = 1;
  return c;
}

ClusterBreakers::Options options(const std::string& instance) {
  ClusterBreakers::Options o;
  o.prefix = "t:";
  o.instance_id = instance;
  o.redis.connect_timeout = 300ms;
  o.redis.command_timeout = 300ms;
  o.redis.backoff_initial = 20ms;
  o.redis.backoff_max = 100ms;
  o.ping_interval = 100ms;
  return o;
}

bool waitFor(const std::function<bool()>& pred, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!pred()) {
    if (std::chrono::steady_clock::now() >= deadline) {
      return false;
    }
    std::this_thread::sleep_for(1ms);
  }
  return true;
}

void failTwice(CircuitBreaker& b) {
  for (int i = 0; i < 2; ++i) {
    BreakerPermit p = b.tryAdmit();
    ASSERT_TRUE(p);
    p.failure();
  }
}

class ClusterBreakersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    one_ = std::make_unique<ClusterBreakers>(redis_.endpoint(), options("one"));
    two_ = std::make_unique<ClusterBreakers>(redis_.endpoint(), options("two"));
    one_->attach(b1_);
    two_->attach(b2_);
    // When each instance published or applied a change, stamped on its own thread (so the
    // test's polling does not count).
    one_->setTransitionListener([this](const ClusterBreakers::SharedTransition& t) {
      if (!t.remote) {
        published_at_.store(std::chrono::steady_clock::now());
      }
    });
    two_->setTransitionListener([this](const ClusterBreakers::SharedTransition& t) {
      if (t.remote) {
        std::lock_guard<std::mutex> lock(applied_mu_);
        applied_key_ = std::string(t.key_id);
        applied_at_.store(std::chrono::steady_clock::now());
      }
    });
    one_->start();
    two_->start();
    ASSERT_TRUE(waitFor([&] { return one_->up() && two_->up(); }, 3000ms));
    // Up means subscribed: Redis already delivers the channel to both.
    EXPECT_EQ(redis_.run({"PUBSUB", "NUMSUB", "t:breakers"}), "t:breakers,2");
  }

  RedisServer redis_;
  CircuitBreakerPtr b1_ = CircuitBreaker::create("key-a", breakerConfig());
  CircuitBreakerPtr b2_ = CircuitBreaker::create("key-a", breakerConfig());
  std::unique_ptr<ClusterBreakers> one_;
  std::unique_ptr<ClusterBreakers> two_;
  std::atomic<std::chrono::steady_clock::time_point> published_at_{};
  std::atomic<std::chrono::steady_clock::time_point> applied_at_{};
  std::mutex applied_mu_;
  std::string applied_key_;  // under applied_mu_
};

TEST_F(ClusterBreakersTest, AnOpenOnOneInstanceOpensTheOther) {
  failTwice(*b1_);
  ASSERT_EQ(b1_->state(), CircuitState::kOpen);
  ASSERT_TRUE(waitFor([&] { return b2_->state() == CircuitState::kOpen; }, 1000ms));
  ASSERT_TRUE(waitFor([&] { return applied_at_.load().time_since_epoch().count() != 0; }, 1s));
  {
    std::lock_guard<std::mutex> lock(applied_mu_);
    EXPECT_EQ(applied_key_, "key-a");
  }
  // How long the news took is a figure, not a verdict (a busy machine would fail a bound).
  const auto took = std::chrono::duration_cast<std::chrono::microseconds>(applied_at_.load() -
                                                                          published_at_.load());
  ::testing::Test::RecordProperty("circuit_propagation_us", std::to_string(took.count()));
  EXPECT_GE(took.count(), 0);  // applied after it was published
  EXPECT_FALSE(b2_->tryAdmit());
  // The remaining time travels, not a wall-clock instant.
  EXPECT_GT(b2_->retryAfter(), 4000ms);
  EXPECT_LE(b2_->retryAfter(), 5000ms);
  EXPECT_EQ(two_->applied(), 1u);
  EXPECT_EQ(one_->applied(), 0u);  // its own message is skipped
  EXPECT_EQ(redis_.run({"SMEMBERS", "t:breakers:open"}), "key-a");
  EXPECT_GT(redis_.integer({"PTTL", "t:breaker:key-a"}), 4000);
}

TEST_F(ClusterBreakersTest, AGoodProbeClosesItEverywhere) {
  b1_->forceOpenFor(1ms);  // an open period that is already over: half-open
  b2_->forceOpenFor(10s);
  std::this_thread::sleep_for(5ms);
  BreakerPermit probe = b1_->tryAdmit();
  ASSERT_TRUE(probe);
  ASSERT_TRUE(probe.isProbe());
  probe.success();
  EXPECT_EQ(b1_->state(), CircuitState::kClosed);
  ASSERT_TRUE(waitFor([&] { return b2_->state() == CircuitState::kClosed; }, 1000ms));
  EXPECT_EQ(redis_.run({"SMEMBERS", "t:breakers:open"}), "");
}

TEST_F(ClusterBreakersTest, AStartingInstanceReadsCircuitsStillOpen) {
  failTwice(*b1_);
  ASSERT_TRUE(waitFor(
      [&] {
        return redis_.run({"SMEMBERS", "t:breakers:open"}) == "key-a";
      },
      1000ms));
  auto b3 = CircuitBreaker::create("key-a", breakerConfig());
  ClusterBreakers three(redis_.endpoint(), options("three"));
  three.attach(b3);
  three.start();
  ASSERT_TRUE(waitFor([&] { return b3->state() == CircuitState::kOpen; }, 2000ms));
  EXPECT_GT(b3->retryAfter(), 3000ms);
  // A key attached after the news arrived gets it at attach time.
  auto late = CircuitBreaker::create("key-a", breakerConfig());
  ClusterBreakers four(redis_.endpoint(), options("four"));
  four.start();
  ASSERT_TRUE(waitFor([&] { return four.up(); }, 2000ms));
  std::this_thread::sleep_for(100ms);
  four.attach(late);
  EXPECT_EQ(late->state(), CircuitState::kOpen);
}

TEST_F(ClusterBreakersTest, RemoteTransitionsAreNotPublishedBack) {
  failTwice(*b1_);
  ASSERT_TRUE(waitFor([&] { return b2_->state() == CircuitState::kOpen; }, 1000ms));
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(one_->published(), 1u);
  EXPECT_EQ(two_->published(), 0u);
}

TEST_F(ClusterBreakersTest, ReconnectsAfterRedisRestartAndRepublishesOpenCircuits) {
  redis_.stop();
  ASSERT_TRUE(waitFor([&] { return !one_->up() && !two_->up(); }, 3000ms));
  failTwice(*b1_);  // opens while Redis is away: nothing can be published now
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(b2_->state(), CircuitState::kClosed);
  redis_.restart();  // empty
  ASSERT_TRUE(waitFor([&] { return one_->up() && two_->up(); }, 5000ms));
  ASSERT_TRUE(waitFor([&] { return b2_->state() == CircuitState::kOpen; }, 2000ms));
  EXPECT_GT(b2_->retryAfter(), 3000ms);
}

// A process told to stop right after it started (SIGTERM during start-up) must not hang: the
// stop may come before the breaker thread entered its loop.
TEST(ClusterBreakersLifecycle, StopRightAfterStartReturns) {
  RedisServer redis;
  for (int i = 0; i < 50; ++i) {
    ClusterBreakers breakers(redis.endpoint(), options("quick"));
    breakers.start();
    breakers.stop();
  }
}

TEST(ClusterProbes, HalfOpenProbesAreAdmittedOnceClusterWide) {
  // Both instances are half-open; each asks Redis for its probe place with its provider slot.
  RedisServer redis;
  testing::TestLoop loop;
  ClusterOptions o;
  o.prefix = "t:";
  o.instance_id = "x";
  ClusterSlots a(loop.dispatcher(), redis.endpoint(), o);
  ClusterSlots b(loop.dispatcher(), redis.endpoint(), o);
  a.start();
  b.start();
  ASSERT_TRUE(loop.runUntil([&] { return a.up() && b.up(); }));
  const SlotRequest probe{"key-a", 8, 1, 5000ms};
  std::vector<ClusterSlots::Outcome> outcomes;
  std::vector<ClusterLease> leases;
  auto cb = [&](ClusterSlots::Outcome out, ClusterLease l) {
    outcomes.push_back(out);
    leases.push_back(std::move(l));
  };
  auto p1 = a.acquire({probe}, cb);
  auto p2 = b.acquire({probe}, cb);
  ASSERT_TRUE(loop.runUntil([&] { return outcomes.size() == 2; }));
  EXPECT_EQ(std::count(outcomes.begin(), outcomes.end(), ClusterSlots::Outcome::kGranted), 1);
  EXPECT_EQ(std::count(outcomes.begin(), outcomes.end(), ClusterSlots::Outcome::kFull), 1);
}

}  // namespace
}  // namespace slotgate::limits
