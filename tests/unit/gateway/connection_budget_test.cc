// ConnectionBudget: the limit holds under concurrent acquires, a reload may change it, and
// the derived default leaves descriptors for the process and one upstream per client.
#include "gateway/downstream/connection_budget.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace slotgate::gateway {
namespace {

TEST(ConnectionBudget, NeverGrantsMoreThanTheLimit) {
  ConnectionBudget budget(100);
  std::atomic<int> granted{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 1000; ++i) {
        if (budget.tryAcquire()) {
          granted.fetch_add(1);
        }
      }
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  EXPECT_EQ(granted.load(), 100);
  EXPECT_EQ(budget.open(), 100u);
  budget.release();
  EXPECT_TRUE(budget.tryAcquire());
  EXPECT_FALSE(budget.tryAcquire());
}

TEST(ConnectionBudget, LoweredLimitRefusesNewOnesKeepsOpenOnes) {
  ConnectionBudget budget(3);
  ASSERT_TRUE(budget.tryAcquire());
  ASSERT_TRUE(budget.tryAcquire());
  budget.setLimit(1);
  EXPECT_FALSE(budget.tryAcquire());
  EXPECT_EQ(budget.open(), 2u);
  budget.release(2);
  EXPECT_TRUE(budget.tryAcquire());
}

TEST(ConnectionBudget, DerivedFromTheDescriptorLimit) {
  // 1024 descriptors, 2 workers: 48 kept back, half of the rest for clients.
  EXPECT_EQ(ConnectionBudget::derive(1024, 2), (1024u - 48u) / 2u);
  EXPECT_EQ(ConnectionBudget::derive(256, 1), (256u - 40u) / 2u);
  EXPECT_EQ(ConnectionBudget::derive(10, 4), 1u);    // never zero
  EXPECT_EQ(ConnectionBudget::resolve(77, 8), 77u);  // configured wins
}

}  // namespace
}  // namespace slotgate::gateway
