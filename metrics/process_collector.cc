#include "metrics/process_collector.h"

#include <dirent.h>
#include <fcntl.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif
#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

namespace slotgate::metrics {

namespace {

// Whole small /proc file; empty on failure. /proc files report size 0, so read until EOF.
std::string readFile(const char* path) {
  std::string out;
  int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return out;
  }
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n > 0) {
      out.append(buf, static_cast<size_t>(n));
    } else if (n == 0 || errno != EINTR) {
      break;
    }
  }
  ::close(fd);
  return out;
}

// Fields of /proc/self/stat after the command name (which may hold spaces and ')').
// Index 0 is field 3 (state) of proc(5).
std::vector<std::string_view> statFields(const std::string& stat) {
  std::vector<std::string_view> fields;
  size_t close = stat.rfind(')');
  if (close == std::string::npos) {
    return fields;
  }
  std::string_view rest(stat);
  rest.remove_prefix(close + 1);
  size_t i = 0;
  while (i < rest.size()) {
    while (i < rest.size() && (rest[i] == ' ' || rest[i] == '\n')) {
      ++i;
    }
    size_t start = i;
    while (i < rest.size() && rest[i] != ' ' && rest[i] != '\n') {
      ++i;
    }
    if (i > start) {
      fields.push_back(rest.substr(start, i - start));
    }
  }
  return fields;
}

uint64_t toU64(std::string_view s) {
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') {
      break;
    }
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  return v;
}

// proc(5) field numbers, minus 3 for statFields().
constexpr size_t kUtime = 14 - 3;
constexpr size_t kStime = 15 - 3;
constexpr size_t kStartTime = 22 - 3;
constexpr size_t kVsize = 23 - 3;

uint64_t bootTimeSeconds() {
  std::string stat = readFile("/proc/stat");
  size_t pos = stat.find("\nbtime ");
  if (pos == std::string::npos) {
    return 0;
  }
  return toU64(std::string_view(stat).substr(pos + 7));
}

uint64_t countOpenFds() {
  DIR* dir = ::opendir("/proc/self/fd");
  if (dir == nullptr) {
    return 0;
  }
  uint64_t n = 0;
  while (const dirent* e = ::readdir(dir)) {
    if (e->d_name[0] != '.') {
      ++n;
    }
  }
  ::closedir(dir);
  return n > 0 ? n - 1 : 0;  // minus the descriptor opendir itself holds
}

prometheus::MetricFamily single(const char* name, const char* help, prometheus::MetricType type,
                                double value) {
  prometheus::MetricFamily f;
  f.name = name;
  f.help = help;
  f.type = type;
  prometheus::ClientMetric m;
  if (type == prometheus::MetricType::Counter) {
    m.counter.value = value;
  } else {
    m.gauge.value = value;
  }
  f.metric.push_back(std::move(m));
  return f;
}

}  // namespace

ProcessStats readProcessStats() {
  ProcessStats s;
  const double ticks = static_cast<double>(::sysconf(_SC_CLK_TCK));
  std::string stat = readFile("/proc/self/stat");
  auto fields = statFields(stat);
  if (fields.size() > kVsize && ticks > 0) {
    s.cpu_seconds = static_cast<double>(toU64(fields[kUtime]) + toU64(fields[kStime])) / ticks;
    s.virtual_bytes = toU64(fields[kVsize]);
    // The boot time and our start offset never change: read them once.
    static const double start = static_cast<double>(bootTimeSeconds()) +
                                static_cast<double>(toU64(fields[kStartTime])) / ticks;
    s.start_time_seconds = start;
  }
  std::string statm = readFile("/proc/self/statm");
  size_t space = statm.find(' ');
  if (space != std::string::npos) {
    s.rss_bytes = toU64(std::string_view(statm).substr(space + 1)) *
                  static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
  }
  s.open_fds = countOpenFds();
#if defined(__GLIBC__)
  // Walks every arena under its lock: a scrape's cost, not a request's.
  const struct mallinfo2 heap = mallinfo2();
  s.heap_in_use_bytes = heap.uordblks + heap.hblkhd;  // arena chunks in use + mmapped blocks
  s.heap_free_bytes = heap.fordblks;
#endif
  rlimit lim{};
  if (::getrlimit(RLIMIT_NOFILE, &lim) == 0) {
    s.max_fds = static_cast<uint64_t>(lim.rlim_cur);
  }
  return s;
}

std::vector<prometheus::MetricFamily> ProcessCollector::Collect() const {
  using prometheus::MetricType;
  ProcessStats s = readProcessStats();
  std::vector<prometheus::MetricFamily> out;
  out.push_back(single("process_cpu_seconds_total",
                       "Total user and system CPU time spent in seconds.", MetricType::Counter,
                       s.cpu_seconds));
  out.push_back(single("process_resident_memory_bytes", "Resident memory size in bytes.",
                       MetricType::Gauge, static_cast<double>(s.rss_bytes)));
  out.push_back(single("process_virtual_memory_bytes", "Virtual memory size in bytes.",
                       MetricType::Gauge, static_cast<double>(s.virtual_bytes)));
  out.push_back(single("process_open_fds", "Number of open file descriptors.", MetricType::Gauge,
                       static_cast<double>(s.open_fds)));
  out.push_back(single("process_max_fds", "Maximum number of open file descriptors.",
                       MetricType::Gauge, static_cast<double>(s.max_fds)));
  out.push_back(single("process_start_time_seconds",
                       "Start time of the process since unix epoch in seconds.", MetricType::Gauge,
                       s.start_time_seconds));
  out.push_back(single("slotgate_heap_in_use_bytes",
                       "Bytes allocated with malloc and not freed (glibc mallinfo2).",
                       MetricType::Gauge, static_cast<double>(s.heap_in_use_bytes)));
  out.push_back(single("slotgate_heap_free_bytes",
                       "Free bytes malloc holds without returning them to the system.",
                       MetricType::Gauge, static_cast<double>(s.heap_free_bytes)));
  return out;
}

}  // namespace slotgate::metrics
