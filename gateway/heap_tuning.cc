#include "gateway/heap_tuning.h"

#include <cstdlib>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace slotgate::gateway {

void pinHeapThresholds(const HeapThresholds& thresholds) {
#if defined(__GLIBC__)
  if (std::getenv("MALLOC_MMAP_THRESHOLD_") == nullptr) {
    mallopt(M_MMAP_THRESHOLD, static_cast<int>(thresholds.mmap_threshold));
  }
  if (std::getenv("MALLOC_TRIM_THRESHOLD_") == nullptr) {
    mallopt(M_TRIM_THRESHOLD, static_cast<int>(thresholds.trim_threshold));
  }
#else
  (void)thresholds;
#endif
}

}  // namespace slotgate::gateway
