#include "metrics/log.h"

#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <ctime>

#include "metrics/log_queue.h"

namespace slotgate::metrics {

namespace {

std::atomic<uint8_t> g_level{static_cast<uint8_t>(LogLevel::kInfo)};

// Lines waiting for a slow log reader, at most: about 3,000 access lines, a few seconds of a
// busy gateway; past that, lines are dropped and counted rather than stalling a loop.
constexpr size_t kLogQueueBytes = 1 << 20;

// The process's queue, started on first use and never destroyed: its writer may still be
// waiting on a stalled reader while the process exits, and must not find it freed.
LogQueue& queue() {
  static LogQueue* const q = new LogQueue(2, kLogQueueBytes);
  return *q;
}

void appendTimestamp(std::string& out) {
  timespec ts{};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  // Formatting the date is most of a log line's cost; it changes once a second.
  thread_local time_t cached_sec = -1;
  thread_local char cached[32];
  thread_local size_t cached_len = 0;
  if (ts.tv_sec != cached_sec) {
    tm t{};
    ::gmtime_r(&ts.tv_sec, &t);
    cached_len = std::strftime(cached, sizeof(cached), "%Y-%m-%dT%H:%M:%S", &t);
    cached_sec = ts.tv_sec;
  }
  out.append(cached, cached_len);
  const long ms = ts.tv_nsec / 1000000;
  out.push_back('.');
  out.push_back(static_cast<char>('0' + ms / 100));
  out.push_back(static_cast<char>('0' + ms / 10 % 10));
  out.push_back(static_cast<char>('0' + ms % 10));
  out.push_back('Z');
}

}  // namespace

std::string_view logLevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return "debug";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarn:
      return "warn";
    case LogLevel::kError:
      return "error";
  }
  return "info";
}

void setLogLevel(LogLevel level) {
  g_level.store(static_cast<uint8_t>(level), std::memory_order_relaxed);
}

LogLevel logLevel() { return static_cast<LogLevel>(g_level.load(std::memory_order_relaxed)); }

int setLogFd(int fd) { return queue().setFd(fd); }

bool flushLog(std::chrono::milliseconds bound) { return queue().flush(bound); }

uint64_t logLinesDropped() { return queue().droppedLines(); }

LogLine::LogLine(LogLevel level, std::string_view event)
    : enabled_(static_cast<uint8_t>(level) >= g_level.load(std::memory_order_relaxed)) {
  if (!enabled_) {
    return;
  }
  buf_.reserve(384);
  buf_.append("{\"ts\":\"");
  appendTimestamp(buf_);
  buf_.append("\",\"level\":\"");
  buf_.append(logLevelName(level));
  buf_.append("\",\"event\":\"");
  appendJsonEscaped(buf_, event);
  buf_.push_back('"');
}

void LogLine::appendKey(std::string_view key) {
  buf_.append(",\"");
  appendJsonEscaped(buf_, key);
  buf_.append("\":");
}

void LogLine::appendInteger(int64_t v) {
  char tmp[24];
  auto r = std::to_chars(tmp, tmp + sizeof(tmp), v);
  buf_.append(tmp, r.ptr);
}

void LogLine::appendInteger(uint64_t v) {
  char tmp[24];
  auto r = std::to_chars(tmp, tmp + sizeof(tmp), v);
  buf_.append(tmp, r.ptr);
}

LogLine& LogLine::str(std::string_view key, std::string_view value) {
  if (enabled_) {
    appendKey(key);
    buf_.push_back('"');
    appendJsonEscaped(buf_, value);
    buf_.push_back('"');
  }
  return *this;
}

LogLine& LogLine::num(std::string_view key, double value) {
  if (enabled_) {
    appendKey(key);
    if (!std::isfinite(value)) {
      buf_.append("null");
    } else {
      char tmp[32];
      auto r = std::to_chars(tmp, tmp + sizeof(tmp), value);
      buf_.append(tmp, r.ptr);
    }
  }
  return *this;
}

LogLine& LogLine::boolean(std::string_view key, bool value) {
  if (enabled_) {
    appendKey(key);
    buf_.append(value ? "true" : "false");
  }
  return *this;
}

LogLine& LogLine::null(std::string_view key) {
  if (enabled_) {
    appendKey(key);
    buf_.append("null");
  }
  return *this;
}

namespace {

thread_local LogBatch* t_batch = nullptr;
// Past this many bytes a batch is written at once, to bound its memory.
constexpr size_t kMaxBatchBytes = 64 << 10;

}  // namespace

void setThreadLogBatch(LogBatch* batch) { t_batch = batch; }

void flushLogBatch(LogBatch& batch) {
  if (!batch.pending.empty()) {
    queue().push(batch.pending);
    batch.pending.clear();
  }
}

void LogLine::emit() {
  if (!enabled_ || emitted_) {
    return;
  }
  emitted_ = true;
  buf_.append("}\n");
  if (LogBatch* batch = t_batch) {
    const bool first = batch->pending.empty();
    batch->pending.append(buf_);
    if (batch->pending.size() >= kMaxBatchBytes) {
      flushLogBatch(*batch);
    } else if (first) {
      batch->onFirstLine();
    }
  } else {
    queue().push(buf_);
  }
  buf_.resize(buf_.size() - 2);  // text() stays the line without its end
}

}  // namespace slotgate::metrics
