// Streaming, timers, cancellation and backpressure of the upstream client.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>

#include "gateway/upstream/upstream_pool.h"
#include "upstream_test_util.h"

namespace slotgate::gateway::testing {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

class UpstreamStreamTest : public UpstreamTestBase {
 protected:
  // Head at once, then `n` chunks `gap` apart, then the terminating chunk.
  void makeSlowChunkServer(int n, milliseconds gap) {
    makeServer([n, gap](TestServerConn& c, const std::string&) {
      c.send(kChunkedHead);
      for (int i = 1; i <= n; ++i) {
        c.sendAfter(gap * i, chunk("event " + std::to_string(i) + "\n"));
      }
      c.sendAfter(gap * (n + 1), "0\r\n\r\n");
    });
  }
  // Head, one chunk, then nothing (the connection stays open).
  void makeStallingServer() {
    makeServer(
        [](TestServerConn& c, const std::string&) { c.send(kChunkedHead + chunk("first")); });
  }
  // The whole chunked response in one write: one read on the client side.
  void makeOneWriteServer() {
    makeServer([](TestServerConn& c, const std::string&) {
      c.send(kChunkedHead + chunk("a") + chunk("bb") + chunk("ccc") + chunk("dddd") + "0\r\n\r\n");
    });
  }
};

TEST_F(UpstreamStreamTest, BetweenChunksTimeoutRestartsOnEveryChunk) {
  // 20 chunks 100 ms apart against a 1 s timeout: each gap has ten times its length in hand
  // (a loaded machine stretching a gap past 350 ms failed the earlier 6 x 100 ms version),
  // and the whole stream (at least 1.9 s: the server sleeps between chunks) outlasts it.
  makeSlowChunkServer(20, milliseconds(100));
  makePool();
  RecordingHandler h;
  auto req = getRequest();
  req.timeout = milliseconds(1000);
  req.idle_timeout_after_headers = true;
  const auto start = Clock::now();
  auto ex = pool_->send(localOrigin(server_->port()), std::move(req), h);
  ASSERT_TRUE(runUntil([&] { return h.ended(); }, milliseconds(20000)));
  ASSERT_TRUE(h.completed) << h.error->detail;
  EXPECT_EQ(h.chunks.size(), 20u);
  // Longer than the timeout in total: the timer restarted with each chunk.
  EXPECT_GE(Clock::now() - start, milliseconds(1500));
}

TEST_F(UpstreamStreamTest, BetweenChunksTimeoutFiresWhenTheStreamStalls) {
  makeStallingServer();
  makePool();
  RecordingHandler h;
  auto req = getRequest();
  req.timeout = milliseconds(200);
  req.idle_timeout_after_headers = true;
  auto ex = pool_->send(localOrigin(server_->port()), std::move(req), h);
  ASSERT_TRUE(runUntil([&] { return h.ended(); }));
  ASSERT_TRUE(h.error);
  EXPECT_EQ(h.error->kind, UpstreamErrorKind::kTimeout);
  EXPECT_TRUE(h.error->response_started);
  EXPECT_EQ(h.error->detail, "no data from upstream for 200 ms");
  EXPECT_EQ(h.body(), "first");
  ASSERT_TRUE(runUntil([&] { return server_->closedByPeer() == 1; }));
  EXPECT_EQ(pool_->openConnections(), 0u);
}

TEST_F(UpstreamStreamTest, WholeRequestTimeoutAlsoCoversAStreamingBody) {
  makeSlowChunkServer(6, milliseconds(100));
  makePool();
  RecordingHandler h;
  auto req = getRequest();
  req.timeout = milliseconds(350);
  auto ex = pool_->send(localOrigin(server_->port()), std::move(req), h);
  ASSERT_TRUE(runUntil([&] { return h.ended(); }));
  ASSERT_TRUE(h.error);
  EXPECT_EQ(h.error->kind, UpstreamErrorKind::kTimeout);
  EXPECT_EQ(h.error->detail, "upstream request timed out after 350 ms");
  EXPECT_TRUE(h.error->response_started);
  EXPECT_GE(h.chunks.size(), 1u);
  EXPECT_LT(h.chunks.size(), 6u);
}

TEST_F(UpstreamStreamTest, DestroyingMidStreamClosesTheUpstreamConnection) {
  makeStallingServer();
  makePool();
  RecordingHandler h;
  auto ex = pool_->send(localOrigin(server_->port()), getRequest(), h);
  ASSERT_TRUE(runUntil([&] { return !h.chunks.empty(); }));
  EXPECT_EQ(pool_->openConnections(), 1u);
  ex.reset();
  ASSERT_TRUE(runUntil([&] { return server_->closedByPeer() == 1; }));
  EXPECT_EQ(pool_->openConnections(), 0u);
  EXPECT_EQ(pool_->idleConnections(), 0u);
  EXPECT_FALSE(h.ended());
}

TEST_F(UpstreamStreamTest, DestroyingBeforeConnectingCancelsQuietly) {
  makeServer([](TestServerConn& c, const std::string&) { c.send(okResponse("x")); });
  makePool();
  RecordingHandler h;
  auto ex = pool_->send(localOrigin(server_->port()), getRequest(), h);
  ex.reset();
  runFor(milliseconds(50));
  EXPECT_FALSE(h.ended());
  EXPECT_EQ(h.status, 0);
  EXPECT_EQ(pool_->openConnections(), 0u);
}

TEST_F(UpstreamStreamTest, DestroyInsideOnUpstreamDataStopsDelivery) {
  makeOneWriteServer();
  makePool();
  RecordingHandler h;
  UpstreamExchangePtr ex;
  h.on_data = [&](std::string_view) { ex.reset(); };
  ex = pool_->send(localOrigin(server_->port()), getRequest(), h);
  ASSERT_TRUE(runUntil([&] { return server_->closedByPeer() == 1; }));
  EXPECT_EQ(h.chunks, std::vector<std::string>{"a"});
  EXPECT_FALSE(h.ended());
  EXPECT_EQ(pool_->openConnections(), 0u);
}

TEST_F(UpstreamStreamTest, DestroyInsideOnUpstreamHeadersStopsDelivery) {
  makeOneWriteServer();
  makePool();
  RecordingHandler h;
  UpstreamExchangePtr ex;
  h.on_headers = [&] { ex.reset(); };
  ex = pool_->send(localOrigin(server_->port()), getRequest(), h);
  ASSERT_TRUE(runUntil([&] { return server_->closedByPeer() == 1; }));
  EXPECT_EQ(h.status, 200);
  EXPECT_TRUE(h.chunks.empty());
  EXPECT_FALSE(h.ended());
}

TEST_F(UpstreamStreamTest, DestroyInsideOnUpstreamCompleteKeepsThePooledConnection) {
  makeOneWriteServer();
  makePool();
  RecordingHandler h;
  UpstreamExchangePtr ex;
  h.on_complete = [&] { ex.reset(); };
  ex = pool_->send(localOrigin(server_->port()), getRequest(), h);
  ASSERT_TRUE(runUntil([&] { return h.completed; }));
  runFor(milliseconds(20));
  EXPECT_EQ(h.body(), "abbcccdddd");
  EXPECT_EQ(pool_->idleConnections(), 1u);
  EXPECT_EQ(server_->closedByPeer(), 0);
}

TEST_F(UpstreamStreamTest, DestroyInsideOnUpstreamErrorIsSafe) {
  makeServer([](TestServerConn& c, const std::string&) { c.send("garbage\r\n\r\n"); });
  makePool();
  RecordingHandler h;
  UpstreamExchangePtr ex;
  h.on_error = [&] { ex.reset(); };
  ex = pool_->send(localOrigin(server_->port()), getRequest(), h);
  ASSERT_TRUE(runUntil([&] { return h.ended(); }));
  runFor(milliseconds(20));
  EXPECT_EQ(h.error->kind, UpstreamErrorKind::kProtocol);
  EXPECT_EQ(ex, nullptr);
  EXPECT_EQ(pool_->openConnections(), 0u);
}

TEST_F(UpstreamStreamTest, PauseStopsDeliveryAndResumeDeliversTheRest) {
  makeOneWriteServer();
  makePool();
  RecordingHandler h;
  UpstreamExchangePtr ex;
  h.on_data = [&](std::string_view) {
    if (h.chunks.size() == 1) {
      ex->pauseReading();
    }
  };
  ex = pool_->send(localOrigin(server_->port()), getRequest(), h);
  ASSERT_TRUE(runUntil([&] { return !h.chunks.empty(); }));
  runFor(milliseconds(100));
  EXPECT_EQ(h.chunks, std::vector<std::string>{"a"});
  EXPECT_FALSE(h.ended());
  ex->resumeReading();
  EXPECT_EQ(h.chunks.size(), 1u);  // delivered from the loop, not inside resumeReading()
  ASSERT_TRUE(runUntil([&] { return h.ended(); }));
  ASSERT_TRUE(h.completed);
  EXPECT_EQ(h.chunks, (std::vector<std::string>{"a", "bb", "ccc", "dddd"}));
  EXPECT_EQ(pool_->idleConnections(), 1u);
}

TEST_F(UpstreamStreamTest, PauseSuspendsTheBetweenChunksTimer) {
  makeServer([](TestServerConn& c, const std::string&) {
    c.send(kChunkedHead + chunk("first"));
    c.sendAfter(milliseconds(50), chunk("second") + "0\r\n\r\n");
  });
  makePool();
  RecordingHandler h;
  UpstreamExchangePtr ex;
  h.on_data = [&](std::string_view) {
    if (h.chunks.size() == 1) {
      ex->pauseReading();
    }
  };
  auto req = getRequest();
  req.timeout = milliseconds(150);
  req.idle_timeout_after_headers = true;
  ex = pool_->send(localOrigin(server_->port()), std::move(req), h);
  ASSERT_TRUE(runUntil([&] { return !h.chunks.empty(); }));
  runFor(milliseconds(400));  // well past the between-chunks timeout
  EXPECT_FALSE(h.ended());
  ex->resumeReading();
  ASSERT_TRUE(runUntil([&] { return h.ended(); }));
  ASSERT_TRUE(h.completed) << h.error->detail;
  EXPECT_EQ(h.body(), "firstsecond");
}

TEST_F(UpstreamStreamTest, ConnectTimeoutWhenTheListenerNeverAccepts) {
  // A loopback listener with a full accept queue: further SYNs go unanswered.
  const int lfd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(lfd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(listen(lfd, 0), 0);
  socklen_t len = sizeof(addr);
  getsockname(lfd, reinterpret_cast<sockaddr*>(&addr), &len);
  std::vector<int> fillers;
  bool queue_full = false;
  for (int i = 0; i < 16 && !queue_full; ++i) {
    const int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    fillers.push_back(fd);
    connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    pollfd p{fd, POLLOUT, 0};
    queue_full = poll(&p, 1, 100) == 0;
  }
  if (!queue_full) {
    for (int fd : fillers) {
      close(fd);
    }
    close(lfd);
    GTEST_SKIP() << "this network stack completes connects despite a full accept queue";
  }
  makePool();
  RecordingHandler h;
  auto origin = localOrigin(ntohs(addr.sin_port));
  origin.connect_timeout = milliseconds(200);
  auto ex = pool_->send(origin, getRequest(), h);
  ASSERT_TRUE(runUntil([&] { return h.ended(); }));
  ASSERT_TRUE(h.error);
  EXPECT_EQ(h.error->kind, UpstreamErrorKind::kConnect);
  EXPECT_NE(h.error->detail.find("timed out after 200 ms"), std::string::npos) << h.error->detail;
  EXPECT_EQ(pool_->openConnections(), 0u);
  for (int fd : fillers) {
    close(fd);
  }
  close(lfd);
}

}  // namespace
}  // namespace slotgate::gateway::testing
