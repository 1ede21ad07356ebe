// DrainWatchdog: the slow-reader rule on a real evbuffer and event loop, the client's reads
// played by evbuffer_drain. Windows are 50 ms; each test only asks whether the rule fired,
// never when.
#include "gateway/downstream/drain_watchdog.h"

#include <event2/buffer.h>
#include <event2/event.h>
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>

namespace slotgate::gateway {
namespace {

using namespace std::chrono_literals;

class DrainWatchdogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    base_ = event_base_new();
    out_ = evbuffer_new();
  }
  void TearDown() override {
    watchdog_.reset();
    evbuffer_free(out_);
    event_base_free(base_);
  }
  void watch() {
    watchdog_ = std::make_unique<DrainWatchdog>(
        base_, out_, 50ms, [](void* arg) { ++*static_cast<int*>(arg); }, &stalls_);
  }
  void add(size_t n) {
    const std::string bytes(n, 'x');
    evbuffer_add(out_, bytes.data(), bytes.size());
  }
  // Runs the loop for `d`, draining `per_tick` bytes every 5 ms (the client reading).
  void run(std::chrono::milliseconds d, size_t per_tick) {
    const auto end = std::chrono::steady_clock::now() + d;
    while (std::chrono::steady_clock::now() < end && stalls_ == 0) {
      evbuffer_drain(out_, per_tick);
      event_base_loop(base_, EVLOOP_NONBLOCK);
      std::this_thread::sleep_for(5ms);
    }
  }

  event_base* base_ = nullptr;
  evbuffer* out_ = nullptr;
  std::unique_ptr<DrainWatchdog> watchdog_;
  int stalls_ = 0;
};

TEST_F(DrainWatchdogTest, ClientTakingNothingIsCut) {
  watch();
  add(1 << 20);
  run(2s, 0);
  EXPECT_EQ(stalls_, 1);
}

TEST_F(DrainWatchdogTest, OneByteTrickleIsCut) {
  watch();
  add(1 << 20);
  run(2s, 1);  // progress on every tick, far below the rule
  EXPECT_EQ(stalls_, 1);
}

TEST_F(DrainWatchdogTest, ClientKeepingUpIsNotCut) {
  watch();
  add(8 << 20);
  run(400ms, 64 << 10);  // 64 KiB every 5 ms
  EXPECT_EQ(stalls_, 0);
  EXPECT_GT(watchdog_->drained(), 1u << 20);
}

TEST_F(DrainWatchdogTest, SmallAnswerTakenWholeIsNotCut) {
  watch();
  add(100);
  run(300ms, 100);
  add(100);
  run(300ms, 100);
  EXPECT_EQ(stalls_, 0);
}

TEST_F(DrainWatchdogTest, StoppedWatchdogNeverFires) {
  watch();
  add(1 << 20);
  watchdog_->stop();
  run(300ms, 0);
  EXPECT_EQ(stalls_, 0);
}

TEST(DrainWatchdogRule, TooSlowMeansLessThanTheMinimumOrThanWhatWaited) {
  EXPECT_FALSE(DrainWatchdog::tooSlow(0, 0));  // nothing waited
  EXPECT_TRUE(DrainWatchdog::tooSlow(0, 10));
  EXPECT_FALSE(DrainWatchdog::tooSlow(10, 10));  // everything that waited left
  EXPECT_TRUE(DrainWatchdog::tooSlow(DrainWatchdog::kMinProgressBytes - 1, 1 << 20));
  EXPECT_FALSE(DrainWatchdog::tooSlow(DrainWatchdog::kMinProgressBytes, 1 << 20));
}

}  // namespace
}  // namespace slotgate::gateway
