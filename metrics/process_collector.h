// process_* metrics as the official Prometheus clients define them, read from
// /proc on every scrape (Linux only). Thread-safety: Collect() and
// readProcessStats() only read /proc and immutable members; safe from any thread.
#pragma once

#include <cstdint>
#include <vector>

#include "prometheus/collectable.h"
#include "prometheus/metric_family.h"

namespace slotgate::metrics {

struct ProcessStats {
  double cpu_seconds = 0;  // user + system
  uint64_t rss_bytes = 0;
  uint64_t virtual_bytes = 0;
  uint64_t open_fds = 0;
  uint64_t max_fds = 0;           // soft RLIMIT_NOFILE
  double start_time_seconds = 0;  // unix time the process started
  // glibc malloc (mallinfo2; 0 elsewhere): bytes handed out and not freed, and bytes the
  // allocator holds free (in its arenas, not returned to the system). RSS far above
  // heap_in_use is allocator retention, not a leak.
  uint64_t heap_in_use_bytes = 0;
  uint64_t heap_free_bytes = 0;
};

// Reads /proc/self/{stat,statm,fd}; fields it cannot read stay 0.
ProcessStats readProcessStats();

// process_cpu_seconds_total, process_resident_memory_bytes, process_virtual_memory_bytes,
// process_open_fds, process_max_fds, process_start_time_seconds; and slotgate's own
// slotgate_heap_in_use_bytes and slotgate_heap_free_bytes.
class ProcessCollector : public prometheus::Collectable {
 public:
  std::vector<prometheus::MetricFamily> Collect() const override;
};

}  // namespace slotgate::metrics
