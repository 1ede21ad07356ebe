// Counters the tests read through GET /mock/stats, plus the fail-next plan.
//
// Thread-safety: every method may be called from any worker thread. Counters are atomics;
// the last request is kept in one slot per worker (each with its own mutex, so recording
// never contends across workers and reuses its string capacity: no allocation once warm);
// the reader picks the slot with the highest sequence number.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tests/mock_provider/api.h"

namespace slotgate::mock {

struct RecordedRequest {
  uint64_t seq = 0;  // 0 = empty
  std::string method;
  std::string path;
  std::vector<std::pair<std::string, std::string>> headers;  // names lowercased
  size_t headerCount = 0;  // headers[0, headerCount) are valid; the rest keep capacity
  std::string body;
};

class LastRequestSlot {
 public:
  // Fills the slot under its lock; `fill` receives the RecordedRequest to overwrite.
  template <typename Fill>
  void record(uint64_t seq, Fill&& fill) {
    std::lock_guard lock(mu_);
    request_.seq = seq;
    fill(request_);
  }
  void clear();
  // Copies the slot out (seq 0 if empty).
  [[nodiscard]] RecordedRequest snapshot() const;

 private:
  mutable std::mutex mu_;
  RecordedRequest request_;
};

class Stats {
 public:
  explicit Stats(size_t workers);

  // A model request was accepted: counts it and raises inflight.
  void begin(ApiPath path);
  // A model request ended: completed (cancelled = false) or its client went away.
  void end(bool cancelled);

  [[nodiscard]] uint64_t nextSeq() { return seq_.fetch_add(1, std::memory_order_relaxed) + 1; }
  [[nodiscard]] LastRequestSlot& slot(size_t worker) { return *slots_[worker]; }

  // The next `count` model requests fail with `mode`.
  void setFailNext(FailMode mode, int64_t count);
  // kNone unless a fail-next plan is active; consumes one of its count.
  [[nodiscard]] FailMode takeFailNext();

  // Clears counters, the last request and fail-next; max_inflight restarts at inflight.
  void reset();

  [[nodiscard]] std::string toJson() const;

 private:
  std::atomic<uint64_t> requests_{0};
  std::atomic<int64_t> inflight_{0};
  std::atomic<int64_t> maxInflight_{0};
  std::atomic<uint64_t> cancelled_{0};
  std::atomic<uint64_t> completed_{0};
  std::array<std::atomic<uint64_t>, static_cast<size_t>(ApiPath::kCount)> byPath_{};
  std::atomic<uint64_t> seq_{0};
  std::vector<std::unique_ptr<LastRequestSlot>> slots_;

  // Checked without the lock on every request; the lock only guards mode + count changes.
  std::atomic<int64_t> failNextRemaining_{0};
  mutable std::mutex failMu_;
  FailMode failNextMode_ = FailMode::kNone;
};

}  // namespace slotgate::mock
