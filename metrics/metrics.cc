#include "metrics/metrics.h"

#include <unordered_map>

#include "metrics/log.h"
#include "metrics/process_collector.h"
#include "prometheus/detail/builder.h"
#include "prometheus/text_serializer.h"

namespace slotgate::metrics {

using prometheus::Counter;
using prometheus::Family;
using prometheus::Gauge;
using prometheus::Histogram;
using prometheus::MetricType;

Metrics::Metrics() {
  // SPEC section 8, in its order.
  slot_duration_ = &declareHistogram(
      "concurrency_slot_duration_seconds",
      "Time a concurrency slot was held, by key_id and whether it ended without a completed "
      "response (exception).",
      {0.1, 0.5, 1, 5, 10, 30, 60, 120, 300, 600});
  slot_release_ = &declare<Counter>(
      "concurrency_slot_release_total",
      "Concurrency slots released, by key_id and whether the slot ended without a completed "
      "response (exception).",
      MetricType::Counter);
  slots_in_use_ =
      &declare<Gauge>("concurrency_slots_in_use", "Concurrency slots currently held, by key_id.",
                      MetricType::Gauge);
  streaming_duration_ = &declareHistogram(
      "streaming_request_duration_seconds",
      "Duration of streaming requests from admission to the end of the stream, by key_id and "
      "status.",
      {1, 5, 10, 30, 60, 120, 300, 600, 1800});
  request_total_ = &declare<Counter>(
      "request_total", "Finished inference requests by type (streaming, non-streaming) and status.",
      MetricType::Counter);
  open_circuits_ =
      &declare<Gauge>("health_open_circuits", "Provider key circuit breakers currently open.",
                      MetricType::Gauge)
           .Add({});
  alias_resolution_ =
      &declare<Counter>("model_alias_resolution_total",
                        "Model name resolutions by method and whether the alias cache answered.",
                        MetricType::Counter);
  alias_resolution_duration_ = &declareHistogram(
      "model_alias_resolution_duration_seconds",
      "Time to resolve a requested model name, by method.",
      {0.00001, 0.00005, 0.0001, 0.0005, 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0});
  alias_conflicts_ =
      &declare<Counter>("model_alias_conflict_total",
                        "Names claimed by more than one global model.", MetricType::Counter)
           .Add({});
  inference_requests_ = &declare<Counter>(
      "inference_requests_total",
      "Inference requests by global model, provider model (version) and client (tenant).",
      MetricType::Counter);
  inference_errors_ = &declare<Counter>(
      "inference_errors_total",
      "Failed inference requests by model, version, error_type (an error code, or "
      "upstream_status for an upstream error passed through) and tenant.",
      MetricType::Counter);
  inference_latency_ = &declareHistogram(
      "inference_latency_seconds",
      "Inference request duration from arrival to the last byte, by model, version and tenant.",
      {0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10});
  upstream_inflight_ = &declare<Gauge>(
      "upstream_inflight", "Requests in flight to each provider, by provider.", MetricType::Gauge);
  upstream_timeouts_ =
      &declare<Counter>("upstream_timeouts_total", "Upstream requests that timed out, by provider.",
                        MetricType::Counter);
  job_queue_depth_ = &declare<Gauge>(
      "job_queue_depth", "Requests waiting for a concurrency slot, by model and version.",
      MetricType::Gauge);

  // Extras.
  downstream_closes_ =
      &declare<Counter>("slotgate_downstream_connections_closed_total",
                        "Client connections closed, by reason.", MetricType::Counter);
  http_rejects_ = &declare<Counter>(
      "slotgate_http_rejects_total",
      "Requests refused by the HTTP codec before routing (malformed, too large, header timeout), "
      "by reason.",
      MetricType::Counter);
  connections_refused_ = &declare<Counter>(
      "slotgate_connections_refused_total",
      "Client connections not served, by reason: max_connections (accepted and closed at the "
      "limit), descriptors or memory (accept() failed: EMFILE/ENFILE, ENOBUFS/ENOMEM), "
      "accept_error. Accepting pauses with a back-off after each.",
      MetricType::Counter);
  for (const char* reason : {"max_connections", "descriptors", "memory", "accept_error"}) {
    connections_refused_->Add({{"reason", reason}});
  }
  connections_open_ =
      &declare<Gauge>("slotgate_downstream_connections_open",
                      "Client connections open now, all workers.", MetricType::Gauge)
           .Add({});
  max_connections_ =
      &declare<Gauge>("slotgate_max_connections",
                      "Client connections allowed (server.max_connections, or derived from "
                      "RLIMIT_NOFILE when 0).",
                      MetricType::Gauge)
           .Add({});
  upstream_retries_ = &declare<Counter>(
      "slotgate_upstream_retries_total",
      "Upstream attempts retried on the next target, by provider.", MetricType::Counter);
  config_reloads_ =
      &declare<Counter>("slotgate_config_reloads_total",
                        "Config reloads by result (success, failure).", MetricType::Counter);
  config_version_ =
      &declare<Gauge>("slotgate_config_version", "Version of the config snapshot serving requests.",
                      MetricType::Gauge)
           .Add({});
  redis_up_ =
      &declare<Gauge>("slotgate_redis_up",
                      "1 while the shared-state Redis connection is up, else 0.", MetricType::Gauge)
           .Add({});
  redis_configured_ =
      &declare<Gauge>("slotgate_redis_configured",
                      "1 when the config shares state through Redis, else 0.", MetricType::Gauge)
           .Add({});
  slots_limit_ =
      &declare<Gauge>("slotgate_concurrency_slots_limit",
                      "max_concurrency of each client and provider key, by key_id (0 = unlimited).",
                      MetricType::Gauge);
  cluster_fallbacks_ = &declare<Counter>(
      "slotgate_cluster_fallbacks_total",
      "Slot acquisitions that found Redis unavailable, by the on_unavailable action taken "
      "(local: served with per-instance limits; reject: refused with 503).",
      MetricType::Counter);
  for (const char* action : {"local", "reject"}) {
    cluster_fallbacks_->Add({{"on_unavailable", action}});
  }
  log_lines_dropped_ =
      &declare<Counter>("slotgate_log_lines_dropped_total",
                        "Log lines dropped because the log reader fell behind (the in-memory "
                        "queue was full) or the log fd failed.",
                        MetricType::Counter)
           .Add({});
  // The logger counts drops itself (it must not depend on a Metrics object); scrapes catch up.
  addRefresher([counter = log_lines_dropped_] {
    const double dropped = static_cast<double>(metrics::logLinesDropped());
    if (dropped > counter->Value()) {
      counter->Increment(dropped - counter->Value());
    }
  });
  without_usage_ = &declare<Counter>(
      "slotgate_requests_without_usage_total",
      "Successful answers that ended without a usage report (tokens unknown, not zero), by "
      "provider.",
      MetricType::Counter);
  // 10 ms steps up to 100 ms, where first tokens of fast models land.
  time_to_first_token_ = &declareSharded(
      "slotgate_time_to_first_token_seconds",
      "Time from the request's arrival to the first content chunk of a stream (to the first body "
      "byte otherwise), by provider and model.",
      {0.005, 0.01, 0.02, 0.03, 0.04, 0.05, 0.06, 0.07, 0.08, 0.09, 0.1, 0.15, 0.2, 0.25,
       0.3,   0.4,  0.5,  0.75, 1,    1.5,  2,    3,    5,    7.5,  10,  20,   30,  60});
  stream_chunk_gap_ = &declareSharded(
      "slotgate_stream_chunk_gap_seconds",
      "Time between consecutive content chunks of a stream as slotgate reads them, by provider.",
      {0.001, 0.0025, 0.005, 0.01, 0.02, 0.03, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.5, 0.75, 1, 2, 5,
       10, 30});
  // 100 us steps up to 1 ms, where a proxied request's own cost lands.
  overhead_ = &declareSharded(
                   "slotgate_overhead_seconds",
                   "Time a request spent inside slotgate: from its arrival to its upstream send, "
                   "plus from each upstream read to the matching client write; waiting for a "
                   "slot excluded.",
                   {0.00001, 0.000025, 0.00005, 0.0001, 0.0002, 0.0003, 0.0004, 0.0005,
                    0.0006,  0.0007,   0.0008,  0.0009, 0.001,  0.0015, 0.002,  0.003,
                    0.005,   0.01,     0.025,   0.05,   0.1,    0.25,   1})
                   .add({});
  queue_wait_ =
      &declareSharded(
           "slotgate_queue_wait_seconds",
           "Time a request that had to wait for its concurrency slots waited (client "
           "queue and cluster-wide slots); requests served at once are not observed.",
           {0.0001, 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60})
           .add({});

  // Fixed label sets exist from the start so the series read 0 before the first request.
  for (const char* type : {"streaming", "non-streaming"}) {
    for (const char* status : {"success", "error"}) {
      request_total_->Add({{"type", type}, {"status", status}});
    }
  }
  for (std::string_view method : kAliasMethodLabels) {
    for (const char* hit : {"true", "false"}) {
      alias_resolution_->Add({{"method", std::string(method)}, {"cache_hit", hit}});
    }
    histogram(*alias_resolution_duration_, {{"method", std::string(method)}});
  }
  for (const char* result : {"success", "failure"}) {
    config_reloads_->Add({{"result", result}});
  }

  addCollectable(std::make_shared<ProcessCollector>());
}

Metrics::~Metrics() = default;

template <typename T>
Family<T>& Metrics::declare(std::string name, std::string help, MetricType type) {
  auto& family = prometheus::detail::Builder<T>().Name(name).Help(help).Register(registry_);
  prometheus::MetricFamily decl;
  decl.name = std::move(name);
  decl.help = std::move(help);
  decl.type = type;
  declared_.push_back(std::move(decl));
  declared_sharded_.push_back(nullptr);
  return family;
}

ShardedHistogramFamily& Metrics::declareSharded(std::string name, std::string help,
                                                std::vector<double> buckets) {
  auto family = std::make_unique<ShardedHistogramFamily>(name, help, std::move(buckets));
  prometheus::MetricFamily decl;
  decl.name = std::move(name);
  decl.help = std::move(help);
  decl.type = MetricType::Histogram;
  declared_.push_back(std::move(decl));
  declared_sharded_.push_back(family.get());
  sharded_.push_back(std::move(family));
  return *sharded_.back();
}

Family<Histogram>& Metrics::declareHistogram(std::string name, std::string help,
                                             Histogram::BucketBoundaries buckets) {
  auto& family = declare<Histogram>(std::move(name), std::move(help), MetricType::Histogram);
  buckets_.emplace_back(&family, std::move(buckets));
  return family;
}

const Histogram::BucketBoundaries& Metrics::bucketsOf(const Family<Histogram>& family) const {
  for (const auto& [f, buckets] : buckets_) {
    if (f == &family) {
      return buckets;
    }
  }
  // A family from elsewhere: prometheus-cpp needs some boundaries; none means one +Inf bucket.
  static const Histogram::BucketBoundaries kNone;
  return kNone;
}

Histogram& Metrics::histogram(Family<Histogram>& family, const prometheus::Labels& labels) {
  return family.Add(labels, bucketsOf(family));
}

void Metrics::addRefresher(std::function<void()> fn) {
  std::lock_guard<std::mutex> lock(mutex_);
  refreshers_.push_back(std::make_shared<std::function<void()>>(std::move(fn)));
}

void Metrics::addCollectable(std::shared_ptr<prometheus::Collectable> collectable) {
  std::lock_guard<std::mutex> lock(mutex_);
  collectables_.push_back(std::move(collectable));
}

std::vector<prometheus::MetricFamily> Metrics::collect() {
  decltype(refreshers_) refreshers;
  decltype(collectables_) collectables;
  {
    // Copies, so a refresher that registers another one cannot deadlock.
    std::lock_guard<std::mutex> lock(mutex_);
    refreshers = refreshers_;
    collectables = collectables_;
  }
  for (const auto& refresh : refreshers) {
    (*refresh)();
  }

  // prometheus-cpp 1.0.1 drops a family with no series from Collect(); SPEC families must
  // still show their HELP/TYPE, so fill the gaps from the declarations.
  std::vector<prometheus::MetricFamily> collected = registry_.Collect();
  std::unordered_map<std::string, size_t> by_name;
  for (size_t i = 0; i < collected.size(); ++i) {
    by_name.emplace(collected[i].name, i);
  }
  std::vector<bool> used(collected.size(), false);
  std::vector<prometheus::MetricFamily> out;
  out.reserve(declared_.size() + collected.size());
  for (size_t d = 0; d < declared_.size(); ++d) {
    const auto& decl = declared_[d];
    if (declared_sharded_[d] != nullptr) {
      out.push_back(declared_sharded_[d]->collect());
      continue;
    }
    auto it = by_name.find(decl.name);
    if (it == by_name.end()) {
      out.push_back(decl);
    } else {
      used[it->second] = true;
      out.push_back(std::move(collected[it->second]));
    }
  }
  for (size_t i = 0; i < collected.size(); ++i) {
    if (!used[i]) {
      out.push_back(std::move(collected[i]));
    }
  }
  for (const auto& collectable : collectables) {
    for (auto& family : collectable->Collect()) {
      out.push_back(std::move(family));
    }
  }
  return out;
}

std::string Metrics::serialize() { return prometheus::TextSerializer().Serialize(collect()); }

}  // namespace slotgate::metrics
