// slotgate end to end, concurrency slots (SPEC section 4): the client limit with and without a
// queue (FIFO, full, timeout), the provider key limit, refusals that consume nothing, and the
// slot release metrics.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <future>
#include <mutex>
#include <thread>

#include "tests/integration/gateway_fixture.h"

namespace slotgate::testing {
namespace {

GatewayConfig limitsConfig(const MockProvider& mock, int clientMax, std::optional<QueueSpec> queue,
                           int keyMax = 100) {
  GatewayConfig c = standardConfig(mock);
  c.workers = 2;
  c.providers[0].requestTimeout = "300s";  // held requests wait for the test, not the clock
  c.providers[0].keys[0].maxConcurrency = keyMax;
  c.clients[0].maxConcurrency = clientMax;
  c.clients[0].queue = queue;
  return c;
}

void expectConcurrency429(const HttpResponse& r) {
  EXPECT_EQ(r.status, 429) << r.body;
  EXPECT_EQ(r.json()["error"]["code"], "concurrency_limit_exceeded") << r.body;
  EXPECT_EQ(r.json()["error"]["type"], "rate_limit_error") << r.body;
  const std::string retryAfter = r.header("retry-after");
  EXPECT_FALSE(retryAfter.empty());
  EXPECT_GE(std::atoi(retryAfter.c_str()), 1) << retryAfter;
}

bool isReady(std::future<HttpResponse>& f) { return f.wait_for(0s) == std::future_status::ready; }

// Waits until exactly one of `names` is held at the mock; returns its index, -1 if none came.
int forwardedOne(const MockProvider& mock, const std::vector<std::string>& names) {
  int index = -1;
  const bool one = eventually(
      [&] {
        int held = 0;
        for (size_t i = 0; i < names.size(); ++i) {
          const int n = mock.held(names[i]);
          if (n > 0) {
            held += n;
            index = static_cast<int>(i);
          }
        }
        return held == 1;
      },
      20s);
  return one ? index : -1;
}

// Client and provider key of equal size, the client with a queue: a request handed the client
// slot a finishing request frees must find that request's provider slot free too, even when
// the waiter runs on the other worker at once. (Slots used to go back client first, and a
// waiter woken in between got 503 no_upstream_available: 7% of a first h2load run.)
TEST(SlotsLimits, AWaiterHandedAClientSlotFindsTheProviderSlotFree) {
  MockProvider mock;
  Gateway gateway(limitsConfig(mock, 1, QueueSpec{16, "60s"}, /*keyMax=*/1));
  std::atomic<int> ok{0};
  std::mutex mu;
  std::vector<std::string> failures;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 60; ++i) {
        const HttpResponse r = gateway.chat("gpt-test", kClientKey, {}, 60s);
        if (r.status == 200) {
          ++ok;
        } else {
          std::lock_guard<std::mutex> lock(mu);
          failures.push_back(std::to_string(r.status) + " " + r.body);
        }
      }
    });
  }
  for (auto& thread : threads) {
    thread.join();
  }
  EXPECT_EQ(ok.load(), 240);
  EXPECT_TRUE(failures.empty()) << failures.front();
}

TEST(SlotsLimits, ClientLimitWithoutQueueRefusesAtOnce) {
  MockProvider mock;
  Gateway gateway(limitsConfig(mock, 2, std::nullopt));
  std::vector<std::future<HttpResponse>> responses;
  for (int i = 0; i < 5; ++i) {
    responses.push_back(heldChat(gateway, "c"));
  }
  // Two hold the client's slots at the mock until released; the other three are refused.
  ASSERT_TRUE(mock.waitHeld("c", 2));
  ASSERT_TRUE(eventually(
      [&] { return std::count_if(responses.begin(), responses.end(), isReady) == 3; }, 20s));
  for (auto& r : responses) {
    if (isReady(r)) {
      expectConcurrency429(r.get());
    }
  }
  EXPECT_EQ(mock.release("c"), 2);
  for (auto& r : responses) {
    if (r.valid()) {
      EXPECT_EQ(r.get().status, 200);
    }
  }
  EXPECT_EQ(mock.stats()["requests"], 2);
  EXPECT_EQ(mock.stats()["max_inflight"], 2);
  EXPECT_EQ(
      gateway.metricValue("inference_errors_total",
                          {{"error_type", "concurrency_limit_exceeded"}, {"tenant", "team-a"}}),
      3.0);
  EXPECT_TRUE(eventually(
      [&] {
        return gateway.metricValue("concurrency_slots_in_use", {{"key_id", "team-a"}}) == 0.0;
      },
      20s));
}

TEST(SlotsLimits, QueueServesEveryoneInArrivalOrder) {
  MockProvider mock;
  Gateway gateway(limitsConfig(mock, 1, QueueSpec{10, "60s"}));
  const std::vector<std::string> names = {"r0", "r1", "r2", "r3", "r4"};
  std::vector<std::future<HttpResponse>> futures;
  for (int i = 0; i < 5; ++i) {
    futures.push_back(heldChat(gateway, names[i]));
    if (i == 0) {
      // The first holds the only slot (at the mock, until released); the rest queue behind
      // it in start order.
      ASSERT_TRUE(mock.waitHeld(names[0], 1));
    } else {
      ASSERT_TRUE(eventually(
          [&] {
            return gateway.metricValue("job_queue_depth", {{"model", "gpt-test"}}) == i;
          },
          20s))
          << "request " << i << " did not queue";
    }
  }
  // Each release frees the slot; the next one forwarded must be the oldest waiter.
  std::vector<int> forwarded;
  for (int step = 0; step < 5; ++step) {
    const int index = forwardedOne(mock, names);
    ASSERT_GE(index, 0) << "nothing forwarded at step " << step;
    forwarded.push_back(index);
    EXPECT_EQ(mock.release(names[index]), 1);
    EXPECT_EQ(futures[index].get().status, 200);
  }
  EXPECT_EQ(forwarded, (std::vector<int>{0, 1, 2, 3, 4}));
  EXPECT_EQ(mock.stats()["max_inflight"], 1);
  EXPECT_EQ(mock.stats()["requests"], 5);
  EXPECT_EQ(gateway.metricValue("job_queue_depth", {{"model", "gpt-test"}}), 0.0);
}

TEST(SlotsLimits, QueueFullIsRefused) {
  MockProvider mock;
  Gateway gateway(limitsConfig(mock, 1, QueueSpec{1, "60s"}));
  auto first = heldChat(gateway, "full");
  ASSERT_TRUE(mock.waitHeld("full", 1));
  auto second = std::async(std::launch::async, [&] { return gateway.chat("gpt-test"); });
  ASSERT_TRUE(eventually(
      [&] {
        return gateway.metricValue("job_queue_depth", {{"model", "gpt-test"}}) == 1.0;
      },
      20s));
  expectConcurrency429(gateway.chat("gpt-test"));
  EXPECT_EQ(mock.release("full"), 1);
  EXPECT_EQ(first.get().status, 200);
  EXPECT_EQ(second.get().status, 200);
  EXPECT_EQ(mock.stats()["requests"], 2);
}

TEST(SlotsLimits, QueueTimeoutIsRefusedWithRetryAfter) {
  MockProvider mock;
  Gateway gateway(limitsConfig(mock, 1, QueueSpec{5, "300ms"}));
  auto first = heldChat(gateway, "slow");
  ASSERT_TRUE(mock.waitHeld("slow", 1));
  const auto start = Clock::now();
  const auto waited = gateway.chat("gpt-test");
  expectConcurrency429(waited);
  // It waited for its queue timeout, not refused at once.
  EXPECT_GE(Clock::now() - start, 250ms);
  EXPECT_EQ(mock.release("slow"), 1);
  EXPECT_EQ(first.get().status, 200);
  EXPECT_EQ(mock.stats()["requests"], 1);
  EXPECT_EQ(gateway.metricValue("job_queue_depth", {{"model", "gpt-test"}}), 0.0);
}

TEST(SlotsLimits, ProviderKeyFullIs503WithRetryAfter) {
  MockProvider mock;
  Gateway gateway(limitsConfig(mock, 0, std::nullopt, 1));
  auto first = heldChat(gateway, "key");
  ASSERT_TRUE(mock.waitHeld("key", 1));
  const auto refused = gateway.chat("gpt-test");
  EXPECT_EQ(refused.status, 503) << refused.body;
  EXPECT_EQ(refused.json()["error"]["code"], "no_upstream_available");
  EXPECT_EQ(refused.json()["error"]["type"], "overloaded_error");
  EXPECT_GE(std::atoi(refused.header("retry-after").c_str()), 1);
  EXPECT_EQ(mock.release("key"), 1);
  EXPECT_EQ(first.get().status, 200);
  EXPECT_EQ(mock.stats()["requests"], 1);
  // A full key is not a broken one.
  EXPECT_EQ(gateway.metricValue("health_open_circuits"), 0.0);
  EXPECT_EQ(gateway.chat("gpt-test").status, 200);
}

TEST(SlotsLimits, RefusedRequestConsumesNothing) {
  MockProvider mock;
  GatewayConfig c = limitsConfig(mock, 1, std::nullopt);
  c.providers[0].breaker = BreakerSpec{2, "30s", 1};
  Gateway gateway(c);
  auto first = heldChat(gateway, "one");
  ASSERT_TRUE(mock.waitHeld("one", 1));
  for (int i = 0; i < 6; ++i) {
    expectConcurrency429(gateway.chat("gpt-test"));
  }
  EXPECT_EQ(gateway.metricValue("concurrency_slots_in_use", {{"key_id", "team-a"}}), 1.0);
  EXPECT_EQ(gateway.metricValue("concurrency_slots_in_use", {{"key_id", "openai-key"}}), 1.0);
  EXPECT_EQ(mock.release("one"), 1);
  EXPECT_EQ(first.get().status, 200);
  EXPECT_TRUE(eventually(
      [&] {
        return gateway.metricValue("concurrency_slots_in_use", {{"key_id", "team-a"}}) == 0.0 &&
               gateway.metricValue("concurrency_slots_in_use", {{"key_id", "openai-key"}}) == 0.0;
      },
      20s));
  // No breaker failure (threshold 2, six refusals), nothing sent upstream, one slot released.
  EXPECT_EQ(gateway.metricValue("health_open_circuits"), 0.0);
  EXPECT_EQ(mock.stats()["requests"], 1);
  EXPECT_EQ(gateway.metricValue("concurrency_slot_release_total", {{"key_id", "openai-key"}}), 1.0);
  EXPECT_EQ(gateway.metricValue("concurrency_slot_release_total", {{"key_id", "team-a"}}), 1.0);
  EXPECT_EQ(gateway.chat("gpt-test").status, 200);
}

TEST(SlotsLimits, ReleaseMetricsCountCompletedAndCancelled) {
  MockProvider mock;
  Gateway gateway(limitsConfig(mock, 10, std::nullopt));
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(gateway.chat("gpt-test").status, 200);
  }
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(gateway.stream("gpt-test").cleanEnd());
  }
  StreamOptions abort;
  abort.abortAfterChunks = 1;
  for (int i = 0; i < 2; ++i) {
    // Held after its first event: it cannot end before the client aborts it.
    const auto r = gateway.stream("gpt-test", kClientKey, mockHold("aborted"), abort);
    ASSERT_TRUE(r.aborted);
  }
  ASSERT_TRUE(eventually([&] { return mock.stats()["cancelled"] == 2; }, 20s));
  ASSERT_TRUE(eventually(
      [&] {
        return gateway.metricValue("concurrency_slot_release_total",
                                   {{"key_id", "openai-key"}, {"exception", "true"}}) == 2.0;
      },
      1s));
  for (const std::string key : {"openai-key", "team-a"}) {
    EXPECT_EQ(gateway.metricValue("concurrency_slot_release_total",
                                  {{"key_id", key}, {"exception", "false"}}),
              5.0)
        << key;
    EXPECT_EQ(gateway.metricValue("concurrency_slot_release_total",
                                  {{"key_id", key}, {"exception", "true"}}),
              2.0)
        << key;
    EXPECT_EQ(gateway.metricValue("concurrency_slot_duration_seconds_count",
                                  {{"key_id", key}, {"exception", "false"}}),
              5.0)
        << key;
    EXPECT_EQ(gateway.metricValue("concurrency_slots_in_use", {{"key_id", key}}), 0.0) << key;
  }
  // A refused request and an error answer before admission release nothing.
  EXPECT_EQ(gateway.chat("no-such-model").status, 404);
  EXPECT_EQ(gateway.metricValue("concurrency_slot_release_total", {{"key_id", "team-a"}}), 7.0);
  EXPECT_EQ(
      gateway.metricValue("streaming_request_duration_seconds_count", {{"key_id", "openai-key"}}),
      4.0);
}

}  // namespace
}  // namespace slotgate::testing
