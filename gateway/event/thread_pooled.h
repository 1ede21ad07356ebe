// Per-thread free lists for objects made and destroyed once per request (haproxy's pools, Envoy's
// per-worker caches): a class deriving from ThreadPooled<Self> takes its memory from a free list
// of blocks of its size on the current thread, and gives it back to the list of the thread that
// deletes it. PoolAllocator<T> does the same for std::allocate_shared. Lists are thread_local
// (no locks): a block made on one thread and freed on another just changes lists. At most
// kMaxKeptBlocks blocks are kept per thread and size; the rest go back to the heap, and a
// thread's kept blocks go when the thread ends.
//
// Under AddressSanitizer a kept block is poisoned, so a use after delete still reports.
#pragma once

#include <cstddef>
#include <new>

namespace slotgate::gateway {

inline constexpr size_t kMaxKeptBlocks = 256;

namespace detail {

// One thread's list of free blocks of one size. Trivially destructible, so it stays usable
// while the thread's other thread_local objects are destroyed; `ended` turns it into a plain
// pass-through to the heap from then on.
struct FreeBlocks {
  void* head;
  size_t count;
  bool ended;
};

void* takeBlock(FreeBlocks& list, size_t size);
void giveBlock(FreeBlocks& list, void* block, size_t size);

// Frees a list's kept blocks when its thread ends; from then on the list passes blocks through.
struct ThreadEnd {
  FreeBlocks* list;
  size_t block_size;
  ~ThreadEnd();
};

template <size_t kSize>
FreeBlocks& threadFreeBlocks() {
  thread_local FreeBlocks list{nullptr, 0, false};
  thread_local ThreadEnd end{&list, kSize};
  (void)end;  // odr-used, so constructed (and its destructor registered) on first use
  return list;
}

}  // namespace detail

// Blocks of kSize bytes (aligned as operator new aligns) from this thread's list.
template <size_t kSize>
void* takePooled() {
  return detail::takeBlock(detail::threadFreeBlocks<kSize>(), kSize);
}
template <size_t kSize>
void givePooled(void* block) {
  detail::giveBlock(detail::threadFreeBlocks<kSize>(), block, kSize);
}
// Blocks kept on this thread's list of kSize bytes (for tests).
template <size_t kSize>
size_t keptPooled() {
  return detail::threadFreeBlocks<kSize>().count;
}

template <typename T>
class ThreadPooled {
 public:
  static void* operator new(size_t size) {
    static_assert(alignof(T) <= __STDCPP_DEFAULT_NEW_ALIGNMENT__);
    // A class derived from T with members of its own has another size: the heap serves it.
    return size == sizeof(T) ? takePooled<sizeof(T)>() : ::operator new(size);
  }
  static void operator delete(void* block, size_t size) {
    if (size == sizeof(T)) {
      givePooled<sizeof(T)>(block);
    } else {
      ::operator delete(block);
    }
  }
};

// For std::allocate_shared (the control block and the object in one pooled block).
template <typename T>
struct PoolAllocator {
  using value_type = T;
  PoolAllocator() = default;
  template <typename U>
  PoolAllocator(const PoolAllocator<U>&) {}  // NOLINT: conversions are how rebinding works
  T* allocate(size_t n) {
    static_assert(alignof(T) <= __STDCPP_DEFAULT_NEW_ALIGNMENT__);
    return static_cast<T*>(n == 1 ? takePooled<sizeof(T)>() : ::operator new(n * sizeof(T)));
  }
  void deallocate(T* p, size_t n) {
    if (n == 1) {
      givePooled<sizeof(T)>(p);
    } else {
      ::operator delete(p);
    }
  }
  template <typename U>
  bool operator==(const PoolAllocator<U>&) const {
    return true;
  }
};

}  // namespace slotgate::gateway
