#include "metrics/history.h"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "metrics/iso_time.h"

namespace slotgate::metrics {

History::History(FutexMutex* mu)
    : mu_(mu != nullptr ? *mu : own_mu_), window_start_(std::chrono::steady_clock::now()) {}

std::vector<double> History::Reservoir::take() {
  std::vector<double> out(
      values.begin(),
      values.begin() + static_cast<std::ptrdiff_t>(std::min<uint64_t>(seen, kReservoir)));
  seen = 0;
  return out;
}

void History::recordLocked(double duration_ms, bool error, const RequestLatencies& latencies) {
  ++window_requests_;
  window_errors_ += error ? 1 : 0;
  // Every request offers its duration, so no other reservoir has seen more values: while the
  // duration's is not full, none needs a draw.
  uint64_t draw = 0;
  if (duration_.seen >= kReservoir) {
    rng_ ^= rng_ << 13;
    rng_ ^= rng_ >> 7;
    rng_ ^= rng_ << 17;
    draw = rng_;
  }
  duration_.offer(duration_ms, draw);
  if (latencies.ttft_ms >= 0) {
    ttft_.offer(latencies.ttft_ms, draw);
  }
  if (latencies.overhead_ms >= 0) {
    overhead_.offer(latencies.overhead_ms, draw);
  }
  if (latencies.queue_wait_ms >= 0) {
    queue_wait_.offer(latencies.queue_wait_ms, draw);
  }
}

double History::percentile(std::vector<double>& values, double p) {
  if (values.empty()) {
    return 0;
  }
  const double rank = std::ceil(p * static_cast<double>(values.size()));
  const size_t index = std::min(values.size() - 1, static_cast<size_t>(std::max(rank, 1.0)) - 1);
  std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(index),
                   values.end());
  return values[index];
}

HistoryPoint History::sample(std::chrono::system_clock::time_point now_wall,
                             std::chrono::steady_clock::time_point now_steady,
                             const GaugeSnapshot& gauges, const ProcessStats& process) {
  std::vector<double> latencies;
  std::vector<double> ttft;
  std::vector<double> overhead;
  std::vector<double> queue_wait;
  uint64_t requests = 0;
  uint64_t errors = 0;
  std::chrono::steady_clock::time_point start;
  {
    std::lock_guard lock(mu_);
    latencies = duration_.take();
    ttft = ttft_.take();
    overhead = overhead_.take();
    queue_wait = queue_wait_.take();
    requests = window_requests_;
    errors = window_errors_;
    window_requests_ = 0;
    window_errors_ = 0;
    start = window_start_;
    window_start_ = now_steady;
  }
  const double seconds = std::max(1e-3, std::chrono::duration<double>(now_steady - start).count());

  HistoryPoint point;
  point.ts = now_wall;
  point.request_rate = static_cast<double>(requests) / seconds;
  point.error_rate = static_cast<double>(errors) / seconds;
  point.p50_ms = percentile(latencies, 0.50);
  point.p99_ms = percentile(latencies, 0.99);
  point.ttft_p50_ms = percentile(ttft, 0.50);
  point.ttft_p99_ms = percentile(ttft, 0.99);
  point.overhead_p50_ms = percentile(overhead, 0.50);
  point.overhead_p99_ms = percentile(overhead, 0.99);
  point.queue_wait_p50_ms = percentile(queue_wait, 0.50);
  point.queue_wait_p99_ms = percentile(queue_wait, 0.99);
  point.slots_in_use = gauges.slots_in_use;
  point.open_circuits = gauges.open_circuits;
  point.rss_bytes = process.rss_bytes;

  std::lock_guard lock(mu_);
  if (last_cpu_seconds_) {
    point.cpu_percent = std::max(0.0, (process.cpu_seconds - *last_cpu_seconds_) / seconds * 100);
  }
  last_cpu_seconds_ = process.cpu_seconds;
  points_.push_back(point);
  while (points_.size() > kCapacity) {
    points_.pop_front();
  }
  return point;
}

std::vector<HistoryPoint> History::last(int minutes,
                                        std::chrono::system_clock::time_point now) const {
  const auto from = now - std::chrono::minutes(minutes);
  std::lock_guard lock(mu_);
  std::vector<HistoryPoint> out;
  for (const HistoryPoint& p : points_) {
    if (p.ts > from && p.ts <= now) {
      out.push_back(p);
    }
  }
  return out;
}

std::string History::json(const std::vector<HistoryPoint>& points) {
  auto round3 = [](double v) { return std::round(v * 1000) / 1000; };
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (const HistoryPoint& p : points) {
    nlohmann::ordered_json j;
    j["ts"] = isoTimeUtcMs(p.ts);
    j["request_rate"] = round3(p.request_rate);
    j["error_rate"] = round3(p.error_rate);
    j["p50_ms"] = round3(p.p50_ms);
    j["p99_ms"] = round3(p.p99_ms);
    j["ttft_p50_ms"] = round3(p.ttft_p50_ms);
    j["ttft_p99_ms"] = round3(p.ttft_p99_ms);
    j["overhead_p50_ms"] = round3(p.overhead_p50_ms);
    j["overhead_p99_ms"] = round3(p.overhead_p99_ms);
    j["queue_wait_p50_ms"] = round3(p.queue_wait_p50_ms);
    j["queue_wait_p99_ms"] = round3(p.queue_wait_p99_ms);
    j["slots_in_use"] = p.slots_in_use;
    j["open_circuits"] = p.open_circuits;
    j["cpu_percent"] = round3(p.cpu_percent);
    j["rss_bytes"] = p.rss_bytes;
    out.push_back(std::move(j));
  }
  return out.dump();
}

}  // namespace slotgate::metrics
