// History: window closing, rates, percentiles, retention and window selection.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "metrics/history.h"

namespace slotgate::metrics {
namespace {

using namespace std::chrono_literals;
using std::chrono::steady_clock;
using std::chrono::system_clock;

TEST(History, PointFromOneWindow) {
  History h;
  const auto s0 = steady_clock::now();
  const auto w0 = system_clock::time_point(1'700'000'000s);
  (void)h.sample(w0, s0, {}, {.cpu_seconds = 1.0});  // opens a clean 10 s window
  for (int i = 1; i <= 100; ++i) {
    h.record(i, i % 4 == 0);  // latencies 1..100 ms, 25 errors
  }
  const HistoryPoint p = h.sample(w0 + 10s, s0 + 10s, {.slots_in_use = 3, .open_circuits = 1},
                                  {.cpu_seconds = 3.5, .rss_bytes = 4096});
  EXPECT_DOUBLE_EQ(p.request_rate, 10.0);
  EXPECT_DOUBLE_EQ(p.error_rate, 2.5);
  EXPECT_DOUBLE_EQ(p.p50_ms, 50.0);
  EXPECT_DOUBLE_EQ(p.p99_ms, 99.0);
  EXPECT_EQ(p.slots_in_use, 3u);
  EXPECT_EQ(p.open_circuits, 1u);
  EXPECT_DOUBLE_EQ(p.cpu_percent, 25.0);  // 2.5 CPU seconds in 10 s
  EXPECT_EQ(p.rss_bytes, 4096u);

  // The next window starts empty.
  const HistoryPoint q = h.sample(w0 + 20s, s0 + 20s, {}, {.cpu_seconds = 3.5});
  EXPECT_EQ(q.request_rate, 0.0);
  EXPECT_EQ(q.p50_ms, 0.0);
  EXPECT_EQ(q.p99_ms, 0.0);
  EXPECT_EQ(q.cpu_percent, 0.0);
}

TEST(History, FirstTokenOverheadAndQueueWaitPercentiles) {
  History h;
  const auto s0 = steady_clock::now();
  const auto w0 = system_clock::time_point(1'700'000'000s);
  (void)h.sample(w0, s0, {}, {});
  for (int i = 1; i <= 100; ++i) {
    // TTFT 10..1000 ms on half the requests only; overhead 0.01..1 ms; queue wait 0..99 ms.
    h.record(2000, false,
             {.ttft_ms = i % 2 == 0 ? i * 10.0 : -1,
              .overhead_ms = i / 100.0,
              .queue_wait_ms = i - 1.0});
  }
  h.record(5, true);  // a request that measured none of them
  const HistoryPoint p = h.sample(w0 + 10s, s0 + 10s, {}, {});
  EXPECT_DOUBLE_EQ(p.ttft_p50_ms, 500.0);  // 20, 40, ..., 1000: the 25th of 50
  EXPECT_DOUBLE_EQ(p.ttft_p99_ms, 1000.0);
  EXPECT_DOUBLE_EQ(p.overhead_p50_ms, 0.5);
  EXPECT_DOUBLE_EQ(p.overhead_p99_ms, 0.99);
  EXPECT_DOUBLE_EQ(p.queue_wait_p50_ms, 49.0);
  EXPECT_DOUBLE_EQ(p.queue_wait_p99_ms, 98.0);
  const nlohmann::json j = nlohmann::json::parse(History::json({p}));
  EXPECT_EQ(j[0]["ttft_p50_ms"], 500.0);
  EXPECT_EQ(j[0]["overhead_p99_ms"], 0.99);
  EXPECT_EQ(j[0]["queue_wait_p99_ms"], 98.0);
  const HistoryPoint q = h.sample(w0 + 20s, s0 + 20s, {}, {});
  EXPECT_EQ(q.ttft_p99_ms, 0.0);
  EXPECT_EQ(q.overhead_p50_ms, 0.0);
}

TEST(History, ReservoirBoundsMemoryAndStaysRepresentative) {
  History h;
  const auto s0 = steady_clock::now();
  (void)h.sample(system_clock::now(), s0, {}, {});
  for (int i = 0; i < 100000; ++i) {
    h.record(i % 1000, false);  // uniform 0..999
  }
  const HistoryPoint p = h.sample(system_clock::now(), s0 + 10s, {}, {});
  EXPECT_DOUBLE_EQ(p.request_rate, 10000.0);
  EXPECT_NEAR(p.p50_ms, 500, 80);
  EXPECT_GE(p.p99_ms, 950);
}

TEST(History, PercentileNearestRank) {
  std::vector<double> v = {5, 1, 4, 2, 3};
  EXPECT_EQ(History::percentile(v, 0.5), 3);
  EXPECT_EQ(History::percentile(v, 0.99), 5);
  EXPECT_EQ(History::percentile(v, 0.2), 1);
  std::vector<double> empty;
  EXPECT_EQ(History::percentile(empty, 0.5), 0);
}

TEST(History, KeepsSixtyMinutesAndSelectsTheWindow) {
  History h;
  const auto s0 = steady_clock::now();
  const auto w0 = system_clock::time_point(1'700'000'000s);
  for (int i = 1; i <= 400; ++i) {  // 400 samples, 10 s apart: only the last 360 stay
    (void)h.sample(w0 + i * 10s, s0 + i * 10s, {.slots_in_use = static_cast<uint64_t>(i)}, {});
  }
  const auto now = w0 + 4000s;
  const auto all = h.last(60, now);
  ASSERT_EQ(all.size(), 360u);
  EXPECT_EQ(all.front().slots_in_use, 41u);
  EXPECT_EQ(all.back().slots_in_use, 400u);

  const auto ten = h.last(10, now);  // (now - 600 s, now]
  ASSERT_EQ(ten.size(), 60u);
  EXPECT_EQ(ten.front().slots_in_use, 341u);

  const auto one = h.last(1, now + 5s);  // (3945 s, 4005 s]: samples 395..400
  ASSERT_EQ(one.size(), 6u);
  EXPECT_EQ(one.front().slots_in_use, 395u);

  const nlohmann::json j = nlohmann::json::parse(History::json(one));
  ASSERT_EQ(j.size(), 6u);
  EXPECT_EQ(j[5]["slots_in_use"], 400);
  for (const char* key :
       {"ts", "request_rate", "error_rate", "p50_ms", "p99_ms", "ttft_p50_ms", "ttft_p99_ms",
        "overhead_p50_ms", "overhead_p99_ms", "queue_wait_p50_ms", "queue_wait_p99_ms",
        "slots_in_use", "open_circuits", "cpu_percent", "rss_bytes"}) {
    EXPECT_TRUE(j[0].contains(key)) << key;
  }
  EXPECT_EQ(j[5]["ts"], "2023-11-14T23:20:00.000Z");  // 1'700'004'000 s
}

}  // namespace
}  // namespace slotgate::metrics
