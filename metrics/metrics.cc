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
using prometheus::MetricType;

// A histogram entry's bucket list, "(0.1, 0.5)", as the elements of a braced list.
#define SLOTGATE_METRIC_EXPAND(...) __VA_ARGS__

Metrics::Metrics() {
  size_t index = 0;
#define SLOTGATE_METRIC_DECLARE(accessor, kind, name, labels, buckets, help) \
  accessor##_ = &declare##kind(kMetricFamilies[index++],                     \
                               std::vector<double>{SLOTGATE_METRIC_EXPAND buckets});
  SLOTGATE_METRIC_FAMILIES(SLOTGATE_METRIC_DECLARE)
#undef SLOTGATE_METRIC_DECLARE

  // Fixed reasons and actions read 0 before their first event.
  for (const char* reason : {"max_connections", "descriptors", "memory", "accept_error"}) {
    connectionsRefused_->Add({{"reason", reason}});
  }
  for (const char* action : {"local", "reject"}) {
    clusterFallbacks_->Add({{"on_unavailable", action}});
  }
  // The logger counts drops itself (it must not depend on a Metrics object); scrapes catch up.
  addRefresher([counter = logLinesDropped_] {
    const double dropped = static_cast<double>(metrics::logLinesDropped());
    if (dropped > counter->Value()) {
      counter->Increment(dropped - counter->Value());
    }
  });

  // Fixed label sets exist from the start so the series read 0 before the first request.
  for (const char* type : {"streaming", "non-streaming"}) {
    for (const char* status : {"success", "error"}) {
      requestTotal_->Add({{"type", type}, {"status", status}});
    }
  }
  for (std::string_view method : kAliasMethodLabels) {
    for (const char* hit : {"true", "false"}) {
      aliasResolution_->Add({{"method", std::string(method)}, {"cache_hit", hit}});
    }
    aliasResolutionDuration_->add({{"method", std::string(method)}});
  }
  for (const char* result : {"success", "failure"}) {
    configReloads_->Add({{"result", result}});
  }

  addCollectable(std::make_shared<ProcessCollector>());
}

Metrics::~Metrics() = default;

template <typename T>
Family<T>& Metrics::declare(const MetricFamilySpec& spec, MetricType type) {
  auto& family = prometheus::detail::Builder<T>()
                     .Name(std::string(spec.name))
                     .Help(std::string(spec.help))
                     .Register(registry_);
  prometheus::MetricFamily decl;
  decl.name = spec.name;
  decl.help = spec.help;
  decl.type = type;
  declared_.push_back(std::move(decl));
  declared_sharded_.push_back(nullptr);
  return family;
}

Family<Counter>& Metrics::declareCounter(const MetricFamilySpec& spec,
                                         std::vector<double> /*buckets*/) {
  return declare<Counter>(spec, MetricType::Counter);
}

Family<Gauge>& Metrics::declareGauge(const MetricFamilySpec& spec,
                                     std::vector<double> /*buckets*/) {
  return declare<Gauge>(spec, MetricType::Gauge);
}

ShardedHistogramFamily& Metrics::declareShardedHistogram(const MetricFamilySpec& spec,
                                                         std::vector<double> buckets) {
  auto family = std::make_unique<ShardedHistogramFamily>(
      std::string(spec.name), std::string(spec.help), std::move(buckets));
  prometheus::MetricFamily decl;
  decl.name = spec.name;
  decl.help = spec.help;
  decl.type = MetricType::Histogram;
  declared_.push_back(std::move(decl));
  declared_sharded_.push_back(family.get());
  sharded_.push_back(std::move(family));
  return *sharded_.back();
}

Counter& Metrics::declareSingleCounter(const MetricFamilySpec& spec, std::vector<double> buckets) {
  return declareCounter(spec, std::move(buckets)).Add({});
}

Gauge& Metrics::declareSingleGauge(const MetricFamilySpec& spec, std::vector<double> buckets) {
  return declareGauge(spec, std::move(buckets)).Add({});
}

ShardedHistogram& Metrics::declareSingleShardedHistogram(const MetricFamilySpec& spec,
                                                         std::vector<double> buckets) {
  return declareShardedHistogram(spec, std::move(buckets)).add({});
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
