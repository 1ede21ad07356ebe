// The plain-socket read path (gateway/event/plain_socket_read.h) on real sockets and a real
// event loop: bytes, the 4096-byte bound per read, the read high-water mark, EOF, a reset,
// freeing from inside the callback, TLS left alone, and what a pool sees of a close the loop
// reported but has not handled yet.
#include "gateway/event/plain_socket_read.h"

#include <event2/buffer.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <vector>

namespace slotgate::gateway {
namespace {

// A connected TCP pair on 127.0.0.1 (a reset needs TCP), both non-blocking.
void tcpPair(int fds[2]) {
  const int listener = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(listener, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(listen(listener, 1), 0);
  socklen_t len = sizeof addr;
  ASSERT_EQ(getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  fds[1] = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_EQ(connect(fds[1], reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  fds[0] = accept(listener, nullptr, nullptr);
  ASSERT_GE(fds[0], 0);
  close(listener);
  evutil_make_socket_nonblocking(fds[0]);
}

class PlainSocketReadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    base_ = event_base_new();
    tcpPair(fds_);
    bev_ = bufferevent_socket_new(base_, fds_[0], BEV_OPT_CLOSE_ON_FREE);
    bufferevent_setcb(bev_, &PlainSocketReadTest::onRead, nullptr, &PlainSocketReadTest::onEvent,
                      this);
    bufferevent_enable(bev_, EV_READ);
  }
  void TearDown() override {
    if (bev_ != nullptr) {
      bufferevent_free(bev_);
    }
    if (fds_[1] >= 0) {
      close(fds_[1]);
    }
    event_base_free(base_);
  }
  static void onRead(bufferevent* bev, void* arg) {
    auto* self = static_cast<PlainSocketReadTest*>(arg);
    evbuffer* in = bufferevent_get_input(bev);
    self->reads_.push_back(evbuffer_get_length(in) - self->kept_);
    if (self->keep_input_) {
      self->kept_ = evbuffer_get_length(in);
      // libevent 2.1.12 runs the read callback again on every loop turn while the input is
      // at the mark with reading enabled (bufferevent_inbuf_wm_check): end each turn.
      event_base_loopbreak(self->base_);
      return;
    }
    std::string chunk(evbuffer_get_length(in), '\0');
    evbuffer_remove(in, chunk.data(), chunk.size());
    self->received_ += chunk;
    if (self->free_in_callback_) {
      bufferevent_free(self->bev_);
      self->bev_ = nullptr;
    }
  }
  static void onEvent(bufferevent*, short what, void* arg) {
    auto* self = static_cast<PlainSocketReadTest*>(arg);
    self->events_.push_back(what);
    self->errno_ = errno;
  }
  void send(const std::string& bytes) {
    ASSERT_EQ(::send(fds_[1], bytes.data(), bytes.size(), 0), static_cast<ssize_t>(bytes.size()));
  }
  // Sends `bytes` while the consumer keeps its input: reading stops with exactly `mark` bytes
  // held (more loop turns read nothing past it, and no read took more than the mark); then the
  // consumer takes them, reading resumes, and the rest arrives.
  void fillToMarkThenDrain(const std::string& bytes, size_t mark) {
    keep_input_ = true;
    kept_ = 0;
    received_.clear();
    reads_.clear();
    send(bytes);
    runUntil([&] { return evbuffer_get_length(bufferevent_get_input(bev_)) >= mark; });
    for (int i = 0; i < 20; ++i) {
      event_base_loop(base_, EVLOOP_ONCE | EVLOOP_NONBLOCK);
    }
    EXPECT_EQ(evbuffer_get_length(bufferevent_get_input(bev_)), mark);
    for (size_t n : reads_) {
      EXPECT_LE(n, mark);
    }
    keep_input_ = false;
    kept_ = 0;
    evbuffer_drain(bufferevent_get_input(bev_), mark);
    runUntil([&] { return received_.size() == bytes.size() - mark; });
    EXPECT_EQ(received_, bytes.substr(mark));
  }
  // Runs the loop until `done` or ~2 s of turns without it.
  template <typename Done>
  void runUntil(Done done) {
    for (int i = 0; i < 2000 && !done(); ++i) {
      event_base_loop(base_, EVLOOP_ONCE | EVLOOP_NONBLOCK);
      if (!done()) {
        usleep(1000);
      }
    }
  }

  event_base* base_ = nullptr;
  int fds_[2] = {-1, -1};
  bufferevent* bev_ = nullptr;
  std::vector<size_t> reads_;
  std::vector<short> events_;
  std::string received_;
  bool keep_input_ = false;
  size_t kept_ = 0;
  bool free_in_callback_ = false;
  int errno_ = 0;
};

TEST_F(PlainSocketReadTest, BytesArriveThroughOurCallback) {
  ASSERT_TRUE(useOwnReadPath(bev_));
  EXPECT_TRUE(useOwnReadPath(bev_));  // a second call keeps it
  send("GET / HTTP/1.1\r\n\r\n");
  runUntil([&] { return received_.size() == 18; });
  EXPECT_EQ(received_, "GET / HTTP/1.1\r\n\r\n");
  EXPECT_TRUE(events_.empty());
}

TEST_F(PlainSocketReadTest, OneReadTakesAtMost4096Bytes) {
  ASSERT_TRUE(useOwnReadPath(bev_));
  const std::string body(20000, 'b');
  send(body);
  runUntil([&] { return received_.size() == body.size(); });
  EXPECT_EQ(received_, body);
  ASSERT_FALSE(reads_.empty());
  for (size_t n : reads_) {
    EXPECT_LE(n, 4096u);
  }
}

TEST_F(PlainSocketReadTest, ReadingStopsAtTheHighWaterMarkAndResumesBelowIt) {
  ASSERT_TRUE(useOwnReadPath(bev_));
  bufferevent_setwatermark(bev_, EV_READ, 0, 100);
  fillToMarkThenDrain(std::string(1000, 'x'), 100);
}

// The same, with the mark set through setReadHighWater: libevent's watermark callback comes in
// only when the input reaches the mark.
TEST_F(PlainSocketReadTest, AMarkSetWithoutLibeventsCallbackStopsAndResumesTheSame) {
  ASSERT_TRUE(useOwnReadPath(bev_));
  setReadHighWater(bev_, 100);
  size_t low = 1;
  size_t high = 0;
  bufferevent_getwatermark(bev_, EV_READ, &low, &high);
  EXPECT_EQ(low, 0u);
  EXPECT_EQ(high, 100u);
  fillToMarkThenDrain(std::string(1000, 'x'), 100);
  // A second fill stops at the mark again (libevent's callback now installed), and drains again.
  fillToMarkThenDrain(std::string(300, 'y'), 100);
}

// Without our read path the mark is libevent's own.
TEST_F(PlainSocketReadTest, AMarkOnLibeventsReadIsLibeventsWatermark) {
  setReadHighWater(bev_, 100);
  fillToMarkThenDrain(std::string(1000, 'x'), 100);
}

TEST_F(PlainSocketReadTest, EndOfStreamDisablesReadingAndReachesTheEventCallback) {
  ASSERT_TRUE(useOwnReadPath(bev_));
  send("last");
  shutdown(fds_[1], SHUT_WR);
  runUntil([&] { return !events_.empty(); });
  EXPECT_EQ(received_, "last");
  ASSERT_EQ(events_.size(), 1u);
  EXPECT_EQ(events_[0], BEV_EVENT_READING | BEV_EVENT_EOF);
  EXPECT_EQ(bufferevent_get_enabled(bev_) & EV_READ, 0);
}

TEST_F(PlainSocketReadTest, AResetIsAnErrorWithItsErrno) {
  ASSERT_TRUE(useOwnReadPath(bev_));
  linger hard{1, 0};
  ASSERT_EQ(setsockopt(fds_[1], SOL_SOCKET, SO_LINGER, &hard, sizeof hard), 0);
  close(fds_[1]);
  fds_[1] = -1;
  runUntil([&] { return !events_.empty(); });
  ASSERT_EQ(events_.size(), 1u);
  EXPECT_EQ(events_[0], BEV_EVENT_READING | BEV_EVENT_ERROR);
  EXPECT_EQ(errno_, ECONNRESET);
}

TEST_F(PlainSocketReadTest, TheReadCallbackMayFreeTheBufferevent) {
  ASSERT_TRUE(useOwnReadPath(bev_));
  free_in_callback_ = true;
  send("bye");
  runUntil([&] { return bev_ == nullptr; });
  EXPECT_EQ(received_, "bye");
  // The loop goes on without the freed bufferevent (ASan builds check the memory).
  for (int i = 0; i < 5; ++i) {
    event_base_loop(base_, EVLOOP_ONCE | EVLOOP_NONBLOCK);
  }
}

TEST_F(PlainSocketReadTest, EnableAndDisableStillRuleOurRead) {
  ASSERT_TRUE(useOwnReadPath(bev_));
  bufferevent_disable(bev_, EV_READ);
  send("held");
  for (int i = 0; i < 20; ++i) {
    event_base_loop(base_, EVLOOP_ONCE | EVLOOP_NONBLOCK);
  }
  EXPECT_TRUE(received_.empty());
  bufferevent_enable(bev_, EV_READ);
  runUntil([&] { return received_ == "held"; });
  EXPECT_EQ(received_, "held");
}

TEST_F(PlainSocketReadTest, TlsBuffereventsKeepLibeventsRead) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  ASSERT_NE(ctx, nullptr);
  int fds[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
  bufferevent* tls = bufferevent_openssl_socket_new(
      base_, fds[0], SSL_new(ctx), BUFFEREVENT_SSL_CONNECTING, BEV_OPT_CLOSE_ON_FREE);
  ASSERT_NE(tls, nullptr);
  EXPECT_FALSE(useOwnReadPath(tls));
  bufferevent_free(tls);
  close(fds[1]);
  SSL_CTX_free(ctx);
}

TEST_F(PlainSocketReadTest, AConnectionWithoutSocketKeepsLibeventsRead) {
  bufferevent* unconnected = bufferevent_socket_new(base_, -1, BEV_OPT_CLOSE_ON_FREE);
  EXPECT_FALSE(useOwnReadPath(unconnected));
  bufferevent_free(unconnected);
}

// A probe of higher priority, woken in the same loop turn as the bufferevent, runs before
// the bufferevent's callback: it sees the close reported but not handled.
struct Probe {
  bufferevent* watched = nullptr;
  int runs = 0;
  bool reported = false;
};

void onProbe(evutil_socket_t fd, short, void* arg) {
  auto* probe = static_cast<Probe*>(arg);
  char byte;
  [[maybe_unused]] const ssize_t n = read(fd, &byte, 1);
  ++probe->runs;
  probe->reported = readReportedNotHandled(probe->watched);
}

TEST_F(PlainSocketReadTest, ACloseTheLoopReportedIsSeenBeforeItsCallbackRuns) {
  bufferevent_free(bev_);  // a fresh pair on a base with two priorities
  close(fds_[1]);
  event_base_free(base_);
  base_ = event_base_new();
  ASSERT_EQ(event_base_priority_init(base_, 2), 0);
  tcpPair(fds_);
  bev_ = bufferevent_socket_new(base_, fds_[0], BEV_OPT_CLOSE_ON_FREE);
  bufferevent_setcb(bev_, &PlainSocketReadTest::onRead, nullptr, &PlainSocketReadTest::onEvent,
                    this);
  bufferevent_enable(bev_, EV_READ);
  ASSERT_TRUE(useOwnReadPath(bev_));
  bufferevent_priority_set(bev_, 1);

  int wake[2];
  ASSERT_EQ(pipe(wake), 0);
  Probe probe{bev_};
  event* probe_ev = event_new(base_, wake[0], EV_READ | EV_PERSIST, &onProbe, &probe);
  event_priority_set(probe_ev, 0);
  event_add(probe_ev, nullptr);

  // Nothing happened yet: nothing reported.
  ASSERT_EQ(write(wake[1], "x", 1), 1);
  runUntil([&] { return probe.runs == 1; });
  EXPECT_FALSE(probe.reported);

  // The peer closes and the probe wakes: one loop turn sees both.
  shutdown(fds_[1], SHUT_WR);
  ASSERT_EQ(write(wake[1], "x", 1), 1);
  // Both are readable before the loop polls, so one epoll_wait reports both.
  pollfd closed{fds_[0], POLLIN | POLLRDHUP, 0};
  ASSERT_EQ(poll(&closed, 1, 10000), 1);
  runUntil([&] { return !events_.empty(); });
  EXPECT_EQ(probe.runs, 2);
  EXPECT_TRUE(probe.reported);
  ASSERT_EQ(events_.size(), 1u);
  EXPECT_EQ(events_[0], BEV_EVENT_READING | BEV_EVENT_EOF);

  event_free(probe_ev);
  close(wake[0]);
  close(wake[1]);
}

}  // namespace
}  // namespace slotgate::gateway
