// The speculative write (gateway/event/speculative_write.h) on a real socket pair: one piece
// goes out with send, several with one sendmsg in order, a full socket keeps the rest buffered,
// a peer that has gone is an error and never a SIGPIPE, and writeNow on a bufferevent's frozen
// output.
#include "gateway/event/speculative_write.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <string>
#include <vector>

namespace slotgate::gateway {
namespace {

class SpeculativeWriteTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, fds_), 0);
    out_ = evbuffer_new();
  }
  void TearDown() override {
    evbuffer_free(out_);
    for (int fd : fds_) {
      if (fd >= 0) {
        close(fd);
      }
    }
  }
  // Everything the peer can read now.
  std::string received() {
    std::string all;
    char buf[65536];
    ssize_t n;
    while ((n = recv(fds_[1], buf, sizeof buf, MSG_DONTWAIT)) > 0) {
      all.append(buf, static_cast<size_t>(n));
    }
    return all;
  }
  // Adds `text` as a piece of its own (a reference: evbuffer_add would join small pieces).
  void addPiece(const std::string& text) {
    kept_.push_back(text);
    const std::string& kept = kept_.back();
    ASSERT_EQ(evbuffer_add_reference(out_, kept.data(), kept.size(), nullptr, nullptr), 0);
  }
  int pieces() { return evbuffer_peek(out_, -1, nullptr, nullptr, 0); }

  int fds_[2] = {-1, -1};
  evbuffer* out_ = nullptr;
  std::vector<std::string> kept_;  // reserved by each test: a piece points into its string
};

TEST_F(SpeculativeWriteTest, OnePieceGoesOutWhole) {
  evbuffer_add(out_, "hello", 5);
  ASSERT_EQ(pieces(), 1);
  EXPECT_EQ(sendBuffered(out_, fds_[0]), 5);
  EXPECT_EQ(evbuffer_get_length(out_), 0u);
  EXPECT_EQ(received(), "hello");
}

TEST_F(SpeculativeWriteTest, SeveralPiecesGoOutInOrder) {
  kept_.reserve(3);
  const std::string head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
  const std::string chunk = "7\r\n{\"a\":1}\r\n";
  const std::string last = "0\r\n\r\n";
  addPiece(head);
  addPiece(chunk);
  addPiece(last);
  ASSERT_EQ(pieces(), 3);
  EXPECT_EQ(sendBuffered(out_, fds_[0]),
            static_cast<ssize_t>(head.size() + chunk.size() + last.size()));
  EXPECT_EQ(evbuffer_get_length(out_), 0u);
  EXPECT_EQ(received(), head + chunk + last);
}

// Past 64 pieces one call sends the first 64; the next sends the rest, in order.
TEST_F(SpeculativeWriteTest, PiecesPastTheLimitGoOutOnTheNextCall) {
  kept_.reserve(100);
  std::string expected;
  for (int i = 0; i < 100; ++i) {
    addPiece(std::to_string(i) + ",");
    expected += std::to_string(i) + ",";
  }
  ASSERT_EQ(pieces(), 100);
  const ssize_t first = sendBuffered(out_, fds_[0]);
  EXPECT_GT(first, 0);
  EXPECT_EQ(pieces(), 36);
  EXPECT_EQ(sendBuffered(out_, fds_[0]), static_cast<ssize_t>(expected.size()) - first);
  EXPECT_EQ(received(), expected);
}

TEST_F(SpeculativeWriteTest, AFullSocketKeepsTheRestBuffered) {
  const std::string big(8 << 20, 'x');
  evbuffer_add(out_, big.data(), big.size());
  const ssize_t sent = sendBuffered(out_, fds_[0]);
  ASSERT_GT(sent, 0);
  ASSERT_LT(sent, static_cast<ssize_t>(big.size()));
  EXPECT_EQ(evbuffer_get_length(out_), big.size() - static_cast<size_t>(sent));
  // The socket is full now: nothing more goes, nothing is lost.
  errno = 0;
  EXPECT_EQ(sendBuffered(out_, fds_[0]), -1);
  EXPECT_TRUE(errno == EAGAIN || errno == EWOULDBLOCK) << errno;
  EXPECT_EQ(evbuffer_get_length(out_), big.size() - static_cast<size_t>(sent));
}

// With SIGPIPE's default action a write to a closed peer would end this test process.
TEST_F(SpeculativeWriteTest, AGonePeerIsAnErrorNotASignal) {
  auto* previous = std::signal(SIGPIPE, SIG_DFL);
  close(fds_[1]);
  fds_[1] = -1;
  evbuffer_add(out_, "late", 4);
  errno = 0;
  EXPECT_EQ(sendBuffered(out_, fds_[0]), -1);
  EXPECT_EQ(errno, EPIPE);
  EXPECT_EQ(evbuffer_get_length(out_), 4u);  // kept for the bufferevent to report
  std::signal(SIGPIPE, previous);
}

TEST_F(SpeculativeWriteTest, AnEmptyBufferSendsNothing) {
  EXPECT_EQ(sendBuffered(out_, fds_[0]), 0);
  EXPECT_EQ(received(), "");
}

// writeNow thaws the bufferevent's frozen output for the write: a full socket is not an error,
// a gone peer is.
TEST_F(SpeculativeWriteTest, WriteNowSendsABuffereventsOutput) {
  event_base* base = event_base_new();
  bufferevent* bev = bufferevent_socket_new(base, fds_[0], 0);
  evbuffer* out = bufferevent_get_output(bev);
  bufferevent_write(bev, "GET / HTTP/1.1\r\n\r\n", 18);
  EXPECT_TRUE(writeNow(bev));
  EXPECT_EQ(evbuffer_get_length(out), 0u);
  EXPECT_EQ(received(), "GET / HTTP/1.1\r\n\r\n");

  const std::string big(8 << 20, 'x');
  bufferevent_write(bev, big.data(), big.size());
  EXPECT_TRUE(writeNow(bev));
  EXPECT_GT(evbuffer_get_length(out), 0u);
  EXPECT_TRUE(writeNow(bev));  // full: nothing sent, not an error

  auto* previous = std::signal(SIGPIPE, SIG_DFL);
  close(fds_[1]);
  fds_[1] = -1;
  EXPECT_FALSE(writeNow(bev));
  std::signal(SIGPIPE, previous);
  bufferevent_free(bev);
  event_base_free(base);
}

}  // namespace
}  // namespace slotgate::gateway
