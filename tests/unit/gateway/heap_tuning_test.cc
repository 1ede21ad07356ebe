// Pinned malloc thresholds (gateway/heap_tuning.h): a large block freed does not move glibc's
// mmap threshold, so later large blocks are still mmapped and go back to the system on free.
#include "gateway/heap_tuning.h"

#include <gtest/gtest.h>
#include <malloc.h>

#include <cstdlib>

#include "tests/unit/support/glibc_malloc.h"

namespace slotgate::gateway {
namespace {

// Whether a fresh block of `size` bytes is served by mmap (glibc counts those in hblkhd).
bool servedByMmap(size_t size) {
  const size_t before = mallinfo2().hblkhd;
  void* volatile block = std::malloc(size);  // volatile: the pair is not optimised away
  const size_t during = mallinfo2().hblkhd;
  std::free(block);
  return during >= before + size;
}

TEST(HeapTuning, AFreedLargeBlockDoesNotRaiseTheMmapThreshold) {
  SKIP_UNLESS_GLIBC_MALLOC();
  pinHeapThresholds();
  // Unpinned, freeing this (mmapped) block would raise the threshold to 16 MiB and every
  // later block below that would come from the heap.
  ASSERT_TRUE(servedByMmap(size_t{16} << 20));
  EXPECT_TRUE(servedByMmap(size_t{2} << 20));
  // Below the pinned 1 MiB: the heap, as usual.
  EXPECT_FALSE(servedByMmap(size_t{256} << 10));
}

}  // namespace
}  // namespace slotgate::gateway
