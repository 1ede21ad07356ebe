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
  // The whole lines gathered, each ending in '\n'.
  [[nodiscard]] std::string_view pending() const { return {buffer_.data(), size_}; }

 private:
  friend class LogLine;
  friend void flushLogBatch(LogBatch& batch);  // asserts no line is open (debug builds)
  // The pending lines, then room: the buffer keeps its size when lines are taken out, so a
  // line's room costs no resize (no zero fill of the room) once the buffer has grown.
  std::string buffer_;
  size_t size_ = 0;  // pending() is the first size_ bytes of buffer_
  // A LogLine is being written in place past pending() (in the buffer's room, until it is
  // emitted or dropped); a second line meanwhile gets its own buffer.
  bool line_open_ = false;
};
// Installs (or with nullptr removes) the calling thread's batch.
void setThreadLogBatch(LogBatch* batch);
// Queues the batch's lines now, as one unit (they are written together).
void flushLogBatch(LogBatch& batch);

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

inline constexpr LogKey kAccessEvent = "access";

// The fields of LogLine::fields(): each knows the most bytes it can take (`room()`, its
// `,"key":` included) and writes itself there (`write(p)` returns the end).
namespace log_field {
inline char* writeKey(char* p, LogKey key) {
  const std::string_view text = key.text();
  *p++ = ',';
  *p++ = '"';
  std::memcpy(p, text.data(), text.size());
  p += text.size();
  *p++ = '"';
  *p++ = ':';
  return p;
}
inline constexpr size_t keyRoom(LogKey key) { return key.text().size() + 4; }
// `value` in milliseconds (LogLine::millis); at most kMillisRoom bytes.
inline constexpr size_t kMillisRoom = 28;  // sign, 20 digits, point, 6 decimals
char* writeMillis(char* p, std::chrono::nanoseconds value);
}  // namespace log_field

// A string, JSON-escaped.
struct LogStr {
  LogStr(LogKey k, std::string_view v) : key(k), value(v) {}
  [[nodiscard]] size_t room() const {
    return log_field::keyRoom(key) + conf::kJsonEscapeMaxGrowth * value.size() + 2;
  }
  char* write(char* p) const {
    p = log_field::writeKey(p, key);
    *p++ = '"';
    p = conf::writeJsonEscaped(p, value);
    *p++ = '"';
    return p;
  }
  LogKey key;
  std::string_view value;
};

// A string known when the program is compiled, which needs no escaping (one of a fixed set).
struct LogLiteral {
  LogLiteral(LogKey k, LogKey v) : key(k), value(v) {}
  [[nodiscard]] size_t room() const { return log_field::keyRoom(key) + value.text().size() + 2; }
  char* write(char* p) const {
    p = log_field::writeKey(p, key);
    *p++ = '"';
    std::memcpy(p, value.text().data(), value.text().size());
    p += value.text().size();
    *p++ = '"';
    return p;
  }
  LogKey key;
  LogKey value;
};

// An integer.
template <std::integral T>
requires(!std::same_as<T, bool>) struct LogNum {
  LogNum(LogKey k, T v) : key(k), value(v) {}
  static constexpr size_t kDigits = 20;  // 18446744073709551615, -9223372036854775808
  [[nodiscard]] size_t room() const { return log_field::keyRoom(key) + kDigits; }
  char* write(char* p) const {
    p = log_field::writeKey(p, key);
    return std::to_chars(p, p + kDigits, value).ptr;
  }
  LogKey key;
  T value;
};

struct LogBool {
  LogBool(LogKey k, bool v) : key(k), value(v) {}
  [[nodiscard]] size_t room() const { return log_field::keyRoom(key) + 5; }
  char* write(char* p) const {
    p = log_field::writeKey(p, key);
    if (value) {
      std::memcpy(p, "true", 4);
      return p + 4;
    }
    std::memcpy(p, "false", 5);
    return p + 5;
  }
  LogKey key;
  bool value;
};

// A duration in milliseconds (LogLine::millis).
struct LogMillis {
  LogMillis(LogKey k, std::chrono::nanoseconds v) : key(k), value(v) {}
  [[nodiscard]] size_t room() const { return log_field::keyRoom(key) + log_field::kMillisRoom; }
  char* write(char* p) const { return log_field::writeMillis(log_field::writeKey(p, key), value); }
  LogKey key;
  std::chrono::nanoseconds value;
};

// One log line, written as it is built: on a thread with a LogBatch straight at the end of
// the batch's pending lines (no buffer of its own, no copy), else into its own buffer. A call
// reserves the worst case of its fields once and writes them without further checks.
class LogLine {
 public:
  // `event` is checked when the program is compiled to need no escaping, like a field name.
  LogLine(LogLevel level, LogKey event);
  ~LogLine();
  LogLine(const LogLine&) = delete;
  LogLine& operator=(const LogLine&) = delete;

  // Several fields with one check for room (the access line writes 17 per request):
  //   line.fields(LogStr("method", method), LogNum("status", 200), LogBool("streaming", s));
  // Inline: where a line is written its keys are constants, each `,"key":` a fixed-size copy.
  template <typename... Field>
  LogLine& fields(const Field&... field) {
    if (enabled_) {
      char* p = room((field.room() + ...));
      ((p = field.write(p)), ...);
      finishField(p);
    }
    return *this;
  }

  LogLine& str(LogKey key, std::string_view value) { return fields(LogStr(key, value)); }
  template <std::integral T>
  requires(!std::same_as<T, bool>) LogLine& num(LogKey key, T value) {
    return fields(LogNum<T>(key, value));
  }
  LogLine& num(LogKey key, double value);  // NaN/Inf → null
  // A duration in milliseconds, exact to the nanosecond: the digits of the shortest form of the
  // double ns / 1e6 (`num`), written from integers (no floating-point formatting; issue 12),
  // never in exponent notation: 250, 1.5, 0.000123, 1000000.
  LogLine& millis(LogKey key, std::chrono::nanoseconds value) {
    return fields(LogMillis(key, value));
  }
  LogLine& boolean(LogKey key, bool value) { return fields(LogBool(key, value)); }
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
  void appendLiteral(LogKey key, std::string_view literal);
  void finishField(const char* end) { end_ = static_cast<size_t>(end - out_->data()); }
  // Ends the line in the batch at `keep` (emit: its end; dropped: its start).
  void closeInBatch(size_t keep);

  std::string own_;            // the line's buffer when it is not written in a batch
  std::string* out_ = &own_;   // own_ or the batch's buffer (its size is the room)
  LogBatch* batch_ = nullptr;  // the batch written in, if any
  size_t start_ = 0;           // where the line starts in *out_
  size_t end_ = 0;             // where it ends (*out_ is longer: room)
  bool enabled_;
  bool emitted_ = false;
};

}  // namespace slotgate::metrics
