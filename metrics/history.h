// Per-10-second history (SPEC section 6, GET /metrics/history): request and
// error rate, p50/p99 latency, time to first token, gateway overhead and queue
// wait, slots in use, open circuits, process CPU and RSS, kept for 60 minutes
// (360 points).
//
// record() fills the current window (counts plus bounded reservoir samples
// of each latency, so p50/p99 cost O(1) memory whatever the load); sample()
// closes the window into a point. The admin thread calls sample() from a
// 10 s timer. Rates are per second over the real time since the previous
// sample.
//
// Thread-safety: every method may be called from any thread (one mutex,
// held briefly by record()). Its owner may lend it a mutex it shares with other state, so that
// one lock covers them all per request (recordLocked()).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "metrics/futex_mutex.h"
#include "metrics/process_collector.h"

namespace slotgate::metrics {

// What the lead's gauge callback reports at each sample.
struct GaugeSnapshot {
  uint64_t slots_in_use = 0;   // provider + client slots held now
  uint64_t open_circuits = 0;  // provider keys whose circuit is not closed
};

// The per-request figures of issue 14 (milliseconds; negative = not measured for this request).
struct RequestLatencies {
  double ttft_ms = -1;        // request start to the first content chunk (first byte otherwise)
  double overhead_ms = -1;    // time spent inside slotgate, queueing excluded
  double queue_wait_ms = -1;  // time spent waiting for a slot
};

struct HistoryPoint {
  std::chrono::system_clock::time_point ts;  // end of the window
  double request_rate = 0;                   // finished requests per second
  double error_rate = 0;                     // finished errors per second
  double p50_ms = 0;                         // 0 when the window had no request
  double p99_ms = 0;
  double ttft_p50_ms = 0;  // each 0 when no request of the window measured it
  double ttft_p99_ms = 0;
  double overhead_p50_ms = 0;
  double overhead_p99_ms = 0;
  double queue_wait_p50_ms = 0;
  double queue_wait_p99_ms = 0;
  uint64_t slots_in_use = 0;
  uint64_t open_circuits = 0;
  double cpu_percent = 0;  // of one core; 0 for the first point
  uint64_t rss_bytes = 0;
};

class History {
 public:
  static constexpr std::chrono::seconds kInterval{10};
  static constexpr size_t kCapacity = 360;  // 60 minutes
  static constexpr size_t kReservoir = 1024;
  static constexpr int kMaxMinutes = 60;

  // `mu` guards the history when given (it must outlive it), else a mutex of its own.
  explicit History(FutexMutex* mu = nullptr);
  History(const History&) = delete;
  History& operator=(const History&) = delete;

  // A request finished (any thread).
  void record(double duration_ms, bool error, const RequestLatencies& latencies = {}) {
    std::lock_guard lock(mu_);
    recordLocked(duration_ms, error, latencies);
  }
  // record() by a caller that holds the mutex given at construction.
  void recordLocked(double duration_ms, bool error, const RequestLatencies& latencies);

  // Closes the current window; `now_steady` measures its length.
  HistoryPoint sample(std::chrono::system_clock::time_point now_wall,
                      std::chrono::steady_clock::time_point now_steady, const GaugeSnapshot& gauges,
                      const ProcessStats& process);

  // Points with ts in (now - minutes, now], oldest first.
  [[nodiscard]] std::vector<HistoryPoint> last(int minutes,
                                               std::chrono::system_clock::time_point now) const;

  [[nodiscard]] static std::string json(const std::vector<HistoryPoint>& points);

  // Nearest-rank percentile (p in (0,1]) of `values` (reordered in place).
  [[nodiscard]] static double percentile(std::vector<double>& values, double p);

 private:
  // A uniform sample of at most kReservoir values of one window (Algorithm R). Its storage is
  // sized once and kept: a value offered is one store, and one more draw once it is full.
  struct Reservoir {
    std::vector<double> values = std::vector<double>(kReservoir);
    uint64_t seen = 0;  // values offered this window
    // `draw` is uniform over 64 bits; one draw serves every reservoir a request offers to
    // (each one's sample stays uniform: a reservoir uses a fresh draw per value it is offered).
    void offer(double value, uint64_t draw) {
      const uint64_t n = seen++;
      if (n < kReservoir) {
        values[n] = value;
        return;
      }
      // Algorithm R: the (n+1)-th value is kept with probability k/(n+1), over a uniform slot.
      const uint64_t slot = draw % (n + 1);
      if (slot < kReservoir) {
        values[slot] = value;
      }
    }
    std::vector<double> take();  // the sample; the reservoir starts the next window empty
  };

  FutexMutex own_mu_;
  FutexMutex& mu_;  // own_mu_ or the owner's
  uint64_t window_requests_ = 0;
  uint64_t window_errors_ = 0;
  Reservoir duration_;
  Reservoir ttft_;
  Reservoir overhead_;
  Reservoir queue_wait_;
  uint64_t rng_ = 0x9e3779b97f4a7c15ull;
  std::chrono::steady_clock::time_point window_start_;
  std::optional<double> last_cpu_seconds_;
  std::deque<HistoryPoint> points_;  // oldest first
};

}  // namespace slotgate::metrics
