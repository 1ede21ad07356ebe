// The last finished requests (SPEC section 6, GET /metrics/logs): a ring of
// the last `capacity` errors (every answer that was not a 2xx, with its
// error_type) and a ring of the last `capacity` requests of any outcome
// (traces). Oldest entries fall off; memory is bounded (the requested model
// name an entry keeps is capped at kLoggedModelMax).
//
// Each ring is a vector of `capacity` items written over in turn: a new entry is assigned into
// the oldest one's storage, so once the rings are full an entry costs no allocation (its
// strings reuse the capacity of the ones they replace; issue 12).
//
// Thread-safety: add()/record() and the readers may be called from any thread (one
// mutex, held for an entry's assignment or a copy). Its owner may lend it a mutex it shares
// with other state, so that one lock covers them all per request (recordLocked()).
#pragma once

#include <chrono>
#include <cstddef>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "metrics/futex_mutex.h"
#include "metrics/request_id.h"
#include "metrics/token_usage.h"

namespace slotgate::metrics {

// The longest requested model name a log entry keeps (bytes; longer ones are cut).
inline constexpr size_t kLoggedModelMax = 256;

struct LogItem {
  RequestId request_id;
  std::string client;
  std::string model;     // as requested
  std::string provider;  // "" when no provider was reached
  std::string provider_model;
  std::string key_id;
  bool streaming = false;
  bool error = false;
  int status = 0;
  std::string error_type;
  double duration_ms = 0;
  TokenUsage tokens;
  std::chrono::system_clock::time_point finished_at;
};

class EventLog {
 public:
  static constexpr size_t kDefaultCapacity = 200;
  // `mu` guards the log when given (it must outlive it), else a mutex of its own.
  explicit EventLog(size_t capacity = kDefaultCapacity, FutexMutex* mu = nullptr);
  EventLog(const EventLog&) = delete;
  EventLog& operator=(const EventLog&) = delete;

  void add(const LogItem& item);

  // Adds an entry written in place: `fill(LogItem&)` is given the storage of the trace ring's
  // oldest entry (or a new one) and must assign every field. Called under the log's mutex.
  template <typename Fill>
  void record(Fill&& fill) {
    std::lock_guard lock(mu_);
    recordLocked(std::forward<Fill>(fill));
  }
  // record() by a caller that holds the mutex given at construction.
  template <typename Fill>
  void recordLocked(Fill&& fill) {
    if (capacity_ == 0) {
      return;
    }
    LogItem& trace = traces_.next(capacity_);
    fill(trace);
    if (isError(trace)) {
      errors_.next(capacity_) = trace;
    }
  }

  // Newest first.
  [[nodiscard]] std::vector<LogItem> errors() const;
  [[nodiscard]] std::vector<LogItem> traces() const;
  // {"errors":[...],"traces":[...]}, newest first.
  [[nodiscard]] std::string json() const;

 private:
  // The last `capacity` items, written over oldest first.
  struct Ring {
    std::vector<LogItem> items;  // grows to capacity, then stays
    size_t oldest = 0;           // once full: the next item to write over
    // The storage of the next item: a new one until the ring is full, then the oldest.
    LogItem& next(size_t capacity);
    [[nodiscard]] std::vector<LogItem> newestFirst() const;
  };

  // The error ring holds every answer that was not a 2xx, whatever its cause: slotgate's own
  // refusals (401, 404 model_not_found, 429, ...), upstream errors and clients that left.
  static bool isError(const LogItem& item) { return item.error || item.status >= 300; }

  const size_t capacity_;
  FutexMutex own_mu_;
  FutexMutex& mu_;  // own_mu_ or the owner's
  Ring errors_;
  Ring traces_;
};

}  // namespace slotgate::metrics
