// Histograms for the request path (issue 14's latency series): observe() is a bucket search and
// two relaxed atomic adds, with no mutex and no compare-exchange loop on a double. prometheus-cpp
// 1.0.1's Histogram::Observe takes a mutex and CAS-adds doubles; three of those per request cost
// about 2k instructions (bench/load/callgrind.sh).
//
// The counts live in kShards shards, each on cache lines of its own; a caller passes its worker
// index so workers write different lines. Two threads on one shard stay correct (the adds are
// atomic), only slower. Observations are whole nanoseconds, so the sum is exact; collect()
// folds the shards at scrape time into prometheus-cpp's types, so /metrics, /metrics/json and
// everything else that reads Metrics::collect() see ordinary histograms.
//
// Thread-safety: observe() and collect() from any thread, concurrently. A scrape may see an
// observation's bucket without its sum (as with any lock-free read of two counters).
#pragma once

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
    std::atomic<uint64_t>* cells = shardCells(shard % kShards);
    cells[bucket].fetch_add(count, std::memory_order_relaxed);
    cells[bounds_.size() + 1].fetch_add(static_cast<uint64_t>(ns) * count,
                                        std::memory_order_relaxed);
  }

  // The shards folded into one histogram (cumulative buckets, +Inf last).
  prometheus::ClientMetric collect() const;

 private:
  static constexpr size_t kCellsPerLine = 64 / sizeof(std::atomic<uint64_t>);

  // A shard's cells: one per bucket (+Inf included), then the sum in nanoseconds. Each shard
  // starts on a cache line of its own.
  std::atomic<uint64_t>* shardCells(size_t shard) const { return base_ + shard * stride_; }

  std::vector<int64_t> bounds_;   // nanoseconds
  std::vector<double> bounds_s_;  // as configured, for the `le` labels
  size_t stride_ = 0;             // cells per shard, a whole number of cache lines
  std::unique_ptr<std::atomic<uint64_t>[]> cells_;
  std::atomic<uint64_t>* base_ = nullptr;  // the first cache-line-aligned cell of cells_
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
