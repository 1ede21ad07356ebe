#include "metrics/sharded_histogram.h"

#include <atomic>
#include <chrono>
#include <cmath>
#include <thread>
#include <vector>

#include "exposition.h"
#include "gtest/gtest.h"
#include "metrics/metrics.h"
#include "nlohmann/json.hpp"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"
#include "prometheus/text_serializer.h"

namespace slotgate::metrics {
namespace {

using std::chrono::microseconds;
using std::chrono::milliseconds;
using std::chrono::nanoseconds;
using testing::parseExposition;
using testing::sampleValue;

// Cumulative bucket counts, +Inf last.
std::vector<uint64_t> cumulative(const prometheus::ClientMetric& m) {
  std::vector<uint64_t> out;
  for (const auto& b : m.histogram.bucket) {
    out.push_back(b.cumulative_count);
  }
  return out;
}

TEST(ShardedHistogram, AnObservationLandsInTheFirstBucketWhoseBoundIsAtOrAboveIt) {
  ShardedHistogram h({0.001, 0.01, 0.1});
  h.observe(0, milliseconds(1));                   // le="0.001": bounds are inclusive
  h.observe(0, milliseconds(1) + nanoseconds(1));  // le="0.01"
  h.observe(0, milliseconds(100));                 // le="0.1"
  h.observe(0, std::chrono::seconds(5));           // +Inf
  h.observe(0, nanoseconds(-7));                   // a negative duration counts as 0
  const prometheus::ClientMetric m = h.collect();
  ASSERT_EQ(m.histogram.bucket.size(), 4u);
  EXPECT_EQ(m.histogram.bucket[0].upper_bound, 0.001);
  EXPECT_EQ(m.histogram.bucket[2].upper_bound, 0.1);
  EXPECT_TRUE(std::isinf(m.histogram.bucket[3].upper_bound));
  EXPECT_EQ(cumulative(m), (std::vector<uint64_t>{2, 3, 4, 5}));
  EXPECT_EQ(m.histogram.sample_count, 5u);
  EXPECT_DOUBLE_EQ(m.histogram.sample_sum, 0.001 + 0.001000001 + 0.1 + 5);
}

TEST(ShardedHistogram, ShardsFoldIntoOneHistogramAtCollect) {
  ShardedHistogram h({0.001, 0.01});
  h.observe(0, microseconds(500));
  h.observe(7, microseconds(500), 3);  // three observations at once
  h.observe(ShardedHistogram::kShards - 1, milliseconds(5));
  h.observe(ShardedHistogram::kShards, milliseconds(50));  // wraps onto shard 0
  h.observe(1000, milliseconds(50));
  const prometheus::ClientMetric m = h.collect();
  EXPECT_EQ(cumulative(m), (std::vector<uint64_t>{4, 5, 7}));
  EXPECT_EQ(m.histogram.sample_count, 7u);
  EXPECT_DOUBLE_EQ(m.histogram.sample_sum, 4 * 0.0005 + 0.005 + 2 * 0.05);
}

TEST(ShardedHistogram, ConcurrentObserversOnSharedShardsLoseNothing) {
  ShardedHistogram h({0.001, 0.01});
  constexpr int kThreads = 8;
  constexpr int kEach = 50'000;
  std::atomic<bool> done{false};
  // A scrape running alongside sees counts that only grow.
  std::thread scraper([&] {
    uint64_t last = 0;
    while (!done.load()) {
      const uint64_t count = h.collect().histogram.sample_count;
      EXPECT_GE(count, last);
      last = count;
    }
  });
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    // Two threads per shard: the adds must still be atomic.
    threads.emplace_back([&h, t] {
      for (int i = 0; i < kEach; ++i) {
        h.observe(static_cast<size_t>(t % 4), microseconds(i % 2 == 0 ? 100 : 5000));
      }
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  done = true;
  scraper.join();
  const prometheus::ClientMetric m = h.collect();
  EXPECT_EQ(cumulative(m),
            (std::vector<uint64_t>{kThreads * kEach / 2, kThreads * kEach, kThreads * kEach}));
  EXPECT_DOUBLE_EQ(m.histogram.sample_sum, kThreads * (kEach / 2) * (0.0001 + 0.005));
}

TEST(ShardedHistogram, AFamilyHandsOutOneSeriesPerLabelSet) {
  ShardedHistogramFamily family("x_seconds", "help", {0.1});
  ShardedHistogram& a = family.add({{"provider", "p"}});
  EXPECT_EQ(&family.add({{"provider", "p"}}), &a);
  EXPECT_NE(&family.add({{"provider", "q"}}), &a);
  a.observe(2, milliseconds(50));
  const prometheus::MetricFamily f = family.collect();
  EXPECT_EQ(f.name, "x_seconds");
  EXPECT_EQ(f.type, prometheus::MetricType::Histogram);
  ASSERT_EQ(f.metric.size(), 2u);
  ASSERT_EQ(f.metric[0].label.size(), 1u);
  EXPECT_EQ(f.metric[0].label[0].value, "p");
  EXPECT_EQ(f.metric[0].histogram.sample_count, 1u);
  EXPECT_EQ(f.metric[1].histogram.sample_count, 0u);
}

// Each thread keeps one shard, and threads take different ones in turn (up to kShards).
TEST(ShardedHistogram, ThreadsTakeShardsOfTheirOwn) {
  const size_t mine = ShardedHistogram::threadShard();
  EXPECT_EQ(ShardedHistogram::threadShard(), mine);
  EXPECT_LT(mine, ShardedHistogram::kShards);
  size_t a = 0;
  size_t b = 0;
  std::thread([&a] { a = ShardedHistogram::threadShard(); }).join();
  std::thread([&b] { b = ShardedHistogram::threadShard(); }).join();
  EXPECT_NE(a, b);
  ShardedHistogram h({0.001});
  h.observe(microseconds(10));  // this thread's shard
  std::thread([&h] { h.observe(milliseconds(10), 2); }).join();
  EXPECT_EQ(cumulative(h.collect()), (std::vector<uint64_t>{1, 3}));
}

// A series nobody observed into reads as zeros (its shards are made on first use).
TEST(ShardedHistogram, ASeriesNeverObservedReadsZero) {
  ShardedHistogram h({0.1, 1});
  const prometheus::ClientMetric m = h.collect();
  EXPECT_EQ(cumulative(m), (std::vector<uint64_t>{0, 0, 0}));
  EXPECT_EQ(m.histogram.sample_count, 0u);
  EXPECT_EQ(m.histogram.sample_sum, 0.0);
}

// The SPEC histograms moved from prometheus-cpp's Histogram to this one: for the same
// observations the exposition text is the same, byte for byte (names, labels, buckets, counts,
// sum; values exact in binary so both sums are exact).
TEST(ShardedHistogram, ExportsTheSameTextAsAPrometheusCppHistogram) {
  const std::vector<double> bounds{0.1, 0.5, 1, 5, 10, 30, 60, 120, 300, 600};
  const prometheus::Labels labels{{"key_id", "k"}, {"exception", "false"}};
  prometheus::Registry registry;
  auto& reference = prometheus::BuildHistogram()
                        .Name("concurrency_slot_duration_seconds")
                        .Help("h")
                        .Register(registry)
                        .Add(labels, bounds);
  ShardedHistogramFamily family("concurrency_slot_duration_seconds", "h", bounds);
  ShardedHistogram& sharded = family.add(labels);
  for (const double seconds : {0.0, 0.1, 0.25, 0.5, 2.0, 600.0, 1000.0}) {
    reference.Observe(seconds);
    sharded.observe(
        std::chrono::duration_cast<nanoseconds>(std::chrono::duration<double>(seconds)));
  }
  const prometheus::TextSerializer text;
  EXPECT_EQ(text.Serialize({family.collect()}), text.Serialize(registry.Collect()));
}

// The latency families of Metrics are sharded and read like any histogram in /metrics and
// /metrics/json.
TEST(ShardedHistogram, MetricsExportsTheLatencyFamiliesInTextAndJson) {
  Metrics metrics;
  metrics.overhead().observe(0, microseconds(250));
  metrics.overhead().observe(3, microseconds(250));
  metrics.timeToFirstToken().add({{"provider", "p"}, {"model", "m"}}).observe(1, milliseconds(120));
  const testing::Exposition e = parseExposition(metrics.serialize());
  ASSERT_EQ(e.error, "");
  EXPECT_EQ(e.families.at("slotgate_overhead_seconds").type, "histogram");
  const std::string overhead = "slotgate_overhead_seconds";
  EXPECT_EQ(sampleValue(e, overhead, overhead + "_bucket", {{"le", "0.0002"}}), 0.0);
  EXPECT_EQ(sampleValue(e, overhead, overhead + "_bucket", {{"le", "0.0003"}}), 2.0);
  EXPECT_EQ(sampleValue(e, overhead, overhead + "_count", {}), 2.0);
  EXPECT_DOUBLE_EQ(sampleValue(e, overhead, overhead + "_sum", {}), 0.0005);
  const std::string ttft = "slotgate_time_to_first_token_seconds";
  EXPECT_EQ(
      sampleValue(e, ttft, ttft + "_bucket", {{"provider", "p"}, {"model", "m"}, {"le", "0.1"}}),
      0.0);
  EXPECT_EQ(
      sampleValue(e, ttft, ttft + "_bucket", {{"provider", "p"}, {"model", "m"}, {"le", "0.15"}}),
      1.0);
  // Declared but not yet observed: present with HELP/TYPE and a zero series.
  EXPECT_EQ(sampleValue(e, "slotgate_queue_wait_seconds", "slotgate_queue_wait_seconds_count", {}),
            0.0);

  bool found = false;
  for (const auto& family : nlohmann::json::parse(metrics.serializeJson())) {
    if (family["name"] == overhead) {
      found = true;
      EXPECT_EQ(family["type"], "histogram");
      ASSERT_EQ(family["metrics"].size(), 1u);
      EXPECT_EQ(family["metrics"][0]["count"], 2);
    }
  }
  EXPECT_TRUE(found);
}

}  // namespace
}  // namespace slotgate::metrics
