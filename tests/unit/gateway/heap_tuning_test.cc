// Pinned malloc thresholds (gateway/heap_tuning.h): a large block freed does not move glibc's
// mmap threshold, so later large blocks are still mmapped and go back to the system on free.
#include "gateway/heap_tuning.h"

#include <gtest/gtest.h>
#include <malloc.h>

#include <cstdio>
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

// Runs in a freshly started copy of this binary (a "threadsafe" death test re-executes it):
// malloc serves a block from a free heap chunk large enough before it considers mmap, so after
// other tests of this binary have left large free chunks behind, a 2 MiB block can come from
// the heap whatever the threshold. Only a fresh heap shows the threshold.
TEST(HeapTuning, AFreedLargeBlockDoesNotRaiseTheMmapThreshold) {
  SKIP_UNLESS_GLIBC_MALLOC();
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        pinHeapThresholds();
        // Unpinned, freeing this (mmapped) block would raise the threshold to 16 MiB and every
        // later block below that would come from the heap.
        const bool large = servedByMmap(size_t{16} << 20);
        const bool above_threshold = servedByMmap(size_t{2} << 20);
        // Below the pinned 1 MiB: the heap, as usual.
        const bool below_threshold = servedByMmap(size_t{256} << 10);
        std::fprintf(stderr, "16MiB mmapped=%d 2MiB mmapped=%d 256KiB mmapped=%d\n", large,
                     above_threshold, below_threshold);
        std::exit(large && above_threshold && !below_threshold ? 0 : 1);
      },
      ::testing::ExitedWithCode(0), "16MiB mmapped=1 2MiB mmapped=1 256KiB mmapped=0");
}

}  // namespace
}  // namespace slotgate::gateway
