// Histograms for the request path (every histogram family slotgate exports): observe() is a
// bucket search and two relaxed atomic adds, with no mutex and no compare-exchange loop on a
// double. prometheus-cpp 1.0.1's Histogram::Observe takes a mutex and CAS-adds doubles; three of
// those per request cost about 2k instructions (bench/load/callgrind.sh).
//
// The counts live in kShards shards, each on cache lines of its own; a caller passes its worker
// index, or takes its thread's shard (threads take shards in turn), so workers write different
// lines. Two threads on one shard stay correct (the adds are atomic), only slower. A shard's
// cells are allocated on its first observation, so a series costs memory for the shards that
// observe into it only (a config's eager series mostly never see traffic). Observations are
// whole nanoseconds, so the sum is exact; collect() folds the shards at scrape time into
// prometheus-cpp's types, so /metrics, /metrics/json and everything else that reads
// Metrics::collect() see ordinary histograms.
//
// Thread-safety: observe() and collect() from any thread, concurrently. A scrape may see an
// observation's bucket without its sum (as with any lock-free read of two counters).
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "prometheus/client_metric.h"
#include "prometheus/labels.h"
#include "prometheus/metric_family.h"

namespace slotgate::metrics {

class ShardedHistogram {
 public:
  // Enough for the usual worker counts; more workers share shards (correct, slightly slower).
  static constexpr size_t kShards = 16;

  // `bounds` are the finite upper bounds in seconds, ascending; +Inf is implied.
  explicit ShardedHistogram(const std::vector<double>& bounds);
  ~ShardedHistogram();
  ShardedHistogram(const ShardedHistogram&) = delete;
  ShardedHistogram& operator=(const ShardedHistogram&) = delete;

  // The calling thread's shard: each thread takes the next one on its first call.
  static size_t threadShard();

  // `count` observations of `value` (negative counts as 0) into shard `shard % kShards`.
  void observe(size_t shard, std::chrono::nanoseconds value, uint64_t count = 1) {
    const int64_t ns = value.count() < 0 ? 0 : value.count();
    size_t bucket = 0;  // the first bound >= ns (`le` is inclusive); bounds_.size() = +Inf
    size_t n = bounds_.size();
    while (n > 0) {  // lower_bound, written out so it inlines into the caller
      const size_t half = n / 2;
      if (bounds_[bucket + half] < ns) {
        bucket += half + 1;
        n -= half + 1;
      } else {
        n = half;
      }
    }
    Line* lines = shardLines(shard % kShards);
    cell(lines, bucket).fetch_add(count, std::memory_order_relaxed);
    cell(lines, bounds_.size() + 1)
        .fetch_add(static_cast<uint64_t>(ns) * count, std::memory_order_relaxed);
  }
  // The same into the calling thread's shard (callers that do not know their worker's index:
  // slot releases happen on whichever thread lets go of the lease).
  void observe(std::chrono::nanoseconds value, uint64_t count = 1) {
    observe(threadShard(), value, count);
  }

  // The shards folded into one histogram (cumulative buckets, +Inf last).
  prometheus::ClientMetric collect() const;

 private:
  static constexpr size_t kCellsPerLine = 64 / sizeof(std::atomic<uint64_t>);
  // The cells of a shard come in whole cache lines (new aligns the over-aligned type).
  struct alignas(64) Line {
    std::array<std::atomic<uint64_t>, kCellsPerLine> cells{};
  };

  static_assert(sizeof(Line) == 64);

  // A shard's cells: one per bucket (+Inf included), then the sum in nanoseconds, in lines_
  // cache lines made on the shard's first observation.
  Line* shardLines(size_t shard) {
    Line* lines = shards_[shard].load(std::memory_order_acquire);
    return lines != nullptr ? lines : makeShard(shard);
  }
  Line* makeShard(size_t shard);
  static std::atomic<uint64_t>& cell(Line* lines, size_t index) {
    return lines[index / kCellsPerLine].cells[index % kCellsPerLine];
  }

  std::vector<int64_t> bounds_;                       // nanoseconds
  std::vector<double> bounds_s_;                      // as configured, for the `le` labels
  size_t lines_ = 0;                                  // cache lines per shard
  std::array<std::atomic<Line*>, kShards> shards_{};  // null until the shard's first observation
};

// A family of ShardedHistograms: one name, help and bucket layout, a series per label set.
// Series are created at config load (add) and live as long as the family.
class ShardedHistogramFamily {
 public:
  ShardedHistogramFamily(std::string name, std::string help, std::vector<double> bounds);

  const std::string& name() const { return name_; }
  // The series with `labels`, created if new. Same labels → same series. Thread-safe.
  ShardedHistogram& add(const prometheus::Labels& labels);
  // Every series, folded, as one prometheus-cpp family (type histogram).
  prometheus::MetricFamily collect() const;

 private:
  const std::string name_;
  const std::string help_;
  const std::vector<double> bounds_;
  mutable std::mutex mutex_;  // guards series_ (add against collect)
  std::map<prometheus::Labels, std::unique_ptr<ShardedHistogram>> series_;
};

}  // namespace slotgate::metrics
