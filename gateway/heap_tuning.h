// glibc malloc thresholds pinned at start, so that memory a burst of large buffers used goes
// back to the system once they are freed (README "Memory after load").
//
// By default glibc adapts its thresholds to the program: each time a block it had served by
// mmap is freed, the mmap threshold rises to that block's size (up to 32 MiB) and the trim
// threshold to twice that. One 16 MiB buffer freed once is then enough for every later
// buffer below 16 MiB to come from the heap arenas, whose free tops are returned only above
// 32 MiB each: after the soak's 4 MiB slow-reader answers, RSS stayed ~100 MiB above its
// baseline with 3 MiB in use. Pinned thresholds switch that adaptation off.
#pragma once

#include <cstddef>

namespace slotgate::gateway {

struct HeapThresholds {
  size_t mmap_threshold = size_t{1} << 20;  // blocks this large are mmapped, unmapped on free
  size_t trim_threshold = size_t{4} << 20;  // free heap top kept per arena, at most
};

// Pins glibc's M_MMAP_THRESHOLD and M_TRIM_THRESHOLD, each unless the operator set it with
// glibc's own environment variable (MALLOC_MMAP_THRESHOLD_, MALLOC_TRIM_THRESHOLD_), which
// wins. Call once, before the worker threads start. No-op on a C library other than glibc.
void pinHeapThresholds(const HeapThresholds& thresholds = {});

}  // namespace slotgate::gateway
