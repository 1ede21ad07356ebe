#include "metrics/log.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cassert>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
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

constexpr size_t kTimestampBytes = 24;  // 2024-05-01T12:00:00.123Z

char* writeTimestamp(char* out) {
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
  std::memcpy(out, cached, cached_len);
  out += cached_len;
  const long ms = ts.tv_nsec / 1000000;
  *out++ = '.';
  *out++ = static_cast<char>('0' + ms / 100);
  *out++ = static_cast<char>('0' + ms / 10 % 10);
  *out++ = static_cast<char>('0' + ms % 10);
  *out++ = 'Z';
  return out;
}

char* put(char* out, std::string_view text) {
  std::memcpy(out, text.data(), text.size());
  return out + text.size();
}

thread_local LogBatch* t_batch = nullptr;
// Past this many bytes a batch is written at once, to bound its memory.
constexpr size_t kMaxBatchBytes = 64 << 10;
// A line's first room: the whole of an access line, so its fields find room without growing.
constexpr size_t kLineRoom = 512;

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

LogLine::LogLine(LogLevel level, LogKey event)
    : enabled_(static_cast<uint8_t>(level) >= g_level.load(std::memory_order_relaxed)) {
  if (!enabled_) {
    return;
  }
  if (LogBatch* batch = t_batch; batch != nullptr && !batch->line_open_) {
    batch_ = batch;
    batch_->line_open_ = true;
    out_ = &batch_->buffer_;
  }
  start_ = end_ = batch_ != nullptr ? batch_->size_ : 0;
  const std::string_view level_name = logLevelName(level);
  char* p = room(kLineRoom + kTimestampBytes + level_name.size() + event.text().size());
  p = put(p, "{\"ts\":\"");
  p = writeTimestamp(p);
  p = put(p, "\",\"level\":\"");
  p = put(p, level_name);
  p = put(p, "\",\"event\":\"");
  p = put(p, event.text());
  *p++ = '"';
  finishField(p);
}

LogLine::~LogLine() {
  if (enabled_ && !emitted_ && batch_ != nullptr) {
    closeInBatch(start_);  // never emitted: the line is dropped, as if never begun
  }
}

void LogLine::grow(size_t n) { out_->resize(end_ + std::max(n, kLineRoom)); }

void LogLine::closeInBatch(size_t keep) {
  batch_->size_ = keep;
  batch_->line_open_ = false;
}

void LogLine::appendLiteral(LogKey key, std::string_view literal) {
  char* p = room(log_field::keyRoom(key) + literal.size());
  finishField(put(log_field::writeKey(p, key), literal));
}

LogLine& LogLine::num(LogKey key, double value) {
  if (enabled_) {
    if (!std::isfinite(value)) {
      appendLiteral(key, "null");
    } else {
      constexpr size_t kDigits = 32;  // the shortest round-trip form is at most 24
      char* p = log_field::writeKey(room(log_field::keyRoom(key) + kDigits), key);
      finishField(std::to_chars(p, p + kDigits, value).ptr);
    }
  }
  return *this;
}

char* log_field::writeMillis(char* p, std::chrono::nanoseconds value) {
  int64_t ns = value.count();
  uint64_t magnitude = static_cast<uint64_t>(ns);
  if (ns < 0) {
    *p++ = '-';
    magnitude = ~magnitude + 1;  // INT64_MIN included
  }
  p = std::to_chars(p, p + kMillisRoom, magnitude / 1000000).ptr;
  if (uint64_t fraction = magnitude % 1000000; fraction != 0) {
    *p++ = '.';
    int width = 6;
    while (fraction % 10 == 0) {  // trailing zeros are not written
      fraction /= 10;
      --width;
    }
    for (int i = width - 1; i >= 0; --i) {
      p[i] = static_cast<char>('0' + fraction % 10);
      fraction /= 10;
    }
    p += width;
  }
  return p;
}

LogLine& LogLine::null(LogKey key) {
  if (enabled_) {
    appendLiteral(key, "null");
  }
  return *this;
}

std::string LogLine::text() const {
  return enabled_ && !emitted_ ? out_->substr(start_, end_ - start_) : own_.substr(0, end_);
}

void setThreadLogBatch(LogBatch* batch) { t_batch = batch; }

void flushLogBatch(LogBatch& batch) {
  assert(!batch.line_open_);  // a line being written is not whole yet
  if (batch.size_ != 0) {
    queue().push(batch.pending());
    batch.size_ = 0;
  }
}

void LogLine::emit() {
  if (!enabled_ || emitted_) {
    return;
  }
  emitted_ = true;
  char* p = room(2);
  *p++ = '}';
  *p++ = '\n';
  finishField(p);
  if (LogBatch* batch = batch_) {
    closeInBatch(end_);
    const bool first = start_ == 0;
    if (batch->size_ >= kMaxBatchBytes) {
      flushLogBatch(*batch);
    } else if (first) {
      batch->onFirstLine();
    }
    end_ = 0;  // text() has nothing left to show: the line is the batch's now
  } else {
    queue().push(std::string_view(own_.data(), end_));
    end_ -= 2;  // text() stays the line without its end
  }
}

}  // namespace slotgate::metrics
