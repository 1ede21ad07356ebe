#include "gateway/event/thread_heap.h"

#include <event2/event.h>
#include <malloc.h>

#include <cstdlib>

#include "gateway/event/asan_poison.h"

namespace slotgate::gateway::thread_heap {
namespace {

// Size classes are glibc's own chunk sizes: a request of n bytes takes a chunk of n + 8 bytes
// (the size word) rounded up to 16, at least 32, of which chunk - 8 are usable. Class c holds
// blocks whose chunk is 16 * c bytes, so the class of a request and of a freed block's usable
// size line up, and a block kept in class c has at least 16 * c - 8 usable bytes: enough for
// any request of that class.
constexpr size_t kGranule = 16;
constexpr size_t kSizeWord = 8;
constexpr size_t kMinClass = 2;  // glibc's smallest chunk, 32 bytes

constexpr size_t classOfRequest(size_t size) {
  const size_t c = (size + kSizeWord + kGranule - 1) / kGranule;
  return c < kMinClass ? kMinClass : c;
}
// The largest class whose blocks are all this big: rounds down, so a block whose usable size
// is larger than glibc's for its chunk (a sanitizer's or valgrind's malloc reports the size
// asked for) is never filed where it would be too small.
constexpr size_t classOfUsable(size_t usable) { return (usable + kSizeWord) / kGranule; }
constexpr size_t usableOfClass(size_t c) { return c * kGranule - kSizeWord; }

constexpr size_t kClasses = classOfRequest(kThreadHeapBlockBytes) + 1;

// One thread's lists. Zero-initialised and trivially destructible, so reachable without a
// guard and still usable while the thread's other thread_local objects are destroyed; `ended`
// makes them pass every block through to malloc from then on.
struct Lists {
  void* heads[kClasses];
  size_t kept_blocks;
  size_t kept_bytes;  // 16 * class of each kept block
  size_t heap_allocations;
  bool ended;
};

thread_local Lists lists{};

// The first word of a kept block links it to the next; the rest is poisoned under ASan.
void* nextOf(void* block) {
  SLOTGATE_UNPOISON(block, sizeof(void*));
  void* next = *static_cast<void**>(block);
  SLOTGATE_POISON(block, sizeof(void*));
  return next;
}

// Frees the thread's kept blocks when it ends.
struct ThreadEnd {
  ThreadEnd() = default;
  ThreadEnd(const ThreadEnd&) = delete;
  ThreadEnd& operator=(const ThreadEnd&) = delete;
  ~ThreadEnd() {
    for (void*& head : lists.heads) {
      while (head != nullptr) {
        void* block = head;
        head = nextOf(block);
        SLOTGATE_UNPOISON(block, malloc_usable_size(block));  // malloc takes it back whole
        std::free(block);
      }
    }
    lists.kept_blocks = 0;
    lists.kept_bytes = 0;
    lists.ended = true;
  }
};

void* fromHeap(size_t size) {
  ++lists.heap_allocations;
  return std::malloc(size);
}

}  // namespace

void* allocate(size_t size) {
  const size_t c = classOfRequest(size);
  if (c >= kClasses) {
    return fromHeap(size);
  }
  void* block = lists.heads[c];
  if (block == nullptr) {
    // The whole chunk's usable size, so the block goes back to this class when freed.
    return fromHeap(usableOfClass(c));
  }
  lists.heads[c] = nextOf(block);
  --lists.kept_blocks;
  lists.kept_bytes -= c * kGranule;
  SLOTGATE_UNPOISON(block, malloc_usable_size(block));
  return block;
}

void* reallocate(void* block, size_t size) {
  if (block == nullptr) {
    return allocate(size);
  }
  // Any malloc block may be resized in place or moved by realloc; whatever it returns is a
  // malloc block again, filed by its usable size when it is freed.
  return std::realloc(block, size);
}

void release(void* block) {
  if (block == nullptr) {
    return;
  }
  const size_t usable = malloc_usable_size(block);
  const size_t c = classOfUsable(usable);
  if (lists.ended || c < kMinClass || c >= kClasses ||
      lists.kept_bytes + c * kGranule > kThreadHeapKeptBytes) {
    std::free(block);
    return;
  }
  thread_local ThreadEnd end;
  (void)end;  // odr-used, so constructed (and its destructor registered) once a block is kept
  *static_cast<void**>(block) = lists.heads[c];
  lists.heads[c] = block;
  ++lists.kept_blocks;
  lists.kept_bytes += c * kGranule;
  SLOTGATE_POISON(block, usable);
}

size_t keptBlocksOnThisThread() { return lists.kept_blocks; }
size_t keptBytesOnThisThread() { return lists.kept_bytes; }
size_t heapAllocationsOnThisThread() { return lists.heap_allocations; }

}  // namespace slotgate::gateway::thread_heap

namespace slotgate::gateway {

void routeLibeventMemory() {
  event_set_mem_functions(&thread_heap::allocate, &thread_heap::reallocate, &thread_heap::release);
}

}  // namespace slotgate::gateway
