// ClusterSlots against a real redis-server.
#include "limits/cluster/cluster_slots.h"

#include <gtest/gtest.h>

#include <atomic>
#include <optional>
#include <random>
#include <thread>

#include "tests/unit/support/redis_test_server.h"

namespace slotgate::limits {
namespace {

using namespace std::chrono_literals;
using testing::RedisServer;
using testing::TestLoop;
using Outcome = ClusterSlots::Outcome;

RedisOptions fastRedis() {
  RedisOptions o;
  o.connect_timeout = 300ms;
  o.command_timeout = 300ms;
  o.backoff_initial = 20ms;
  o.backoff_max = 100ms;
  return o;
}

ClusterOptions options(std::chrono::milliseconds ttl = 30s, size_t worker = 0) {
  ClusterOptions o;
  o.prefix = "t:";
  o.lease_ttl = ttl;
  o.instance_id = "inst";
  o.worker_index = worker;
  o.redis = fastRedis();
  return o;
}

// The result of one acquisition, filled by its callback.
struct Result {
  std::optional<Outcome> outcome;
  ClusterLease lease;
  ClusterSlots::Callback callback() {
    return [this](Outcome o, ClusterLease l) {
      outcome = o;
      lease = std::move(l);
    };
  }
};

class ClusterSlotsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    slots_ = std::make_unique<ClusterSlots>(loop_.dispatcher(), redis_.endpoint(), options());
    slots_->start();
    ASSERT_TRUE(loop_.runUntil([&] { return slots_->up(); }));
  }
  void TearDown() override { slots_.reset(); }

  // Acquires and runs the loop until the callback ran.
  Outcome acquireNow(const std::string& key, uint32_t limit, Result& r) {
    auto pending = slots_->acquire(key, limit, r.callback());
    EXPECT_TRUE(loop_.runUntil([&] { return r.outcome.has_value(); }));
    return r.outcome.value_or(Outcome::kUnavailable);
  }
  long long zcard(const std::string& key) {
    return redis_.integer({"ZCARD", ClusterSlots::slotsKey("t:", key)});
  }

  RedisServer redis_;
  TestLoop loop_;
  std::unique_ptr<ClusterSlots> slots_;
};

TEST_F(ClusterSlotsTest, GrantsUpToLimitThenFullThenReleaseFreesOne) {
  Result a, b, c, d;
  EXPECT_EQ(acquireNow("k", 2, a), Outcome::kGranted);
  EXPECT_EQ(acquireNow("k", 2, b), Outcome::kGranted);
  EXPECT_EQ(acquireNow("k", 2, c), Outcome::kFull);
  EXPECT_FALSE(c.lease);
  EXPECT_EQ(zcard("k"), 2);
  EXPECT_EQ(a.lease.keyId(), "k");
  EXPECT_EQ(a.lease.leaseId(), "inst:0:1");
  EXPECT_EQ(slots_->leasesHeld(), 2u);

  a.lease.release();
  EXPECT_TRUE(loop_.runUntil([&] { return zcard("k") == 1; }));
  EXPECT_EQ(slots_->leasesHeld(), 1u);
  EXPECT_EQ(acquireNow("k", 2, d), Outcome::kGranted);
  EXPECT_EQ(zcard("k"), 2);
}

TEST_F(ClusterSlotsTest, CallbackNeverRunsInsideAcquire) {
  Result r;
  auto pending = slots_->acquire("k", 1, r.callback());
  EXPECT_FALSE(r.outcome.has_value());
  ASSERT_TRUE(loop_.runUntil([&] { return r.outcome.has_value(); }));
  EXPECT_EQ(*r.outcome, Outcome::kGranted);
}

TEST_F(ClusterSlotsTest, LimitZeroIsUnlimited) {
  std::vector<Result> results(20);
  std::vector<ClusterSlots::PendingPtr> pendings;
  for (auto& r : results) {
    pendings.push_back(slots_->acquire("u", 0, r.callback()));
  }
  ASSERT_TRUE(loop_.runUntil([&] {
    for (auto& r : results) {
      if (!r.outcome) {
        return false;
      }
    }
    return true;
  }));
  for (auto& r : results) {
    EXPECT_EQ(*r.outcome, Outcome::kGranted);
  }
  EXPECT_EQ(zcard("u"), 20);
}

TEST_F(ClusterSlotsTest, FirstCandidateWithRoomIsGranted) {
  Result a, b;
  EXPECT_EQ(acquireNow("p1", 1, a), Outcome::kGranted);
  auto pending = slots_->acquire({SlotRequest{"p1", 1}, SlotRequest{"p2", 1}}, b.callback());
  ASSERT_TRUE(loop_.runUntil([&] { return b.outcome.has_value(); }));
  EXPECT_EQ(*b.outcome, Outcome::kGranted);
  EXPECT_EQ(b.lease.keyId(), "p2");
  EXPECT_EQ(zcard("p1"), 1);
  EXPECT_EQ(zcard("p2"), 1);
}

TEST_F(ClusterSlotsTest, ProbesAreCountedClusterWide) {
  Result a, b, c;
  const SlotRequest probe{"pk", 0, 1, 5000ms};
  auto p1 = slots_->acquire({probe}, a.callback());
  ASSERT_TRUE(loop_.runUntil([&] { return a.outcome.has_value(); }));
  EXPECT_EQ(*a.outcome, Outcome::kGranted);
  auto p2 = slots_->acquire({probe}, b.callback());
  ASSERT_TRUE(loop_.runUntil([&] { return b.outcome.has_value(); }));
  EXPECT_EQ(*b.outcome, Outcome::kFull);  // one probe place per window
  // Not a probe: the same key is free.
  auto p3 = slots_->acquire({SlotRequest{"pk", 0}}, c.callback());
  ASSERT_TRUE(loop_.runUntil([&] { return c.outcome.has_value(); }));
  EXPECT_EQ(*c.outcome, Outcome::kGranted);
}

TEST_F(ClusterSlotsTest, CancelledAcquisitionReleasesItsGrant) {
  Result r;
  auto pending = slots_->acquire("k", 1, r.callback());
  pending.reset();  // the request left before the reply
  loop_.runFor(100ms);
  EXPECT_FALSE(r.outcome.has_value());
  EXPECT_TRUE(loop_.runUntil([&] { return zcard("k") == 0; }));
  EXPECT_EQ(slots_->leasesHeld(), 0u);
}

TEST_F(ClusterSlotsTest, RetriesUntilASlotFreesWithinRetryUntil) {
  Result a, b;
  EXPECT_EQ(acquireNow("k", 1, a), Outcome::kGranted);
  const auto start = std::chrono::steady_clock::now();
  auto pending = slots_->acquire("k", 1, b.callback(), start + 3s);
  loop_.runFor(300ms);
  EXPECT_FALSE(b.outcome.has_value());  // still waiting, not reported full
  a.lease.release();
  ASSERT_TRUE(loop_.runUntil([&] { return b.outcome.has_value(); }));
  // Granted, not reported full: it was still within retry_until when the slot freed (past it
  // the outcome would be kFull), whatever the machine's pace.
  EXPECT_EQ(*b.outcome, Outcome::kGranted);
}

// With retries 60 s apart, only the wake-up on a local release can grant within the test.
class ClusterSlotsWakeTest : public ClusterSlotsTest {
 protected:
  void SetUp() override {
    ClusterOptions o = options();
    o.retry_min = o.retry_max = 60s;
    slots_ = std::make_unique<ClusterSlots>(loop_.dispatcher(), redis_.endpoint(), o);
    slots_->start();
    ASSERT_TRUE(loop_.runUntil([&] { return slots_->up(); }));
  }
  // b and c wait for "k" (limit 1, held by a), b listed first; both between retries.
  void queueTwoWaiters() {
    ASSERT_EQ(acquireNow("k", 1, a_), Outcome::kGranted);
    const auto until = std::chrono::steady_clock::now() + 120s;
    pb_ = slots_->acquire("k", 1, b_.callback(), until);
    loop_.runFor(100ms);  // b's first attempt answered "full": b waits for its retry
    pc_ = slots_->acquire("k", 1, c_.callback(), until);
    loop_.runFor(100ms);
    ASSERT_FALSE(b_.outcome.has_value());
    ASSERT_FALSE(c_.outcome.has_value());
  }
  Result a_, b_, c_;
  ClusterSlots::PendingPtr pb_, pc_;
};

TEST_F(ClusterSlotsWakeTest, ALocalReleaseWakesTheOldestWaiterAtOnce) {
  queueTwoWaiters();
  a_.lease.release();
  ASSERT_TRUE(loop_.runUntil([&] { return b_.outcome.has_value(); }));  // long before 60 s
  EXPECT_EQ(*b_.outcome, Outcome::kGranted);
  loop_.runFor(100ms);
  EXPECT_FALSE(c_.outcome.has_value());  // still waiting for the next release
  b_.lease.release();
  ASSERT_TRUE(loop_.runUntil([&] { return c_.outcome.has_value(); }));
  EXPECT_EQ(*c_.outcome, Outcome::kGranted);
}

// The release arrives while the oldest waiter's attempt is in flight (answered "full" before the
// ZREM): that waiter tries again at once, and the younger one does not overtake it.
TEST_F(ClusterSlotsWakeTest, AReleaseDuringTheOldestWaitersAttemptStillGoesToIt) {
  queueTwoWaiters();
  pb_->retryNow();     // b's attempt goes out now...
  a_.lease.release();  // ...and the ZREM behind it, in the same loop turn
  ASSERT_TRUE(loop_.runUntil([&] { return b_.outcome.has_value(); }));
  EXPECT_EQ(*b_.outcome, Outcome::kGranted);
  loop_.runFor(100ms);
  EXPECT_FALSE(c_.outcome.has_value());
  EXPECT_EQ(zcard("k"), 1);
}

TEST_F(ClusterSlotsTest, RetryGivesUpAtRetryUntil) {
  Result a, b;
  EXPECT_EQ(acquireNow("k", 1, a), Outcome::kGranted);
  const auto until = std::chrono::steady_clock::now() + 400ms;
  auto pending = slots_->acquire("k", 1, b.callback(), until);
  ASSERT_TRUE(loop_.runUntil([&] { return b.outcome.has_value(); }));
  EXPECT_EQ(*b.outcome, Outcome::kFull);
  EXPECT_GE(std::chrono::steady_clock::now(), until);
}

TEST_F(ClusterSlotsTest, LeaseExpiresAfterTtlWithoutRenewal) {
  // A second instance with a short TTL that never renews (its loop does not run).
  TestLoop other_loop;
  ClusterSlots other(other_loop.dispatcher(), redis_.endpoint(), options(1000ms));
  other.start();
  ASSERT_TRUE(other_loop.runUntil([&] { return other.up(); }));
  Result held;
  auto p = other.acquire("k", 1, held.callback());
  ASSERT_TRUE(other_loop.runUntil([&] { return held.outcome.has_value(); }));
  ASSERT_EQ(*held.outcome, Outcome::kGranted);

  Result r1;
  EXPECT_EQ(acquireNow("k", 1, r1), Outcome::kFull);
  loop_.runFor(1100ms);  // the other instance is "frozen" past its TTL
  Result r2;
  EXPECT_EQ(acquireNow("k", 1, r2), Outcome::kGranted);
}

TEST_F(ClusterSlotsTest, RenewalKeepsALeaseAlivePastTtl) {
  slots_ = std::make_unique<ClusterSlots>(loop_.dispatcher(), redis_.endpoint(), options(600ms));
  slots_->start();
  ASSERT_TRUE(loop_.runUntil([&] { return slots_->up(); }));
  Result a;
  EXPECT_EQ(acquireNow("k", 1, a), Outcome::kGranted);
  loop_.runFor(1500ms);  // 2.5 TTLs, renewed every 200 ms
  EXPECT_EQ(zcard("k"), 1);
  Result b;
  EXPECT_EQ(acquireNow("k", 1, b), Outcome::kFull);
  EXPECT_FALSE(a.lease.lost());
}

TEST_F(ClusterSlotsTest, RenewalReportsALeaseLostToAnotherHolder) {
  Result a;
  EXPECT_EQ(acquireNow("k", 1, a), Outcome::kGranted);
  bool lost = false;
  a.lease.onLost([&] { lost = true; });
  // Behind our back: our lease vanished and someone else holds the only slot.
  const std::string zkey = ClusterSlots::slotsKey("t:", "k");
  EXPECT_EQ(redis_.integer({"ZREM", zkey, a.lease.leaseId()}), 1);
  EXPECT_EQ(redis_.integer({"ZADD", zkey, "99999999999999", "intruder"}), 1);
  slots_->renewNow();
  ASSERT_TRUE(loop_.runUntil([&] { return lost; }));
  EXPECT_TRUE(a.lease.lost());
  EXPECT_EQ(slots_->leasesLost(), 1u);
  EXPECT_EQ(slots_->leasesHeld(), 0u);
  a.lease.release();  // not ours any more: the intruder stays
  loop_.runFor(50ms);
  EXPECT_EQ(redis_.run({"ZRANGE", zkey, "0", "-1"}), "intruder");
}

TEST_F(ClusterSlotsTest, RenewalTakesAVanishedLeaseBackWhenThereIsRoom) {
  Result a;
  EXPECT_EQ(acquireNow("k", 2, a), Outcome::kGranted);
  bool lost = false;
  a.lease.onLost([&] { lost = true; });
  redis_.run({"FLUSHALL"});  // as after a Redis restart without persistence
  slots_->renewNow();
  ASSERT_TRUE(loop_.runUntil([&] { return zcard("k") == 1; }));
  EXPECT_FALSE(lost);
  EXPECT_EQ(redis_.run({"ZRANGE", ClusterSlots::slotsKey("t:", "k"), "0", "-1"}),
            a.lease.leaseId());
}

TEST_F(ClusterSlotsTest, RecoversFromNoScript) {
  Result a;
  EXPECT_EQ(acquireNow("k", 5, a), Outcome::kGranted);
  EXPECT_EQ(redis_.run({"SCRIPT", "FLUSH"}), "OK");
  Result b;
  EXPECT_EQ(acquireNow("k", 5, b), Outcome::kGranted);
  EXPECT_EQ(zcard("k"), 2);
  EXPECT_EQ(redis_.run({"SCRIPT", "FLUSH"}), "OK");
  bool lost = false;
  b.lease.onLost([&] { lost = true; });
  const auto before = redis_.run({"ZSCORE", ClusterSlots::slotsKey("t:", "k"), b.lease.leaseId()});
  loop_.runFor(20ms);
  slots_->renewNow();  // the renew script too
  ASSERT_TRUE(loop_.runUntil([&] {
    return redis_.run({"ZSCORE", ClusterSlots::slotsKey("t:", "k"), b.lease.leaseId()}) != before;
  }));
  EXPECT_FALSE(lost);
}

TEST_F(ClusterSlotsTest, RedisStoppedMeansUnavailableQuicklyAndRestartRecovers) {
  redis_.stop();
  ASSERT_TRUE(loop_.runUntil([&] { return !slots_->up(); }, 2000ms));
  // Answered without waiting for any command: the outcome is there after one non-blocking pass
  // of the loop (a command timeout would need the loop to wait 300 ms first).
  Result r;
  auto pending = slots_->acquire("k", 1, r.callback());
  for (int pass = 0; pass < 3 && !r.outcome.has_value(); ++pass) {
    event_base_loop(loop_.base(), EVLOOP_NONBLOCK);
  }
  ASSERT_TRUE(r.outcome.has_value()) << "the acquisition waited while Redis was known down";
  EXPECT_EQ(*r.outcome, Outcome::kUnavailable);

  redis_.restart();
  ASSERT_TRUE(loop_.runUntil([&] { return slots_->up(); }, 3000ms));
  Result r2;
  EXPECT_EQ(acquireNow("k", 1, r2), Outcome::kGranted);
  EXPECT_GE(slots_->connection().connects(), 2u);
}

TEST_F(ClusterSlotsTest, HungRedisFailsPendingCommandsByTheCommandTimeout) {
  redis_.pause();
  Result r;
  const auto t0 = std::chrono::steady_clock::now();
  auto pending = slots_->acquire("k", 1, r.callback());
  ASSERT_TRUE(loop_.runUntil([&] { return r.outcome.has_value(); }, 20000ms));
  const auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_EQ(*r.outcome, Outcome::kUnavailable);
  // Failed by the command timeout (300 ms), not at once; how much later is the machine's
  // pace, so no upper bound is asserted (the 20 s above only keeps a hang from lasting).
  EXPECT_GE(took, 250ms);
  EXPECT_FALSE(slots_->up());
  redis_.resume();
  ASSERT_TRUE(loop_.runUntil([&] { return slots_->up(); }, 3000ms));
}

TEST_F(ClusterSlotsTest, ReleaseWhileRedisDownIsSentOnReconnect) {
  Result a;
  EXPECT_EQ(acquireNow("k", 1, a), Outcome::kGranted);
  // Redis unreachable (paused) while the lease ends; the ZREM waits for the next connection.
  redis_.pause();
  slots_->connection().reset("test");
  a.lease.release();
  redis_.resume();
  ASSERT_TRUE(loop_.runUntil([&] { return slots_->up(); }, 3000ms));
  EXPECT_TRUE(loop_.runUntil([&] { return zcard("k") == 0; }, 2000ms));
}

TEST_F(ClusterSlotsTest, ReleaseAllReleasesEveryLeaseAndWaitsForTheReplies) {
  std::vector<Result> results(5);
  std::vector<ClusterSlots::PendingPtr> pendings;
  for (auto& r : results) {
    pendings.push_back(slots_->acquire("k", 10, r.callback()));
  }
  ASSERT_TRUE(loop_.runUntil([&] { return zcard("k") == 5; }));
  ASSERT_TRUE(loop_.runUntil([&] { return slots_->leasesHeld() == 5; }));
  bool done = false;
  slots_->releaseAll(1000ms, [&] { done = true; });
  ASSERT_TRUE(loop_.runUntil([&] { return done; }, 2000ms));
  EXPECT_EQ(zcard("k"), 0);  // answered before done
  EXPECT_EQ(slots_->leasesHeld(), 0u);
  results.clear();  // handles released after releaseAll send nothing more
}

// Redis's count of calls of one command since the last CONFIG RESETSTAT (commands run inside
// scripts count too).
long long commandCalls(const testing::RedisServer& redis, const std::string& command) {
  const std::string stats = redis.run({"INFO", "commandstats"});
  const std::string tag = "cmdstat_" + command + ":calls=";
  const size_t at = stats.find(tag);
  return at == std::string::npos ? 0 : std::stoll(stats.substr(at + tag.size()));
}

TEST_F(ClusterSlotsTest, ReleasesOfOneLoopTurnGoOutInOneCall) {
  std::vector<Result> results(4);
  for (size_t i = 0; i < results.size(); ++i) {
    EXPECT_EQ(acquireNow("k" + std::to_string(i), 5, results[i]), Outcome::kGranted);
  }
  // A first batch loads the release script (EVALSHA answered NOSCRIPT, then EVAL).
  results[0].lease.release();
  results[1].lease.release();
  ASSERT_TRUE(loop_.runUntil([&] { return zcard("k0") == 0 && zcard("k1") == 0; }));
  EXPECT_EQ(redis_.run({"CONFIG", "RESETSTAT"}), "OK");
  // Two releases in one loop turn: one script call, no ZREM of its own each.
  results[2].lease.release();
  results[3].lease.release();
  ASSERT_TRUE(loop_.runUntil([&] { return zcard("k2") == 0 && zcard("k3") == 0; }));
  EXPECT_EQ(commandCalls(redis_, "evalsha"), 1);
  EXPECT_EQ(commandCalls(redis_, "zrem"), 2);  // the script's
  EXPECT_EQ(slots_->leasesHeld(), 0u);
}

TEST_F(ClusterSlotsTest, AnAcquisitionAfterAReleaseInTheSameTurnSeesTheRoom) {
  Result a, b;
  EXPECT_EQ(acquireNow("k", 1, a), Outcome::kGranted);
  // Released and asked for in one loop turn: the release reaches Redis first.
  a.lease.release();
  auto pending = slots_->acquire("k", 1, b.callback());
  ASSERT_TRUE(loop_.runUntil([&] { return b.outcome.has_value(); }));
  EXPECT_EQ(*b.outcome, Outcome::kGranted);
  EXPECT_EQ(zcard("k"), 1);
}

// ClusterSlots::admit: the client's and a provider key's slot in one script call.
struct AdmitResult final : ClusterSlots::AdmitListener {
  std::optional<ClusterSlots::AdmitOutcome> outcome;
  ClusterLease client;
  ClusterLease provider;
  void onAdmit(ClusterSlots::AdmitOutcome o, ClusterLease c, ClusterLease p) override {
    outcome = o;
    client = std::move(c);
    provider = std::move(p);
  }
};

TEST_F(ClusterSlotsTest, AdmitTakesBothSlotsInOneCall) {
  EXPECT_EQ(redis_.run({"CONFIG", "RESETSTAT"}), "OK");
  AdmitResult r;
  auto pending = slots_->admit({"client", 2}, SlotRequest{"key", 1}, r);
  ASSERT_TRUE(loop_.runUntil([&] { return r.outcome.has_value(); }));
  EXPECT_EQ(*r.outcome, ClusterSlots::AdmitOutcome::kGranted);
  EXPECT_EQ(r.client.keyId(), "client");
  EXPECT_EQ(r.provider.keyId(), "key");
  EXPECT_EQ(zcard("client"), 1);
  EXPECT_EQ(zcard("key"), 1);
  EXPECT_EQ(slots_->leasesHeld(), 2u);
  // One script call (the first one may be answered NOSCRIPT and sent again as EVAL).
  EXPECT_EQ(commandCalls(redis_, "evalsha") + commandCalls(redis_, "eval"),
            commandCalls(redis_, "eval") == 0 ? 1 : 2);
  r.client.release();
  r.provider.release();
  ASSERT_TRUE(loop_.runUntil([&] { return zcard("client") == 0 && zcard("key") == 0; }));
}

TEST_F(ClusterSlotsTest, AdmitTakesNothingWhenTheClientIsFull) {
  Result held;
  EXPECT_EQ(acquireNow("client", 1, held), Outcome::kGranted);
  AdmitResult r;
  auto pending = slots_->admit({"client", 1}, SlotRequest{"key", 5}, r);
  ASSERT_TRUE(loop_.runUntil([&] { return r.outcome.has_value(); }));
  EXPECT_EQ(*r.outcome, ClusterSlots::AdmitOutcome::kClientFull);
  EXPECT_FALSE(r.client);
  EXPECT_FALSE(r.provider);
  EXPECT_EQ(zcard("client"), 1);
  EXPECT_EQ(zcard("key"), 0);
}

TEST_F(ClusterSlotsTest, AdmitTakesNothingWhenTheProviderKeyIsFull) {
  Result held;
  EXPECT_EQ(acquireNow("key", 1, held), Outcome::kGranted);
  AdmitResult r;
  auto pending = slots_->admit({"client", 5}, SlotRequest{"key", 1}, r);
  ASSERT_TRUE(loop_.runUntil([&] { return r.outcome.has_value(); }));
  EXPECT_EQ(*r.outcome, ClusterSlots::AdmitOutcome::kProviderFull);
  EXPECT_FALSE(r.client);
  EXPECT_EQ(zcard("client"), 0);
  EXPECT_EQ(zcard("key"), 1);
}

TEST_F(ClusterSlotsTest, AdmitWithoutAProviderKeyTakesTheClientSlotOnly) {
  AdmitResult r;
  auto pending = slots_->admit({"client", 1}, std::nullopt, r);
  ASSERT_TRUE(loop_.runUntil([&] { return r.outcome.has_value(); }));
  EXPECT_EQ(*r.outcome, ClusterSlots::AdmitOutcome::kGranted);
  EXPECT_TRUE(r.client);
  EXPECT_FALSE(r.provider);
  EXPECT_EQ(zcard("client"), 1);
  EXPECT_EQ(slots_->leasesHeld(), 1u);
}

TEST_F(ClusterSlotsTest, AdmitCountsProbesClusterWide) {
  SlotRequest probe{"key", 0, 1, 10000ms};
  AdmitResult first, second;
  auto p1 = slots_->admit({"client", 5}, probe, first);
  ASSERT_TRUE(loop_.runUntil([&] { return first.outcome.has_value(); }));
  EXPECT_EQ(*first.outcome, ClusterSlots::AdmitOutcome::kGranted);
  auto p2 = slots_->admit({"client", 5}, probe, second);
  ASSERT_TRUE(loop_.runUntil([&] { return second.outcome.has_value(); }));
  EXPECT_EQ(*second.outcome, ClusterSlots::AdmitOutcome::kProviderFull);
  EXPECT_EQ(zcard("client"), 1);  // the refused admission took no client slot
}

TEST_F(ClusterSlotsTest, AdmitCancelledBeforeTheReplyReleasesBothGrants) {
  EXPECT_EQ(redis_.run({"CONFIG", "RESETSTAT"}), "OK");
  AdmitResult r;
  auto pending = slots_->admit({"client", 1}, SlotRequest{"key", 1}, r);
  pending.reset();  // the script is on its way
  // Granted in Redis, then both leases removed again (two ZREMs).
  ASSERT_TRUE(loop_.runUntil([&] {
    return commandCalls(redis_, "zrem") >= 2 && zcard("client") == 0 && zcard("key") == 0;
  }));
  EXPECT_EQ(slots_->leasesHeld(), 0u);
  EXPECT_FALSE(r.outcome.has_value());
  // Room again for both.
  AdmitResult again;
  auto p = slots_->admit({"client", 1}, SlotRequest{"key", 1}, again);
  ASSERT_TRUE(loop_.runUntil([&] { return again.outcome.has_value(); }));
  EXPECT_EQ(*again.outcome, ClusterSlots::AdmitOutcome::kGranted);
}

// Two workers (two loops on two threads) acquiring and releasing the same key as fast as they
// can never hold more than the limit together.
TEST(ClusterSlotsConcurrency, TwoLoopsNeverExceedTheLimitTogether) {
  RedisServer redis;
  constexpr uint32_t kLimit = 3;
  std::atomic<int> held{0};
  std::atomic<int> max_held{0};
  std::atomic<int> grants{0};
  auto worker = [&](size_t index) {
    TestLoop loop;
    ClusterSlots slots(loop.dispatcher(), redis.endpoint(), options(30s, index));
    slots.start();
    loop.runUntil([&] { return slots.up(); });
    std::vector<ClusterSlots::PendingPtr> pendings;  // finished ones stay: never cancelled
    std::vector<ClusterLease> leases;
    int inflight = 0;
    std::minstd_rand rng(static_cast<unsigned>(index) + 1);
    const auto end = std::chrono::steady_clock::now() + 1500ms;
    while (std::chrono::steady_clock::now() < end) {
      // Keep 4 acquisitions or leases per worker: 8 contenders for 3 slots.
      while (inflight + static_cast<int>(leases.size()) < 4) {
        ++inflight;
        pendings.push_back(slots.acquire("hot", kLimit, [&](Outcome o, ClusterLease l) {
          --inflight;
          if (o == Outcome::kGranted) {
            const int now = held.fetch_add(1) + 1;
            int prev = max_held.load();
            while (now > prev && !max_held.compare_exchange_weak(prev, now)) {
            }
            grants.fetch_add(1);
            leases.push_back(std::move(l));
          }
        }));
      }
      loop.runFor(std::chrono::milliseconds(1 + rng() % 3));
      // Counted down before the release goes out: `held` never exceeds what Redis holds.
      if (!leases.empty() && rng() % 2 == 0) {
        held.fetch_sub(1);
        leases.erase(leases.begin());
      }
    }
    held.fetch_sub(static_cast<int>(leases.size()));
    leases.clear();
    pendings.clear();
    bool done = false;
    slots.releaseAll(1000ms, [&] { done = true; });
    loop.runUntil([&] { return done; });
  };
  std::thread t1(worker, 0);
  std::thread t2(worker, 1);
  t1.join();
  t2.join();
  EXPECT_LE(max_held.load(), static_cast<int>(kLimit));
  EXPECT_EQ(max_held.load(), static_cast<int>(kLimit));  // contention really happened
  EXPECT_GT(grants.load(), 20);
  EXPECT_EQ(redis.integer({"ZCARD", ClusterSlots::slotsKey("t:", "hot")}), 0);
}

}  // namespace
}  // namespace slotgate::limits
