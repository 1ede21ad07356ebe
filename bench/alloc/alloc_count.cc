// LD_PRELOAD allocation counter for bench/compare.py: counts every call into glibc's allocator
// (malloc, calloc, realloc, the aligned variants; operator new lands in malloc) and keeps the
// counts in a shared file, so the bench reads them while the process runs (before and after a
// batch of requests) without signals, threads or a clean exit.
//
//   ALLOC_COUNT_FILE=/tmp/x LD_PRELOAD=build/bench/libbench_alloc_count.so slotgate ...
//
// The file holds two little-endian uint64: allocations, frees. Without ALLOC_COUNT_FILE the
// counts go to a private page and nothing is written.
#include <fcntl.h>
#include <malloc.h>
#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdlib>

extern "C" {
void* __libc_malloc(size_t size);
void* __libc_calloc(size_t count, size_t size);
void* __libc_realloc(void* ptr, size_t size);
void* __libc_memalign(size_t alignment, size_t size);
void __libc_free(void* ptr);
}

namespace {

struct Counts {
  std::atomic<uint64_t> allocations;
  std::atomic<uint64_t> frees;
};

// Before the constructor ran (the dynamic loader allocates early), counts go here.
Counts early_counts;
Counts* counts = &early_counts;

__attribute__((constructor)) void mapCounts() {
  const char* path = getenv("ALLOC_COUNT_FILE");
  if (path == nullptr) {
    return;
  }
  const int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    return;
  }
  if (ftruncate(fd, sizeof(Counts)) == 0) {
    void* page = mmap(nullptr, sizeof(Counts), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (page != MAP_FAILED) {
      counts = static_cast<Counts*>(page);
    }
  }
  close(fd);
}

void countAllocation() { counts->allocations.fetch_add(1, std::memory_order_relaxed); }

}  // namespace

extern "C" {

void* malloc(size_t size) {
  countAllocation();
  return __libc_malloc(size);
}

void* calloc(size_t count, size_t size) {
  countAllocation();
  return __libc_calloc(count, size);
}

void* realloc(void* ptr, size_t size) {
  countAllocation();
  return __libc_realloc(ptr, size);
}

void* memalign(size_t alignment, size_t size) {
  countAllocation();
  return __libc_memalign(alignment, size);
}

void* aligned_alloc(size_t alignment, size_t size) {
  countAllocation();
  return __libc_memalign(alignment, size);
}

int posix_memalign(void** out, size_t alignment, size_t size) {
  countAllocation();
  void* ptr = __libc_memalign(alignment, size);
  if (ptr == nullptr) {
    return ENOMEM;
  }
  *out = ptr;
  return 0;
}

void free(void* ptr) {
  if (ptr != nullptr) {
    counts->frees.fetch_add(1, std::memory_order_relaxed);
  }
  __libc_free(ptr);
}

}  // extern "C"
