#include "metrics/sharded_histogram.h"

#include <cmath>
#include <cstdint>
#include <limits>
#include <utility>

namespace slotgate::metrics {

ShardedHistogram::ShardedHistogram(const std::vector<double>& bounds) : bounds_s_(bounds) {
  bounds_.reserve(bounds.size());
  for (const double b : bounds) {
    bounds_.push_back(static_cast<int64_t>(std::llround(b * 1e9)));
  }
  const size_t cells = bounds_.size() + 2;  // buckets with +Inf, then the sum
  lines_ = (cells + kCellsPerLine - 1) / kCellsPerLine;
}

ShardedHistogram::~ShardedHistogram() {
  for (auto& shard : shards_) {
    delete[] shard.load(std::memory_order_acquire);
  }
}

size_t ShardedHistogram::threadShard() {
  static std::atomic<size_t> next{0};
  thread_local size_t shard = next.fetch_add(1, std::memory_order_relaxed) % kShards;
  return shard;
}

ShardedHistogram::Line* ShardedHistogram::makeShard(size_t shard) {
  Line* fresh = new Line[lines_];  // zeroed cells
  Line* expected = nullptr;
  if (shards_[shard].compare_exchange_strong(expected, fresh, std::memory_order_acq_rel,
                                             std::memory_order_acquire)) {
    return fresh;
  }
  delete[] fresh;  // another thread of this shard made it first
  return expected;
}

prometheus::ClientMetric ShardedHistogram::collect() const {
  const size_t buckets = bounds_.size() + 1;
  std::vector<uint64_t> counts(buckets, 0);
  uint64_t sum_ns = 0;
  for (const auto& shard : shards_) {
    Line* lines = shard.load(std::memory_order_acquire);
    if (lines == nullptr) {
      continue;  // never observed into
    }
    for (size_t b = 0; b < buckets; ++b) {
      counts[b] += cell(lines, b).load(std::memory_order_relaxed);
    }
    sum_ns += cell(lines, buckets).load(std::memory_order_relaxed);
  }
  prometheus::ClientMetric metric;
  auto& h = metric.histogram;
  h.bucket.reserve(buckets);
  uint64_t cumulative = 0;
  for (size_t b = 0; b < buckets; ++b) {
    cumulative += counts[b];
    prometheus::ClientMetric::Bucket bucket;
    bucket.cumulative_count = cumulative;
    bucket.upper_bound =
        b < bounds_s_.size() ? bounds_s_[b] : std::numeric_limits<double>::infinity();
    h.bucket.push_back(bucket);
  }
  h.sample_count = cumulative;
  h.sample_sum = static_cast<double>(sum_ns) / 1e9;
  return metric;
}

ShardedHistogramFamily::ShardedHistogramFamily(std::string name, std::string help,
                                               std::vector<double> bounds)
    : name_(std::move(name)), help_(std::move(help)), bounds_(std::move(bounds)) {}

ShardedHistogram& ShardedHistogramFamily::add(const prometheus::Labels& labels) {
  std::lock_guard lock(mutex_);
  auto& series = series_[labels];
  if (!series) {
    series = std::make_unique<ShardedHistogram>(bounds_);
  }
  return *series;
}

prometheus::MetricFamily ShardedHistogramFamily::collect() const {
  prometheus::MetricFamily family;
  family.name = name_;
  family.help = help_;
  family.type = prometheus::MetricType::Histogram;
  std::lock_guard lock(mutex_);
  family.metric.reserve(series_.size());
  for (const auto& [labels, series] : series_) {
    prometheus::ClientMetric metric = series->collect();
    for (const auto& [name, value] : labels) {
      metric.label.push_back({name, value});
    }
    family.metric.push_back(std::move(metric));
  }
  return family;
}

}  // namespace slotgate::metrics
