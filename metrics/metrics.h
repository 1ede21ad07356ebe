// Every metric family slotgate exports (SPEC section 8 plus a few slotgate_*
// extras), declared once, with names, types, labels, buckets and help text.
//
// One Metrics per process. Families and the series they hand out live as long
// as the Metrics object, so a Counter& resolved at config load stays valid
// across reloads. Thread-safety: as prometheus-cpp: Family::Add and every
// Counter/Gauge/Histogram operation may be called from any thread;
// addRefresher/addCollectable/serialize* are thread-safe too.
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

#include "metrics/sharded_histogram.h"
#include "prometheus/collectable.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "prometheus/metric_family.h"
#include "prometheus/registry.h"

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

  // SPEC section 8 families.
  prometheus::Family<prometheus::Histogram>& slotDuration() { return *slot_duration_; }
  prometheus::Family<prometheus::Counter>& slotRelease() { return *slot_release_; }
  prometheus::Family<prometheus::Gauge>& slotsInUse() { return *slots_in_use_; }
  prometheus::Family<prometheus::Histogram>& streamingDuration() { return *streaming_duration_; }
  prometheus::Family<prometheus::Counter>& requestTotal() { return *request_total_; }
  prometheus::Gauge& openCircuits() { return *open_circuits_; }
  prometheus::Family<prometheus::Counter>& aliasResolution() { return *alias_resolution_; }
  prometheus::Family<prometheus::Histogram>& aliasResolutionDuration() {
    return *alias_resolution_duration_;
  }
  prometheus::Counter& aliasConflicts() { return *alias_conflicts_; }
  prometheus::Family<prometheus::Counter>& inferenceRequests() { return *inference_requests_; }
  prometheus::Family<prometheus::Counter>& inferenceErrors() { return *inference_errors_; }
  prometheus::Family<prometheus::Histogram>& inferenceLatency() { return *inference_latency_; }
  prometheus::Family<prometheus::Gauge>& upstreamInflight() { return *upstream_inflight_; }
  prometheus::Family<prometheus::Counter>& upstreamTimeouts() { return *upstream_timeouts_; }
  prometheus::Family<prometheus::Gauge>& jobQueueDepth() { return *job_queue_depth_; }

  // Extras. Reasons/results are fixed strings chosen by the caller's code, never request data.
  // slotgate_downstream_connections_closed_total{reason}: downstream connection closes by reason.
  prometheus::Family<prometheus::Counter>& downstreamCloses() { return *downstream_closes_; }
  // slotgate_connections_refused_total{reason}: client connections not served (max_connections,
  // descriptors, memory, accept_error).
  prometheus::Family<prometheus::Counter>& connectionsRefused() { return *connections_refused_; }
  // slotgate_downstream_connections_open: client connections open now, all workers.
  prometheus::Gauge& connectionsOpen() { return *connections_open_; }
  // slotgate_max_connections: the limit in force (server.max_connections or derived).
  prometheus::Gauge& maxConnections() { return *max_connections_; }
  // slotgate_http_rejects_total{reason}: requests refused by the codec (400/413/431/timeouts).
  prometheus::Family<prometheus::Counter>& httpRejects() { return *http_rejects_; }
  // slotgate_upstream_retries_total{provider}: retries moved to the next target.
  prometheus::Family<prometheus::Counter>& upstreamRetries() { return *upstream_retries_; }
  // slotgate_config_reloads_total{result="success"|"failure"}.
  prometheus::Family<prometheus::Counter>& configReloads() { return *config_reloads_; }
  prometheus::Gauge& configVersion() { return *config_version_; }  // slotgate_config_version
  prometheus::Gauge& redisUp() { return *redis_up_; }              // slotgate_redis_up (0/1)
  // slotgate_redis_configured: 1 when the config has `redis` (so an alert on redis_up == 0
  // does not fire on single instances).
  prometheus::Gauge& redisConfigured() { return *redis_configured_; }
  // slotgate_concurrency_slots_limit{key_id}: max_concurrency of each key (0 = unlimited), so
  // dashboards and alerts can relate concurrency_slots_in_use to it.
  prometheus::Family<prometheus::Gauge>& slotsLimit() { return *slots_limit_; }
  // slotgate_cluster_fallbacks_total{on_unavailable="local"|"reject"}: slot acquisitions that
  // found Redis unavailable and were served with local limits or refused.
  prometheus::Family<prometheus::Counter>& clusterFallbacks() { return *cluster_fallbacks_; }
  // slotgate_log_lines_dropped_total: log lines dropped (metrics/log.h); set before scrapes.
  prometheus::Counter& logLinesDropped() { return *log_lines_dropped_; }
  // Issue 14. slotgate_requests_without_usage_total{provider}: answers (2xx) that ended without
  // a usage report, so their tokens are unknown, not zero.
  prometheus::Family<prometheus::Counter>& requestsWithoutUsage() { return *without_usage_; }
  // The latency histograms are ShardedHistograms (metrics/sharded_histogram.h): observed on
  // every request without a lock, folded at scrape time.
  // slotgate_time_to_first_token_seconds{provider, model}: request start to the first content
  // chunk of a stream, or to the first body byte otherwise.
  ShardedHistogramFamily& timeToFirstToken() { return *time_to_first_token_; }
  // slotgate_stream_chunk_gap_seconds{provider}: time between content chunks of a stream.
  ShardedHistogramFamily& streamChunkGap() { return *stream_chunk_gap_; }
  // slotgate_overhead_seconds: time a request spent inside slotgate, queueing excluded.
  ShardedHistogram& overhead() { return *overhead_; }
  // slotgate_queue_wait_seconds: time a request waited for its concurrency slots.
  ShardedHistogram& queueWait() { return *queue_wait_; }

  // The series with `labels` of a histogram family of this object, created with that
  // family's buckets if new. Same labels → same Histogram&.
  prometheus::Histogram& histogram(prometheus::Family<prometheus::Histogram>& family,
                                   const prometheus::Labels& labels);
  const prometheus::Histogram::BucketBoundaries& bucketsOf(
      const prometheus::Family<prometheus::Histogram>& family) const;

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
  template <typename T>
  prometheus::Family<T>& declare(std::string name, std::string help, prometheus::MetricType type);
  prometheus::Family<prometheus::Histogram>& declareHistogram(
      std::string name, std::string help, prometheus::Histogram::BucketBoundaries buckets);
  ShardedHistogramFamily& declareSharded(std::string name, std::string help,
                                         std::vector<double> buckets);

  prometheus::Registry registry_;
  // name/help/type of every declared family, in export order. Immutable after construction.
  std::vector<prometheus::MetricFamily> declared_;
  // The ShardedHistogramFamily of each declared_ entry, nullptr for the registry's families.
  std::vector<const ShardedHistogramFamily*> declared_sharded_;
  std::vector<std::unique_ptr<ShardedHistogramFamily>> sharded_;
  std::vector<std::pair<const prometheus::Family<prometheus::Histogram>*,
                        prometheus::Histogram::BucketBoundaries>>
      buckets_;  // immutable after construction

  std::mutex mutex_;  // guards refreshers_ and collectables_
  std::vector<std::shared_ptr<std::function<void()>>> refreshers_;
  std::vector<std::shared_ptr<prometheus::Collectable>> collectables_;

  prometheus::Family<prometheus::Histogram>* slot_duration_ = nullptr;
  prometheus::Family<prometheus::Counter>* slot_release_ = nullptr;
  prometheus::Family<prometheus::Gauge>* slots_in_use_ = nullptr;
  prometheus::Family<prometheus::Histogram>* streaming_duration_ = nullptr;
  prometheus::Family<prometheus::Counter>* request_total_ = nullptr;
  prometheus::Gauge* open_circuits_ = nullptr;
  prometheus::Family<prometheus::Counter>* alias_resolution_ = nullptr;
  prometheus::Family<prometheus::Histogram>* alias_resolution_duration_ = nullptr;
  prometheus::Counter* alias_conflicts_ = nullptr;
  prometheus::Family<prometheus::Counter>* inference_requests_ = nullptr;
  prometheus::Family<prometheus::Counter>* inference_errors_ = nullptr;
  prometheus::Family<prometheus::Histogram>* inference_latency_ = nullptr;
  prometheus::Family<prometheus::Gauge>* upstream_inflight_ = nullptr;
  prometheus::Family<prometheus::Counter>* upstream_timeouts_ = nullptr;
  prometheus::Family<prometheus::Gauge>* job_queue_depth_ = nullptr;
  prometheus::Family<prometheus::Counter>* downstream_closes_ = nullptr;
  prometheus::Family<prometheus::Counter>* http_rejects_ = nullptr;
  prometheus::Family<prometheus::Counter>* connections_refused_ = nullptr;
  prometheus::Gauge* connections_open_ = nullptr;
  prometheus::Gauge* max_connections_ = nullptr;
  prometheus::Family<prometheus::Counter>* upstream_retries_ = nullptr;
  prometheus::Family<prometheus::Counter>* config_reloads_ = nullptr;
  prometheus::Gauge* config_version_ = nullptr;
  prometheus::Gauge* redis_up_ = nullptr;
  prometheus::Gauge* redis_configured_ = nullptr;
  prometheus::Family<prometheus::Gauge>* slots_limit_ = nullptr;
  prometheus::Family<prometheus::Counter>* cluster_fallbacks_ = nullptr;
  prometheus::Counter* log_lines_dropped_ = nullptr;
  prometheus::Family<prometheus::Counter>* without_usage_ = nullptr;
  ShardedHistogramFamily* time_to_first_token_ = nullptr;
  ShardedHistogramFamily* stream_chunk_gap_ = nullptr;
  ShardedHistogram* overhead_ = nullptr;
  ShardedHistogram* queue_wait_ = nullptr;
};

using MetricsPtr = std::unique_ptr<Metrics>;

}  // namespace slotgate::metrics
