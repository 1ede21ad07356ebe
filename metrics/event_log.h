// The last finished requests (SPEC section 6, GET /metrics/logs): a ring of
// the last `capacity` errors (every answer that was not a 2xx, with its
// error_type) and a ring of the last `capacity` requests of any outcome
// (traces). Oldest entries fall off; memory is bounded (the requested model
// name an entry keeps is capped at kLoggedModelMax).
//
// Thread-safety: add() and the readers may be called from any thread (one
// mutex, held for a deque push/pop or a copy).
#pragma once

#include <chrono>
#include <cstddef>
#include <deque>
#include <mutex>
#include <string>
#include <vector>

#include "metrics/token_usage.h"

namespace slotgate::metrics {

// The longest requested model name a log entry keeps (bytes; longer ones are cut).
inline constexpr size_t kLoggedModelMax = 256;

struct LogItem {
  std::string request_id;
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
  explicit EventLog(size_t capacity = kDefaultCapacity) : capacity_(capacity) {}

  void add(const LogItem& item);
  // Moves the item into the trace ring instead of copying its strings.
  void add(LogItem&& item);

  // Newest first.
  [[nodiscard]] std::vector<LogItem> errors() const;
  [[nodiscard]] std::vector<LogItem> traces() const;
  // {"errors":[...],"traces":[...]}, newest first.
  [[nodiscard]] std::string json() const;

 private:
  const size_t capacity_;
  mutable std::mutex mu_;
  std::deque<LogItem> errors_;  // oldest at front
  std::deque<LogItem> traces_;
};

}  // namespace slotgate::metrics
