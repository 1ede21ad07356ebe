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

#include <charconv>
#include <chrono>
#include <concepts>
#include <cstdint>
#include <cstring>
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

 private:
  friend class LogLine;
  friend void flushLogBatch(LogBatch& batch);  // asserts no line is open (debug builds)
  // A LogLine is being written in place at pending's end (pending holds its room past the
  // whole lines until it is emitted or dropped); a second line meanwhile gets its own buffer.
  bool line_open_ = false;
};
// Installs (or with nullptr removes) the calling thread's batch.
void setThreadLogBatch(LogBatch* batch);
// Queues the batch's lines now, as one unit (they are written together).
void flushLogBatch(LogBatch& batch);

inline constexpr std::string_view kAccessEvent = "access";

// The log writes its strings with conf's JSON escaping (conf/json_escape.h).
using conf::appendJsonEscaped;

// A field name of a log line: a string literal, checked when the program is compiled to need no
// JSON escaping (printable ASCII without '"' or '\\'), so lines copy it as it is.
class LogKey {
 public:
  template <size_t N>
  consteval LogKey(const char (&key)[N]) : key_(key, N - 1) {  // NOLINT: implicit by design
    for (size_t i = 0; i + 1 < N; ++i) {
      const auto c = static_cast<unsigned char>(key[i]);
      if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\') {
        logKeyNeedsEscaping();  // not constexpr: a key like this does not compile
      }
    }
  }
  [[nodiscard]] constexpr std::string_view text() const { return key_; }

 private:
  static void logKeyNeedsEscaping();
  std::string_view key_;
};

// One log line, written as it is built: on a thread with a LogBatch straight at the end of
// the batch's pending lines (no buffer of its own, no copy), else into its own buffer. Each
// field reserves its worst case once and is then written without further checks.
class LogLine {
 public:
  LogLine(LogLevel level, std::string_view event);
  ~LogLine();
  LogLine(const LogLine&) = delete;
  LogLine& operator=(const LogLine&) = delete;

  // str, num (integers) and boolean are inline: where a line is written, the key is a constant
  // and its `,"key":` a fixed-size copy (the access line writes 18 of them per request).
  LogLine& str(LogKey key, std::string_view value) {
    if (enabled_) {
      char* p = field(key, conf::kJsonEscapeMaxGrowth * value.size() + 2);
      *p++ = '"';
      p = conf::writeJsonEscaped(p, value);
      *p++ = '"';
      finishField(p);
    }
    return *this;
  }
  template <std::integral T>
  requires(!std::same_as<T, bool>) LogLine& num(LogKey key, T value) {
    if (enabled_) {
      constexpr size_t kDigits = 20;  // 18446744073709551615, -9223372036854775808
      char* p = field(key, kDigits);
      finishField(std::to_chars(p, p + kDigits, value).ptr);
    }
    return *this;
  }
  LogLine& num(LogKey key, double value);  // NaN/Inf → null
  // A duration in milliseconds, exact to the nanosecond: the digits of the shortest form of the
  // double ns / 1e6 (`num`), written from integers (no floating-point formatting; issue 12),
  // never in exponent notation: 250, 1.5, 0.000123, 1000000.
  LogLine& millis(LogKey key, std::chrono::nanoseconds value);
  LogLine& boolean(LogKey key, bool value) {
    if (enabled_) {
      char* p = field(key, 5);
      if (value) {
        std::memcpy(p, "true", 4);
        p += 4;
      } else {
        std::memcpy(p, "false", 5);
        p += 5;
      }
      finishField(p);
    }
    return *this;
  }
  LogLine& null(LogKey key);

  // Writes the line (adds the closing brace and newline). Only the first call writes.
  void emit();

  [[nodiscard]] bool enabled() const { return enabled_; }
  // The line so far, without the closing brace (for tests).
  [[nodiscard]] std::string text() const;

 private:
  // Room for `n` more bytes at the line's end; returns where they go.
  char* room(size_t n) {
    if (out_->size() - end_ < n) {
      grow(n);
    }
    return out_->data() + end_;
  }
  void grow(size_t n);
  // Room for `,"key":` and `value_room` bytes, the key written: returns where the value goes.
  char* field(LogKey key, size_t value_room) {
    const std::string_view text = key.text();
    char* p = room(text.size() + 4 + value_room);
    *p++ = ',';
    *p++ = '"';
    std::memcpy(p, text.data(), text.size());
    p += text.size();
    *p++ = '"';
    *p++ = ':';
    return p;
  }
  void appendLiteral(LogKey key, std::string_view literal);
  void finishField(const char* end) { end_ = static_cast<size_t>(end - out_->data()); }
  // Gives back the room past the line's end (emit) or the whole line (dropped).
  void close(size_t keep);

  std::string own_;            // the line's buffer when it is not written in a batch
  std::string* out_ = &own_;   // own_ or the batch's pending
  LogBatch* batch_ = nullptr;  // the batch written in, if any
  size_t start_ = 0;           // where the line starts in *out_
  size_t end_ = 0;             // where it ends (*out_ may be longer: reserved room)
  bool enabled_;
  bool emitted_ = false;
};

}  // namespace slotgate::metrics
