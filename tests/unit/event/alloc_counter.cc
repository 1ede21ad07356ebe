#include "tests/unit/event/alloc_counter.h"

#include <cstdlib>
#include <new>

#include "tests/unit/support/glibc_malloc.h"

namespace slotgate::testing {
namespace {
thread_local size_t allocations = 0;
}  // namespace

bool countingAllocations() { return kGlibcMalloc; }
size_t allocationsOnThisThread() { return allocations; }

}  // namespace slotgate::testing

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define SLOTGATE_SANITIZER_ALLOCATOR 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define SLOTGATE_SANITIZER_ALLOCATOR 1
#endif
#endif

#ifndef SLOTGATE_SANITIZER_ALLOCATOR
void* operator new(std::size_t n) {
  ++slotgate::testing::allocations;
  if (void* p = std::malloc(n == 0 ? 1 : n)) {
    return p;
  }
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
#endif
