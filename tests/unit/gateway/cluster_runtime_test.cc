// ClusterRuntime against a real redis-server, on real worker loops: verdicts with on_unavailable
// applied, readiness and metrics following Redis, releaseAll, and breakers shared by instances.
#include "limits/cluster/cluster_runtime.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "gateway/worker.h"
#include "limits/circuit_breaker.h"
#include "limits/cluster/cluster_slots.h"
#include "metrics/log.h"
#include "metrics/metrics.h"
#include "tests/unit/support/redis_test_server.h"

namespace slotgate::gateway {
namespace {

using namespace std::chrono_literals;
using limits::testing::RedisServer;
using Verdict = ClusterRuntime::Verdict;

// The machine running the tests is shared and noisy: everything asynchronous gets this long to
// happen (reconnection alone backs off up to 2 s), and no test asserts that anything is fast.
constexpr auto kPatience = 10s;
constexpr const char* kPrefix = "crt:";

bool waitFor(const std::function<bool()>& pred, std::chrono::milliseconds timeout = kPatience) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!pred()) {
    if (std::chrono::steady_clock::now() >= deadline) {
      return false;
    }
    std::this_thread::sleep_for(5ms);
  }
  return true;
}

conf::RedisConfig redisConfig(const RedisServer& redis, conf::OnUnavailable on_unavailable) {
  conf::RedisConfig c;
  c.url = "redis://127.0.0.1:" + std::to_string(redis.port()) + "/0";
  c.host = "127.0.0.1";
  c.port = redis.port();
  c.prefix = kPrefix;
  c.on_unavailable = on_unavailable;
  return c;
}

// One acquisition. `pending` and `lease` belong to the worker's loop and are only touched there;
// the verdict and the lease's ids reach the test thread through the future, which orders them.
struct Acquisition {
  size_t worker = 0;
  limits::ClusterSlots::PendingPtr pending;
  limits::ClusterLease lease;
  std::string lease_id;  // written before the promise is fulfilled
  std::promise<Verdict> promise;
  std::shared_future<Verdict> future = promise.get_future().share();

  // The verdict, or nullopt when the callback did not run within kPatience.
  std::optional<Verdict> verdict() const {
    if (future.wait_for(kPatience) != std::future_status::ready) {
      return std::nullopt;
    }
    return future.get();
  }
};

// One gateway process in cluster mode: its metrics, its worker loops and its ClusterRuntime,
// built and torn down in the order Server uses.
class Instance {
 public:
  Instance(const conf::RedisConfig& config, size_t workers = 2) {
    // First, as in Server: its ClusterBreakers turns on libevent's pthreads locking, which the
    // workers' event bases need for post() from the test thread.
    runtime_ = std::make_unique<ClusterRuntime>(config, metrics_);
    for (size_t i = 0; i < workers; ++i) {
      workers_.push_back(std::make_unique<Worker>(i));
      runtime_->addWorker(*workers_.back());
    }
    runtime_->start();
    for (auto& w : workers_) {
      w->start();
    }
  }

  ~Instance() {
    // Leases and pending acquisitions are loop-thread objects: drop them on their loops.
    for (auto& a : acquisitions_) {
      onLoop(a->worker, [&] { a.reset(); });
    }
    for (auto& w : workers_) {
      w->stopAndJoin();
    }
    // The ClusterSlots use the workers' event bases: gone after the loops stopped, before the
    // bases (as in Server::stopWorkers).
    runtime_.reset();
    workers_.clear();
  }

  ClusterRuntime& runtime() { return *runtime_; }
  metrics::Metrics& metrics() { return metrics_; }

  // Runs fn on a worker's loop and waits until it ran.
  void onLoop(size_t worker, const std::function<void()>& fn) {
    std::promise<void> done;
    std::future<void> ran = done.get_future();
    workers_[worker]->post([&] {
      fn();
      done.set_value();
    });
    ran.wait();
  }

  // Starts an acquisition on a worker's loop (acquire() is loop-thread only); the instance keeps
  // it until destroyed.
  Acquisition& acquire(size_t worker, const std::string& key, uint32_t limit,
                       limits::SteadyTime retry_until = {}) {
    acquisitions_.push_back(std::make_unique<Acquisition>());
    Acquisition* a = acquisitions_.back().get();
    a->worker = worker;
    onLoop(worker, [&] {
      a->pending = runtime_->acquire(
          worker, {limits::SlotRequest{key, limit}},
          [a](Verdict verdict, limits::ClusterLease lease) {
            a->lease_id = lease ? lease.leaseId() : "";
            a->lease = std::move(lease);
            a->promise.set_value(verdict);
          },
          retry_until);
    });
    return *a;
  }

  void release(Acquisition& a) {
    onLoop(a.worker, [&] { a.lease.release(); });
  }
  // Destroys the lease handle (the usual end of a request) instead of calling release().
  void destroyLease(Acquisition& a) {
    onLoop(a.worker, [&] { limits::ClusterLease gone = std::move(a.lease); });
  }

  size_t leasesHeld() {
    size_t held = 0;
    for (size_t i = 0; i < workers_.size(); ++i) {
      onLoop(i, [&] { held += runtime_->slots(i).leasesHeld(); });
    }
    return held;
  }

  double redisUpGauge() { return metrics_.redisUp().Value(); }
  double fallbacks(const std::string& on_unavailable) {
    return metrics_.clusterFallbacks().Add({{"on_unavailable", on_unavailable}}).Value();
  }
  bool readyAndUp() {
    return runtime_->up() && runtime_->readinessReason().empty() && redisUpGauge() == 1;
  }
  bool downEverywhere() {
    return !runtime_->up() && runtime_->readinessReason() == "redis unavailable" &&
           redisUpGauge() == 0;
  }

 private:
  metrics::Metrics metrics_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::unique_ptr<ClusterRuntime> runtime_;
  std::vector<std::unique_ptr<Acquisition>> acquisitions_;
};

class ClusterRuntimeTest : public ::testing::Test {
 protected:
  // The runtime logs Redis going up and down and circuits crossing; not the test's output.
  void SetUp() override {
    dev_null_ = open("/dev/null", O_WRONLY | O_CLOEXEC);
    previous_log_fd_ = metrics::setLogFd(dev_null_);
  }
  void TearDown() override {
    metrics::setLogFd(previous_log_fd_);
    close(dev_null_);
  }
  // The members of a key's sorted set in Redis.
  long long zcard(const std::string& key) {
    return redis_.integer({"ZCARD", limits::ClusterSlots::slotsKey(kPrefix, key)});
  }
  std::string members(const std::string& key) {
    return redis_.run({"ZRANGE", limits::ClusterSlots::slotsKey(kPrefix, key), "0", "-1"});
  }

  RedisServer redis_;  // declared first: outlives the instances using it
  int dev_null_ = -1;
  int previous_log_fd_ = 2;
};

TEST_F(ClusterRuntimeTest, GrantedLeaseIsInRedisUntilReleasedOrDestroyed) {
  Instance instance(redisConfig(redis_, conf::OnUnavailable::kLocal));
  ASSERT_TRUE(waitFor([&] { return instance.readyAndUp(); }));

  Acquisition& first = instance.acquire(0, "k", 3);
  ASSERT_EQ(first.verdict(), Verdict::kGranted);
  // Lease ids are <instance id>:<worker>:<n>, under the configured prefix.
  EXPECT_EQ(first.lease_id.rfind(instance.runtime().instanceId() + ":0:", 0), 0u) << first.lease_id;
  EXPECT_EQ(members("k"), first.lease_id);

  Acquisition& second = instance.acquire(1, "k", 3);
  ASSERT_EQ(second.verdict(), Verdict::kGranted);
  EXPECT_EQ(second.lease_id.rfind(instance.runtime().instanceId() + ":1:", 0), 0u)
      << second.lease_id;
  EXPECT_EQ(zcard("k"), 2);
  EXPECT_EQ(instance.leasesHeld(), 2u);

  // Releases are fire-and-forget: poll Redis for them.
  instance.release(first);
  EXPECT_TRUE(waitFor([&] { return zcard("k") == 1; }));
  EXPECT_EQ(members("k"), second.lease_id);
  instance.destroyLease(second);
  EXPECT_TRUE(waitFor([&] { return zcard("k") == 0; }));
  EXPECT_EQ(instance.leasesHeld(), 0u);
}

TEST_F(ClusterRuntimeTest, KeyFullClusterWideIsFullUntilTheOtherInstanceReleases) {
  Instance one(redisConfig(redis_, conf::OnUnavailable::kLocal));
  Instance two(redisConfig(redis_, conf::OnUnavailable::kLocal));
  ASSERT_TRUE(waitFor([&] { return one.readyAndUp() && two.readyAndUp(); }));

  Acquisition& held = one.acquire(0, "k", 1);
  ASSERT_EQ(held.verdict(), Verdict::kGranted);
  // The slot is taken by another process: without retry_until, kFull at once.
  EXPECT_EQ(two.acquire(0, "k", 1).verdict(), Verdict::kFull);
  EXPECT_EQ(one.acquire(1, "k", 1).verdict(), Verdict::kFull);
  EXPECT_EQ(zcard("k"), 1);

  // With retry_until, it waits for the slot (another instance's release wakes no one here: the
  // periodic retry finds the room).
  Acquisition& waiting =
      two.acquire(1, "k", 1, std::chrono::steady_clock::now() + std::chrono::seconds(30));
  EXPECT_EQ(waiting.future.wait_for(300ms), std::future_status::timeout);
  one.release(held);
  ASSERT_EQ(waiting.verdict(), Verdict::kGranted);
  EXPECT_EQ(members("k"), waiting.lease_id);
  // Nothing fell back: Redis was up all along.
  EXPECT_EQ(one.fallbacks("local") + two.fallbacks("local"), 0);
}

TEST_F(ClusterRuntimeTest, RedisDownWithOnUnavailableLocalProceedsLocallyAndCounts) {
  Instance instance(redisConfig(redis_, conf::OnUnavailable::kLocal));
  ASSERT_TRUE(waitFor([&] { return instance.readyAndUp(); }));
  EXPECT_FALSE(instance.runtime().rejectWhenUnavailable());

  redis_.stop();
  ASSERT_TRUE(waitFor([&] { return instance.downEverywhere(); }));
  Acquisition& a = instance.acquire(0, "k", 1);
  ASSERT_EQ(a.verdict(), Verdict::kLocal);
  EXPECT_TRUE(a.lease_id.empty());
  EXPECT_EQ(instance.acquire(1, "k", 1).verdict(), Verdict::kLocal);
  EXPECT_EQ(instance.fallbacks("local"), 2);
  EXPECT_EQ(instance.fallbacks("reject"), 0);
}

TEST_F(ClusterRuntimeTest, RedisDownWithOnUnavailableRejectIsUnavailableAndCounts) {
  Instance instance(redisConfig(redis_, conf::OnUnavailable::kReject));
  ASSERT_TRUE(waitFor([&] { return instance.readyAndUp(); }));
  EXPECT_TRUE(instance.runtime().rejectWhenUnavailable());

  redis_.stop();
  ASSERT_TRUE(waitFor([&] { return instance.downEverywhere(); }));
  Acquisition& a = instance.acquire(1, "k", 1);
  ASSERT_EQ(a.verdict(), Verdict::kUnavailable);
  EXPECT_TRUE(a.lease_id.empty());
  EXPECT_EQ(instance.fallbacks("reject"), 1);
  EXPECT_EQ(instance.fallbacks("local"), 0);
}

TEST_F(ClusterRuntimeTest, ReadinessAndRedisUpGaugeFollowRedisDownAndBack) {
  Instance instance(redisConfig(redis_, conf::OnUnavailable::kReject));
  ASSERT_TRUE(waitFor([&] { return instance.readyAndUp(); }));

  for (int round = 0; round < 2; ++round) {
    SCOPED_TRACE(round);
    redis_.stop();
    ASSERT_TRUE(waitFor([&] { return instance.downEverywhere(); }));
    redis_.restart();
    // Every worker reconnects on its own (backoff up to 2 s), and the breaker thread too.
    ASSERT_TRUE(waitFor([&] { return instance.readyAndUp(); }));
  }
  // Back in business: acquisitions are counted in Redis again.
  Acquisition& a = instance.acquire(0, "k", 1);
  ASSERT_EQ(a.verdict(), Verdict::kGranted);
  EXPECT_EQ(members("k"), a.lease_id);
  EXPECT_EQ(instance.fallbacks("reject"), 0);
}

TEST_F(ClusterRuntimeTest, ReleaseAllRemovesOnlyThisInstancesLeases) {
  Instance one(redisConfig(redis_, conf::OnUnavailable::kLocal));
  Instance two(redisConfig(redis_, conf::OnUnavailable::kLocal));
  ASSERT_TRUE(waitFor([&] { return one.readyAndUp() && two.readyAndUp(); }));

  // Leases on both workers of `one`, and one held by `two`.
  ASSERT_EQ(one.acquire(0, "k", 10).verdict(), Verdict::kGranted);
  ASSERT_EQ(one.acquire(1, "k", 10).verdict(), Verdict::kGranted);
  ASSERT_EQ(one.acquire(1, "other", 10).verdict(), Verdict::kGranted);
  Acquisition& theirs = two.acquire(0, "k", 10);
  ASSERT_EQ(theirs.verdict(), Verdict::kGranted);
  ASSERT_EQ(zcard("k"), 3);
  ASSERT_EQ(zcard("other"), 1);

  // Returns as soon as Redis acknowledged every release (the timeout only bounds a stalled
  // Redis), so the leases are gone when it returns: no polling.
  one.runtime().releaseAll(kPatience);
  EXPECT_EQ(members("k"), theirs.lease_id);
  EXPECT_EQ(zcard("other"), 0);
  EXPECT_EQ(one.leasesHeld(), 0u);
  EXPECT_EQ(two.leasesHeld(), 1u);
}

TEST_F(ClusterRuntimeTest, ReleaseAllGivesUpAfterItsTimeoutWhenRedisHangs) {
  Instance instance(redisConfig(redis_, conf::OnUnavailable::kLocal));
  ASSERT_TRUE(waitFor([&] { return instance.readyAndUp(); }));
  ASSERT_EQ(instance.acquire(0, "k", 10).verdict(), Verdict::kGranted);
  ASSERT_EQ(instance.acquire(1, "k", 10).verdict(), Verdict::kGranted);

  // SIGSTOP: the connections stay open and nothing answers, so no release is ever acknowledged.
  redis_.pause();
  const auto timeout = 500ms;
  const auto started = std::chrono::steady_clock::now();
  instance.runtime().releaseAll(timeout);
  const auto elapsed = std::chrono::steady_clock::now() - started;
  redis_.resume();
  // It did wait for the acknowledgements it could not get, and gave up: it returned at all
  // while Redis could answer nothing (no upper bound asserted: the machine may be slow).
  EXPECT_GE(elapsed, timeout);
}

TEST_F(ClusterRuntimeTest, BreakerOpenedOnOneInstanceOpensOnTheOther) {
  Instance one(redisConfig(redis_, conf::OnUnavailable::kLocal), 1);
  Instance two(redisConfig(redis_, conf::OnUnavailable::kLocal), 1);
  conf::CircuitBreakerConfig breaker_config;
  breaker_config.failure_threshold = 2;
  breaker_config.open_duration = std::chrono::seconds(60);
  // Each process has its own breaker object for the same provider key.
  auto mine = limits::CircuitBreaker::create("key-a", breaker_config);
  auto theirs = limits::CircuitBreaker::create("key-a", breaker_config);
  one.runtime().attachBreaker(mine);
  two.runtime().attachBreaker(theirs);
  ASSERT_TRUE(waitFor([&] { return one.readyAndUp() && two.readyAndUp(); }));
  // up() turns true once the subscriber connection is established, which may be just before
  // Redis processed its SUBSCRIBE: wait for Redis to count both, so no publication is missed.
  const std::string channel = std::string(kPrefix) + "breakers";
  ASSERT_TRUE(waitFor([&] { return redis_.run({"PUBSUB", "NUMSUB", channel}) == channel + ",2"; }));

  for (int i = 0; i < 2; ++i) {
    limits::BreakerPermit permit = mine->tryAdmit();
    ASSERT_TRUE(permit);
    permit.failure();
  }
  ASSERT_EQ(mine->state(), limits::CircuitState::kOpen);
  EXPECT_TRUE(waitFor([&] { return theirs->state() == limits::CircuitState::kOpen; }));
  EXPECT_FALSE(theirs->admits());
  // Recorded under the configured prefix, for instances starting later.
  EXPECT_EQ(redis_.run({"SMEMBERS", std::string(kPrefix) + "breakers:open"}), "key-a");
}

}  // namespace
}  // namespace slotgate::gateway
