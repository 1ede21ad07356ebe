// The process logger: one JSON object per line on stderr (SPEC section 1).
//
//   LogLine(LogLevel::kInfo, "access").str("request_id", id).num("status", 200).emit();
//   →
//   {"ts":"2024-05-01T12:00:00.123Z","level":"info","event":"access","request_id":"..","status":200}
//
// Secrets never pass through here by design: callers pass config ids (client id,
// key_id, provider name), never key values, tokens or auth headers. The logger
// cannot tell a secret from any other string, so this is the callers' contract.
//
// Lines never block the thread that emits them: they go to a bounded in-memory
// queue (metrics/log_queue.h) that a writer thread drains to the fd; when a
// stalled reader lets it fill up, new lines are dropped and counted
// (logLinesDropped(), exported as slotgate_log_lines_dropped_total).
//
// Thread-safety: a LogLine belongs to one thread; emit() from any number of
// threads is safe and lines never interleave. setLogFd/setLogLevel/flushLog
// may be called from any thread.
#pragma once

#include <chrono>
#include <concepts>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>

#include "conf/json_escape.h"

namespace slotgate::metrics {

enum class LogLevel : uint8_t { kDebug, kInfo, kWarn, kError };

std::string_view logLevelName(LogLevel level);  // "debug" "info" "warn" "error"

// Lines below `level` are dropped without being formatted. Default kInfo.
void setLogLevel(LogLevel level);
[[nodiscard]] LogLevel logLevel();

// Where lines go; default 2 (stderr). Returns the previous fd. Lines emitted before the
// call are first flushed to the previous fd (waiting up to a second). The caller keeps the fd
// open while it is installed (tests: a pipe or a temp file).
int setLogFd(int fd);

// Waits until every line emitted before the call has been written, for at most `bound`
// (shutdown, tests). Returns whether they all went out.
bool flushLog(std::chrono::milliseconds bound);

// Lines dropped because the queue was full or the fd failed, since the start.
[[nodiscard]] uint64_t logLinesDropped();

// Lines a thread emits while it has a LogBatch are gathered and written
// together (one write(2) for many lines) when the batch is flushed: an event
// loop flushes at the end of each loop turn. The owner is told of the first
// line so it can schedule that flush. A batch belongs to one thread.
class LogBatch {
 public:
  virtual ~LogBatch() = default;
  virtual void onFirstLine() = 0;
  std::string pending;  // whole lines, each ending in '\n'
};
// Installs (or with nullptr removes) the calling thread's batch.
void setThreadLogBatch(LogBatch* batch);
// Queues the batch's lines now, as one unit (they are written together).
void flushLogBatch(LogBatch& batch);

inline constexpr std::string_view kAccessEvent = "access";

// The log writes its strings with conf's JSON escaping (conf/json_escape.h).
using conf::appendJsonEscaped;

class LogLine {
 public:
  LogLine(LogLevel level, std::string_view event);
  LogLine(const LogLine&) = delete;
  LogLine& operator=(const LogLine&) = delete;

  LogLine& str(std::string_view key, std::string_view value);
  template <std::integral T>
  requires(!std::same_as<T, bool>) LogLine& num(std::string_view key, T value) {
    if (enabled_) {
      appendKey(key);
      appendInteger(static_cast<std::conditional_t<std::is_signed_v<T>, int64_t, uint64_t>>(value));
    }
    return *this;
  }
  LogLine& num(std::string_view key, double value);  // NaN/Inf → null
  LogLine& boolean(std::string_view key, bool value);
  LogLine& null(std::string_view key);

  // Writes the line (adds the closing brace and newline). Only the first call writes.
  void emit();

  [[nodiscard]] bool enabled() const { return enabled_; }
  // The line so far, without the closing brace (for tests).
  [[nodiscard]] const std::string& text() const { return buf_; }

 private:
  void appendKey(std::string_view key);
  void appendInteger(int64_t v);
  void appendInteger(uint64_t v);

  std::string buf_;
  bool enabled_;
  bool emitted_ = false;
};

}  // namespace slotgate::metrics
