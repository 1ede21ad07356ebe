#include "gateway/event/thread_pooled.h"

#if defined(__SANITIZE_ADDRESS__)
#define SLOTGATE_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SLOTGATE_ASAN 1
#endif
#endif

#ifdef SLOTGATE_ASAN
#include <sanitizer/asan_interface.h>
#define SLOTGATE_POISON(p, n) ASAN_POISON_MEMORY_REGION(p, n)
#define SLOTGATE_UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION(p, n)
#else
#define SLOTGATE_POISON(p, n) ((void)(p), (void)(n))
#define SLOTGATE_UNPOISON(p, n) ((void)(p), (void)(n))
#endif

namespace slotgate::gateway::detail {
namespace {

// The first word of a kept block links it to the next; the rest is poisoned under ASan.
void* nextOf(void* block) {
  SLOTGATE_UNPOISON(block, sizeof(void*));
  void* next = *static_cast<void**>(block);
  SLOTGATE_POISON(block, sizeof(void*));
  return next;
}

}  // namespace

void* takeBlock(FreeBlocks& list, size_t size) {
  if (list.head == nullptr) {
    return ::operator new(size);
  }
  void* block = list.head;
  list.head = nextOf(block);
  --list.count;
  SLOTGATE_UNPOISON(block, size);
  return block;
}

void giveBlock(FreeBlocks& list, void* block, size_t size) {
  if (list.ended || list.count >= kMaxKeptBlocks) {
    ::operator delete(block);
    return;
  }
  *static_cast<void**>(block) = list.head;
  list.head = block;
  ++list.count;
  SLOTGATE_POISON(block, size);
}

ThreadEnd::~ThreadEnd() {
  while (list->head != nullptr) {
    void* block = list->head;
    list->head = nextOf(block);
    SLOTGATE_UNPOISON(block, block_size);  // the heap takes it back whole
    ::operator delete(block);
  }
  list->count = 0;
  list->ended = true;
}

}  // namespace slotgate::gateway::detail
