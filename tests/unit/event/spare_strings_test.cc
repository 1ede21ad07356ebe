#include "gateway/event/spare_strings.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>

#include "tests/unit/event/alloc_counter.h"
#include "tests/unit/support/fresh_thread.h"

namespace slotgate::gateway {
namespace {

using slotgate::testing::onFreshThread;

TEST(SpareStringsTest, AGivenBufferServesTheNextString) {
  onFreshThread([] {
    EXPECT_EQ(takeSpareString().capacity(), std::string().capacity());  // none waits yet
    std::string done(200, 'x');
    const char* buffer = done.data();
    giveSpareString(std::move(done));
    EXPECT_TRUE(done.empty());  // NOLINT(bugprone-use-after-move): left empty, as documented
    EXPECT_EQ(spareStringsOnThisThread(), 1u);
    const size_t before = testing::allocationsOnThisThread();
    std::string next = takeSpareString();
    EXPECT_TRUE(next.empty());
    EXPECT_EQ(next.data(), buffer);
    next.append(150, 'y');
    if (testing::countingAllocations()) {
      EXPECT_EQ(testing::allocationsOnThisThread(), before);  // built in the kept buffer
    }
    EXPECT_EQ(spareStringsOnThisThread(), 0u);
  });
}

TEST(SpareStringsTest, BuffersNotWorthKeepingAreNot) {
  onFreshThread([] {
    giveSpareString(std::string("short"));  // inline in the string: nothing to keep
    giveSpareString(std::string(kMaxSpareStringCapacity + 1, 'b'));  // a big body's
    EXPECT_EQ(spareStringsOnThisThread(), 0u);
  });
}

TEST(SpareStringsTest, AtMostKMaxSpareStringsWait) {
  onFreshThread([] {
    for (size_t i = 0; i < kMaxSpareStrings + 10; ++i) {
      giveSpareString(std::string(100, 'c'));
    }
    EXPECT_EQ(spareStringsOnThisThread(), kMaxSpareStrings);
  });
}

TEST(SpareStringsTest, KeptCapacityIsBoundedPerThread) {
  onFreshThread([] {
    constexpr size_t kEach = 32 << 10;
    for (size_t i = 0; i < 2 * kMaxSpareStringBytes / kEach; ++i) {
      giveSpareString(std::string(kEach, 'd'));
    }
    EXPECT_LE(spareStringsOnThisThread() * kEach, kMaxSpareStringBytes);
    EXPECT_GE(spareStringsOnThisThread(), kMaxSpareStringBytes / (2 * kEach));
  });
}

TEST(SpareStringsTest, SparesArePerThread) {
  onFreshThread([] {
    giveSpareString(std::string(100, 'e'));
    onFreshThread([] { EXPECT_EQ(spareStringsOnThisThread(), 0u); });
    EXPECT_EQ(spareStringsOnThisThread(), 1u);
  });
}

}  // namespace
}  // namespace slotgate::gateway
