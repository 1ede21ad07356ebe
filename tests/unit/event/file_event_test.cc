#include "gateway/event/file_event.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <memory>

#include "tests/unit/event/loop.h"

namespace slotgate::gateway {
namespace {

using namespace std::chrono_literals;

// A connected pair of non-blocking stream sockets: the event watches `ours`.
struct SocketPair {
  SocketPair() {
    int fds[2];
    EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fds), 0);
    ours = fds[0];
    theirs = fds[1];
  }
  ~SocketPair() {
    ::close(ours);
    ::close(theirs);
  }
  int ours = -1;
  int theirs = -1;
};

TEST(FileEvent, ReadableRunsTheCallbackOnceWithRead) {
  testing::TestLoop loop;
  SocketPair sockets;
  uint32_t ready = 0;
  int runs = 0;
  FileEvent ev(loop.base.get(), sockets.ours, FileEvent::kRead, [&](uint32_t what) {
    ready = what;
    ++runs;
  });
  ev.enable();
  EXPECT_TRUE(ev.enabled());
  loop.runReady();
  EXPECT_EQ(runs, 0);  // nothing to read yet
  ASSERT_EQ(::write(sockets.theirs, "x", 1), 1);
  loop.runOnce();
  EXPECT_EQ(runs, 1);
  EXPECT_EQ(ready, FileEvent::kRead);
  EXPECT_FALSE(ev.enabled());  // one-shot: the unread byte does not run it again
  loop.runReady();
  EXPECT_EQ(runs, 1);
}

TEST(FileEvent, TimeoutRunsTheCallbackWithTimeout) {
  testing::TestLoop loop;
  SocketPair sockets;
  uint32_t ready = 0;
  FileEvent ev(loop.base.get(), sockets.ours, FileEvent::kRead,
               [&](uint32_t what) { ready = what; });
  ev.enable(1ms);  // no byte ever comes: only the timeout can end the wait
  loop.runOnce();
  EXPECT_EQ(ready, FileEvent::kTimeout);
  EXPECT_FALSE(ev.enabled());
}

TEST(FileEvent, ReadinessBeforeTheTimeoutWins) {
  testing::TestLoop loop;
  SocketPair sockets;
  uint32_t ready = 0;
  FileEvent ev(loop.base.get(), sockets.ours, FileEvent::kRead,
               [&](uint32_t what) { ready = what; });
  ASSERT_EQ(::write(sockets.theirs, "x", 1), 1);
  ev.enable(1h);
  loop.runOnce();
  EXPECT_EQ(ready, FileEvent::kRead);
}

TEST(FileEvent, WritableRunsTheCallbackWithWrite) {
  testing::TestLoop loop;
  SocketPair sockets;
  uint32_t ready = 0;
  FileEvent ev(loop.base.get(), sockets.ours, FileEvent::kWrite,
               [&](uint32_t what) { ready = what; });
  ev.enable();
  loop.runOnce();
  EXPECT_EQ(ready, FileEvent::kWrite);
}

TEST(FileEvent, DisableAndDestroyCancel) {
  testing::TestLoop loop;
  SocketPair sockets;
  int runs = 0;
  FileEvent kept(loop.base.get(), sockets.ours, FileEvent::kRead, [&](uint32_t) { ++runs; });
  kept.enable();
  kept.disable();
  EXPECT_FALSE(kept.enabled());
  {
    FileEvent gone(loop.base.get(), sockets.ours, FileEvent::kRead, [&](uint32_t) { ++runs; });
    gone.enable();
  }
  ASSERT_EQ(::write(sockets.theirs, "x", 1), 1);
  loop.runReady();
  EXPECT_EQ(runs, 0);
}

TEST(FileEvent, LeavesTheDescriptorOpen) {
  testing::TestLoop loop;
  SocketPair sockets;
  {
    FileEvent ev(loop.base.get(), sockets.ours, FileEvent::kRead, [](uint32_t) {});
  }
  ASSERT_EQ(::write(sockets.theirs, "x", 1), 1);
  char c = 0;
  EXPECT_EQ(::read(sockets.ours, &c, 1), 1);
  EXPECT_EQ(c, 'x');
}

// Under ASan this also proves that nothing of the event is touched after its callback.
TEST(FileEvent, CallbackMayDestroyItsEventAsItsLastAct) {
  testing::TestLoop loop;
  SocketPair sockets;
  bool ran = false;
  std::unique_ptr<FileEvent> ev;
  ev = std::make_unique<FileEvent>(loop.base.get(), sockets.ours, FileEvent::kRead, [&](uint32_t) {
    ran = true;
    ev.reset();
  });
  ev->enable(0us);
  loop.runOnce();
  EXPECT_TRUE(ran);
  EXPECT_EQ(ev, nullptr);
}

}  // namespace
}  // namespace slotgate::gateway
