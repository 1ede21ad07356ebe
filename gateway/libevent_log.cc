#include "gateway/libevent_log.h"

#include <event2/event.h>

#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "metrics/log.h"

namespace slotgate::gateway {
namespace {

struct Filed {
  int severity;
  std::string message;
};

struct Mailbox {
  std::mutex mu;
  std::vector<Filed> lines;
  uint64_t suppressed = 0;
};

Mailbox& mailbox() {
  static Mailbox instance;
  return instance;
}

metrics::LogLevel levelOf(int severity) {
  switch (severity) {
    case EVENT_LOG_DEBUG:
      return metrics::LogLevel::kDebug;
    case EVENT_LOG_MSG:
      return metrics::LogLevel::kInfo;
    case EVENT_LOG_WARN:
      return metrics::LogLevel::kWarn;
    default:
      return metrics::LogLevel::kError;
  }
}

void onLibeventLog(int severity, const char* message) {
  if (levelOf(severity) < metrics::logLevel()) {
    return;
  }
  Mailbox& box = mailbox();
  std::lock_guard<std::mutex> lock(box.mu);
  if (box.lines.size() >= kLibeventLinesPerFlush) {
    ++box.suppressed;
    return;
  }
  box.lines.push_back({severity, message != nullptr ? message : ""});
}

}  // namespace

void routeLibeventLogs() { event_set_log_callback(&onLibeventLog); }

size_t flushLibeventLogs() {
  std::vector<Filed> lines;
  uint64_t suppressed = 0;
  {
    Mailbox& box = mailbox();
    std::lock_guard<std::mutex> lock(box.mu);
    lines.swap(box.lines);
    suppressed = box.suppressed;
    box.suppressed = 0;
  }
  for (size_t i = 0; i < lines.size(); ++i) {
    metrics::LogLine line(levelOf(lines[i].severity), "libevent");
    line.str("message", lines[i].message);
    if (i + 1 == lines.size() && suppressed > 0) {
      line.num("suppressed", suppressed);
    }
    line.emit();
  }
  return lines.size();
}

}  // namespace slotgate::gateway
