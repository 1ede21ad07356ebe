#include "gateway/event/thread_pooled.h"

#include "gateway/event/asan_poison.h"

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
