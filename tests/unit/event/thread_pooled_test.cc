#include "gateway/event/thread_pooled.h"

#include <gtest/gtest.h>

#include <memory>
#include <set>
#include <thread>
#include <vector>

#include "tests/unit/event/alloc_counter.h"

namespace slotgate::gateway {
namespace {

// Sizes no other type in this binary uses, so each test sees lists of its own.
struct Pooled : ThreadPooled<Pooled> {
  virtual ~Pooled() = default;
  char payload[232] = {};
};

struct Grown : Pooled {  // a derived class of another size: served by the heap
  char more[64] = {};
};

struct Shared {
  char payload[328] = {};
};

template <typename F>
void onFreshThread(F f) {
  std::thread t(f);
  t.join();
}

TEST(ThreadPooledTest, ADeletedObjectsBlockServesTheNextOne) {
  onFreshThread([] {
    auto* first = new Pooled;
    void* block = first;
    delete first;
    EXPECT_EQ(keptPooled<sizeof(Pooled)>(), 1u);
    const size_t before = testing::allocationsOnThisThread();
    auto* second = new Pooled;
    EXPECT_EQ(static_cast<void*>(second), block);
    EXPECT_EQ(keptPooled<sizeof(Pooled)>(), 0u);
    if (testing::countingAllocations()) {
      EXPECT_EQ(testing::allocationsOnThisThread(), before);  // no operator new
    }
    delete second;
  });
}

TEST(ThreadPooledTest, ThroughABasePointerTheBlockGoesBackToo) {
  onFreshThread([] {
    std::unique_ptr<Pooled> p = std::make_unique<Pooled>();
    p.reset();
    EXPECT_EQ(keptPooled<sizeof(Pooled)>(), 1u);
  });
}

TEST(ThreadPooledTest, ADerivedClassOfAnotherSizeUsesTheHeap) {
  onFreshThread([] {
    std::unique_ptr<Pooled> p = std::make_unique<Grown>();
    p->payload[0] = 1;
    p.reset();  // the virtual destructor passes Grown's size: not kept
    EXPECT_EQ(keptPooled<sizeof(Pooled)>(), 0u);
    EXPECT_EQ(keptPooled<sizeof(Grown)>(), 0u);
  });
}

TEST(ThreadPooledTest, AtMostKMaxKeptBlocksAreKept) {
  onFreshThread([] {
    std::vector<Pooled*> many;
    for (size_t i = 0; i < kMaxKeptBlocks + 10; ++i) {
      many.push_back(new Pooled);
    }
    std::set<Pooled*> distinct(many.begin(), many.end());
    EXPECT_EQ(distinct.size(), many.size());  // live objects never share a block
    for (Pooled* p : many) {
      delete p;
    }
    EXPECT_EQ(keptPooled<sizeof(Pooled)>(), kMaxKeptBlocks);
  });
}

TEST(ThreadPooledTest, ListsArePerThread) {
  onFreshThread([] {
    delete new Pooled;
    EXPECT_EQ(keptPooled<sizeof(Pooled)>(), 1u);
    onFreshThread([] { EXPECT_EQ(keptPooled<sizeof(Pooled)>(), 0u); });
  });
  // Made here, freed on another thread: the block joins that thread's list.
  auto* p = new Pooled;
  onFreshThread([p] {
    delete p;
    EXPECT_EQ(keptPooled<sizeof(Pooled)>(), 1u);
  });
}

TEST(ThreadPooledTest, AllocateSharedUsesTheList) {
  onFreshThread([] {
    auto first = std::allocate_shared<Shared>(PoolAllocator<Shared>());
    first->payload[0] = 'a';
    std::weak_ptr<Shared> watch = first;
    first.reset();
    EXPECT_TRUE(watch.expired());
    watch.reset();  // the control block goes with the last weak reference
    auto second = std::allocate_shared<Shared>(PoolAllocator<Shared>());
    EXPECT_EQ(second->payload[0], 0);  // a fresh object, value-initialized
  });
}

}  // namespace
}  // namespace slotgate::gateway
