#include "gateway/event/thread_heap.h"

#include <event2/buffer.h>
#include <event2/event.h>
#include <gtest/gtest.h>
#include <malloc.h>

#include <cstdlib>
#include <cstring>
#include <set>
#include <thread>
#include <vector>

#include "gateway/event/libevent_ptr.h"

namespace slotgate::gateway {
namespace {

using thread_heap::allocate;
using thread_heap::heapAllocationsOnThisThread;
using thread_heap::keptBlocksOnThisThread;
using thread_heap::keptBytesOnThisThread;
using thread_heap::reallocate;
using thread_heap::release;

// Each test runs on a thread of its own, so it starts with empty lists.
template <typename F>
void onFreshThread(F f) {
  std::thread t(f);
  t.join();
}

TEST(ThreadHeapTest, AFreedBlockServesTheNextRequestOfItsSizeClass) {
  onFreshThread([] {
    void* first = allocate(100);
    release(first);
    EXPECT_EQ(keptBlocksOnThisThread(), 1u);
    const size_t heap = heapAllocationsOnThisThread();
    void* second = allocate(97);  // another size, the same 16-byte class
    EXPECT_EQ(second, first);
    EXPECT_EQ(heapAllocationsOnThisThread(), heap);
    EXPECT_EQ(keptBlocksOnThisThread(), 0u);
    EXPECT_EQ(keptBytesOnThisThread(), 0u);
    void* other = allocate(200);  // another class: its list is empty
    EXPECT_NE(other, first);
    EXPECT_EQ(heapAllocationsOnThisThread(), heap + 1);
    release(second);
    release(other);
  });
}

TEST(ThreadHeapTest, EveryBlockTakenHoldsTheSizeAskedFor) {
  onFreshThread([] {
    std::vector<size_t> sizes;
    for (size_t size = 0; size <= 300; ++size) {
      sizes.push_back(size);
    }
    for (size_t size = 300; size <= kThreadHeapBlockBytes; size += 37) {
      sizes.push_back(size);
    }
    sizes.push_back(kThreadHeapBlockBytes);
    // Blocks of every size go to the lists, then each size is asked for again: whatever
    // block serves it must hold it (written end to end; ASan would report an overflow).
    for (size_t size : sizes) {
      release(allocate(size));
    }
    for (size_t size : sizes) {
      void* block = allocate(size);
      ASSERT_NE(block, nullptr);
      EXPECT_GE(malloc_usable_size(block), size);
      std::memset(block, 0xab, size);
      release(block);
    }
  });
}

TEST(ThreadHeapTest, LargeBlocksAreNotKept) {
  onFreshThread([] {
    release(allocate(kThreadHeapBlockBytes + 1024));
    EXPECT_EQ(keptBlocksOnThisThread(), 0u);
  });
}

TEST(ThreadHeapTest, KeptBytesAreBoundedPerThread) {
  onFreshThread([] {
    std::vector<void*> blocks;
    for (size_t i = 0; i < 2 * kThreadHeapKeptBytes / 8192; ++i) {
      blocks.push_back(allocate(8192));
    }
    const std::set<void*> distinct(blocks.begin(), blocks.end());
    EXPECT_EQ(distinct.size(), blocks.size());  // live blocks are never shared
    for (void* block : blocks) {
      release(block);
    }
    EXPECT_LE(keptBytesOnThisThread(), kThreadHeapKeptBytes);
    EXPECT_GT(keptBytesOnThisThread(), kThreadHeapKeptBytes - 2 * 8192);
    EXPECT_LT(keptBlocksOnThisThread(), blocks.size());
  });
}

TEST(ThreadHeapTest, ABlockFreedOnAnotherThreadJoinsThatThreadsList) {
  void* block = nullptr;
  onFreshThread([&block] { block = allocate(64); });
  onFreshThread([block] {
    release(block);
    EXPECT_EQ(keptBlocksOnThisThread(), 1u);
    EXPECT_EQ(allocate(64), block);
    release(block);
  });
}

TEST(ThreadHeapTest, APlainMallocBlockCanBeReleasedIntoTheLists) {
  onFreshThread([] {
    // What libevent made before its functions were installed is freed through them.
    void* block = std::malloc(104);  // glibc's usable size is exactly this: one class
    release(block);
    EXPECT_EQ(keptBlocksOnThisThread(), 1u);
    EXPECT_EQ(allocate(104), block);
    std::free(block);  // and a block from the lists is an ordinary malloc block
  });
}

TEST(ThreadHeapTest, ReallocateKeepsTheContents) {
  onFreshThread([] {
    auto* bytes = static_cast<char*>(reallocate(nullptr, 16));
    ASSERT_NE(bytes, nullptr);
    std::memcpy(bytes, "0123456789abcdef", 16);
    bytes = static_cast<char*>(reallocate(bytes, 5000));
    ASSERT_NE(bytes, nullptr);
    EXPECT_EQ(std::memcmp(bytes, "0123456789abcdef", 16), 0);
    EXPECT_GE(malloc_usable_size(bytes), 5000u);
    release(bytes);
    EXPECT_EQ(keptBlocksOnThisThread(), 1u);
  });
}

// Installed the way main() does: an evbuffer that drains empty frees its chain and makes a new
// one on the next add; an upstream call makes and frees its events. Once the lists hold those
// blocks, neither reaches malloc any more.
TEST(ThreadHeapTest, DrainedBuffersAndPerCallEventsTakeNothingFromTheHeap) {
  // Installed after other tests of this binary used libevent with malloc: the lists take
  // those blocks too (see APlainMallocBlockCanBeReleasedIntoTheLists).
  routeLibeventMemory();
  onFreshThread([] {
    EventBasePtr base(event_base_new());
    ASSERT_TRUE(base);
    evbuffer* buffer = evbuffer_new();
    ASSERT_NE(buffer, nullptr);
    const std::string response(700, 'x');
    char read_back[4096] = {};
    auto oneRequest = [&] {
      evbuffer_add(buffer, response.data(), response.size());
      evbuffer_remove(buffer, read_back, sizeof(read_back));  // drained: the chain is freed
      evbuffer_add(buffer, read_back, 4000);                  // a larger chain
      evbuffer_drain(buffer, 4000);
      EventPtr timer(evtimer_new(
          base.get(), [](evutil_socket_t, short, void*) {}, nullptr));
      EventPtr kick(event_new(
          base.get(), -1, 0, [](evutil_socket_t, short, void*) {}, nullptr));
      ASSERT_TRUE(timer && kick);
    };
    oneRequest();
    const size_t heap = heapAllocationsOnThisThread();
    for (int i = 0; i < 100; ++i) {
      oneRequest();
    }
    EXPECT_EQ(heapAllocationsOnThisThread(), heap);
    EXPECT_GT(keptBlocksOnThisThread(), 0u);
    evbuffer_free(buffer);
  });
}

}  // namespace
}  // namespace slotgate::gateway
