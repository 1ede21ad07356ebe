#include "gateway/event/signal_event.h"

#include <gtest/gtest.h>

#include <csignal>

#include "tests/unit/event/loop.h"

namespace slotgate::gateway {
namespace {

TEST(SignalEvent, RunsTheCallbackOnTheLoopForEachDelivery) {
  testing::TestLoop loop;
  int runs = 0;
  SignalEvent ev(loop.base.get(), SIGUSR1, [&] { ++runs; });
  ASSERT_EQ(std::raise(SIGUSR1), 0);
  EXPECT_EQ(runs, 0);  // never inside the signal handler
  loop.runOnce();
  EXPECT_EQ(runs, 1);
  ASSERT_EQ(std::raise(SIGUSR1), 0);
  loop.runOnce();
  EXPECT_EQ(runs, 2);  // persistent
}

TEST(SignalEvent, DestroyingRestoresTheFormerDisposition) {
  testing::TestLoop loop;
  struct sigaction before {};
  ASSERT_EQ(sigaction(SIGUSR2, nullptr, &before), 0);
  {
    SignalEvent ev(loop.base.get(), SIGUSR2, [] {});
    struct sigaction during {};
    ASSERT_EQ(sigaction(SIGUSR2, nullptr, &during), 0);
    EXPECT_NE(during.sa_handler, before.sa_handler);
  }
  struct sigaction after {};
  ASSERT_EQ(sigaction(SIGUSR2, nullptr, &after), 0);
  EXPECT_EQ(after.sa_handler, before.sa_handler);
}

}  // namespace
}  // namespace slotgate::gateway
