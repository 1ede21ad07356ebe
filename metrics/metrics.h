// The registry of every metric family slotgate exports: the families of the one table
// (metrics/metric_families.h), their accessors, and the Prometheus text and JSON views.
//
// One Metrics per process. Families and the series they hand out live as long
// as the Metrics object, so a Counter& resolved at config load stays valid
// across reloads. Thread-safety: as prometheus-cpp: Family::Add and every
// Counter/Gauge operation may be called from any thread, and so may every
// ShardedHistogram(Family) operation; addRefresher/addCollectable/serialize*
// are thread-safe too.
#pragma once

#include <array>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "metrics/metric_families.h"
#include "metrics/sharded_histogram.h"
#include "prometheus/collectable.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/metric_family.h"
#include "prometheus/registry.h"

// What the accessor of each MetricKind returns.
#define SLOTGATE_METRIC_TYPE_Counter prometheus::Family<prometheus::Counter>
#define SLOTGATE_METRIC_TYPE_Gauge prometheus::Family<prometheus::Gauge>
#define SLOTGATE_METRIC_TYPE_ShardedHistogram ::slotgate::metrics::ShardedHistogramFamily
#define SLOTGATE_METRIC_TYPE_SingleCounter prometheus::Counter
#define SLOTGATE_METRIC_TYPE_SingleGauge prometheus::Gauge
#define SLOTGATE_METRIC_TYPE_SingleShardedHistogram ::slotgate::metrics::ShardedHistogram

namespace slotgate::metrics {

// Label value used wherever no config id applies (SPEC section 3).
inline constexpr std::string_view kUnknownLabel = "unknown";

// `method` of model_alias_resolution_*; index order is the API of
// RequestSeries::aliasResolution/aliasDuration.
inline constexpr size_t kAliasMethodCount = 4;
inline constexpr std::array<std::string_view, kAliasMethodCount> kAliasMethodLabels = {
    "direct_match", "provider_model_name", "alias", "not_found"};

class Metrics {
 public:
  Metrics();
  ~Metrics();
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  prometheus::Registry& registry() { return registry_; }

  // One accessor per family of metrics/metric_families.h, named as its table entry:
  // e.g. slotDuration() is a ShardedHistogramFamily&, openCircuits() the prometheus::Gauge& of
  // a family with one series, overhead() a ShardedHistogram&.
#define SLOTGATE_METRIC_ACCESSOR(accessor, kind, name, labels, buckets, help) \
  SLOTGATE_METRIC_TYPE_##kind& accessor() { return *accessor##_; }
  SLOTGATE_METRIC_FAMILIES(SLOTGATE_METRIC_ACCESSOR)
#undef SLOTGATE_METRIC_ACCESSOR

  // Run before every scrape, in order (e.g. to set gauges from slot pools). A refresher
  // must not call serialize*().
  void addRefresher(std::function<void()> fn);
  // Extra collectables (the process collector is added by the constructor); prometheus-cpp
  // 1.0.1's Registry cannot hold them itself.
  void addCollectable(std::shared_ptr<prometheus::Collectable> collectable);

  // Runs the refreshers, then gathers every family: SPEC families first in declaration
  // order (present with HELP/TYPE even without series), then anything else registered.
  std::vector<prometheus::MetricFamily> collect();
  // Prometheus text format 0.0.4.
  std::string serialize();
  // [{name, help, type, metrics:[{labels:{..}, value}]}] for counters/gauges/untyped;
  // histograms carry {labels, count, sum, buckets:[{le, count}]} with cumulative counts,
  // finite `le` only (the +Inf bucket equals `count`).
  std::string serializeJson();

 private:
  // One per MetricKind: registers the family of `spec` (next in export order) and returns
  // what its accessor returns. `buckets` are a histogram's upper bounds, empty otherwise.
  template <typename T>
  prometheus::Family<T>& declare(const MetricFamilySpec& spec, prometheus::MetricType type);
  prometheus::Family<prometheus::Counter>& declareCounter(const MetricFamilySpec& spec,
                                                          std::vector<double> buckets);
  prometheus::Family<prometheus::Gauge>& declareGauge(const MetricFamilySpec& spec,
                                                      std::vector<double> buckets);
  ShardedHistogramFamily& declareShardedHistogram(const MetricFamilySpec& spec,
                                                  std::vector<double> buckets);
  prometheus::Counter& declareSingleCounter(const MetricFamilySpec& spec,
                                            std::vector<double> buckets);
  prometheus::Gauge& declareSingleGauge(const MetricFamilySpec& spec, std::vector<double> buckets);
  ShardedHistogram& declareSingleShardedHistogram(const MetricFamilySpec& spec,
                                                  std::vector<double> buckets);

  prometheus::Registry registry_;
  // name/help/type of every declared family, in export order. Immutable after construction.
  std::vector<prometheus::MetricFamily> declared_;
  // The ShardedHistogramFamily of each declared_ entry, nullptr for the registry's families.
  std::vector<const ShardedHistogramFamily*> declared_sharded_;
  std::vector<std::unique_ptr<ShardedHistogramFamily>> sharded_;

  std::mutex mutex_;  // guards refreshers_ and collectables_
  std::vector<std::shared_ptr<std::function<void()>>> refreshers_;
  std::vector<std::shared_ptr<prometheus::Collectable>> collectables_;

#define SLOTGATE_METRIC_MEMBER(accessor, kind, name, labels, buckets, help) \
  SLOTGATE_METRIC_TYPE_##kind* accessor##_ = nullptr;
  SLOTGATE_METRIC_FAMILIES(SLOTGATE_METRIC_MEMBER)
#undef SLOTGATE_METRIC_MEMBER
};

using MetricsPtr = std::unique_ptr<Metrics>;

}  // namespace slotgate::metrics
