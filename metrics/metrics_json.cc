// Metrics::serializeJson: the GET /metrics/json view. Admin path only, so nlohmann is fine.
#include <cmath>

#include "metrics/metrics.h"
#include "nlohmann/json.hpp"

namespace slotgate::metrics {

namespace {

const char* typeName(prometheus::MetricType type) {
  switch (type) {
    case prometheus::MetricType::Counter:
      return "counter";
    case prometheus::MetricType::Gauge:
      return "gauge";
    case prometheus::MetricType::Histogram:
      return "histogram";
    case prometheus::MetricType::Summary:
      return "summary";
    case prometheus::MetricType::Untyped:
      break;
  }
  return "untyped";
}

nlohmann::json metricJson(prometheus::MetricType type, const prometheus::ClientMetric& m) {
  nlohmann::json labels = nlohmann::json::object();
  for (const auto& label : m.label) {
    labels[label.name] = label.value;
  }
  nlohmann::json out = {{"labels", std::move(labels)}};
  switch (type) {
    case prometheus::MetricType::Counter:
      out["value"] = m.counter.value;
      break;
    case prometheus::MetricType::Gauge:
      out["value"] = m.gauge.value;
      break;
    case prometheus::MetricType::Histogram: {
      out["count"] = m.histogram.sample_count;
      out["sum"] = m.histogram.sample_sum;
      nlohmann::json buckets = nlohmann::json::array();
      for (const auto& b : m.histogram.bucket) {
        if (std::isfinite(b.upper_bound)) {
          buckets.push_back({{"le", b.upper_bound}, {"count", b.cumulative_count}});
        }
      }
      out["buckets"] = std::move(buckets);
      break;
    }
    case prometheus::MetricType::Summary: {
      out["count"] = m.summary.sample_count;
      out["sum"] = m.summary.sample_sum;
      nlohmann::json quantiles = nlohmann::json::array();
      for (const auto& q : m.summary.quantile) {
        quantiles.push_back({{"quantile", q.quantile}, {"value", q.value}});
      }
      out["quantiles"] = std::move(quantiles);
      break;
    }
    default:
      out["value"] = m.untyped.value;
      break;
  }
  return out;
}

}  // namespace

std::string Metrics::serializeJson() {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& family : collect()) {
    nlohmann::json metrics = nlohmann::json::array();
    for (const auto& m : family.metric) {
      metrics.push_back(metricJson(family.type, m));
    }
    out.push_back({{"name", family.name},
                   {"help", family.help},
                   {"type", typeName(family.type)},
                   {"metrics", std::move(metrics)}});
  }
  // NaN/Inf become null; invalid UTF-8 cannot occur (label values come from config).
  return out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace slotgate::metrics
