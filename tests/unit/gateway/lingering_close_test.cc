// LingeringClose on a real TCP connection over loopback: the peer reads the answer and
// then end-of-stream (not a reset) while it keeps uploading, everything it sends is read
// and dropped, and lingering ends at the client's close, the byte limit, the time without
// a byte, or drain().
#include "gateway/downstream/lingering_close.h"

#include <arpa/inet.h>
#include <event2/event.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <string>

#include "gateway/event/libevent_ptr.h"
#include "upstream_test_server.h"

namespace slotgate::gateway::testing {
namespace {

using std::chrono::milliseconds;

// A connected loopback pair: `client` (blocking, the test's side) and `server`
// (non-blocking, handed to LingeringClose).
struct TcpPair {
  int client = -1;
  int server = -1;
  TcpPair() {
    const int listener = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr);
    bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    listen(listener, 1);
    getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len);
    client = socket(AF_INET, SOCK_STREAM, 0);
    connect(client, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    server = accept(listener, nullptr, nullptr);
    close(listener);
    fcntl(server, F_SETFL, fcntl(server, F_GETFL) | O_NONBLOCK);
  }
  ~TcpPair() {
    if (client >= 0) {
      close(client);
    }
  }
};

class LingeringCloseTest : public ::testing::Test {
 protected:
  LingeringCloseTest() : base_(event_base_new()) {}

  void start(int fd, LingerLimits limits) {
    lingering_ = std::make_unique<LingeringClose>(
        base_.get(), fd, limits, [this](LingeringClose&, const char* why) { why_ = why; });
  }
  bool runUntilDone(milliseconds limit = milliseconds(10000)) {
    return runUntil(
        base_.get(), [&] { return !why_.empty(); }, limit);
  }

  EventBasePtr base_;
  std::unique_ptr<LingeringClose> lingering_;
  std::string why_;
};

TEST_F(LingeringCloseTest, AnswerIsReadThenEndOfStreamWhileTheUploadIsDropped) {
  TcpPair pair;
  // The answer is written before lingering starts (as Http1Connection does).
  const std::string answer = "HTTP/1.1 401 Unauthorized\r\ncontent-length: 0\r\n\r\n";
  ASSERT_EQ(send(pair.server, answer.data(), answer.size(), 0),
            static_cast<ssize_t>(answer.size()));
  start(pair.server, LingerLimits{});
  // The client keeps uploading more than any socket buffer holds; the loop drains it.
  const std::string block(1 << 20, 'x');
  size_t sent = 0;
  while (sent < (8u << 20)) {
    pollfd pfd{pair.client, POLLOUT, 0};
    if (poll(&pfd, 1, 0) == 1) {
      const ssize_t n = send(pair.client, block.data(), block.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
      ASSERT_TRUE(n > 0 || errno == EAGAIN) << "upload failed: " << strerror(errno);
      sent += n > 0 ? static_cast<size_t>(n) : 0;
    }
    event_base_loop(base_.get(), EVLOOP_NONBLOCK);
  }
  // The answer, then end-of-stream: no reset.
  std::string got(answer.size() + 16, '\0');
  ssize_t n = recv(pair.client, got.data(), got.size(), MSG_WAITALL);
  ASSERT_EQ(n, static_cast<ssize_t>(answer.size()));
  got.resize(static_cast<size_t>(n));
  EXPECT_EQ(got, answer);
  EXPECT_TRUE(why_.empty());
  shutdown(pair.client, SHUT_WR);  // the client is done
  ASSERT_TRUE(runUntilDone());
  EXPECT_EQ(why_, "client_done");
  EXPECT_EQ(lingering_->droppedBytes(), sent);
}

TEST_F(LingeringCloseTest, StopsAtTheByteLimit) {
  TcpPair pair;
  LingerLimits limits;
  limits.max_bytes = 64 << 10;
  start(pair.server, limits);
  const std::string block(256 << 10, 'x');
  // Sending may block once the limit closed the socket; non-blocking sends until done.
  while (why_.empty()) {
    (void)send(pair.client, block.data(), block.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
    event_base_loop(base_.get(), EVLOOP_NONBLOCK);
  }
  EXPECT_EQ(why_, "linger_bytes");
  EXPECT_GT(lingering_->droppedBytes(), limits.max_bytes);
}

TEST_F(LingeringCloseTest, StopsWhenTheClientSendsNothing) {
  TcpPair pair;
  LingerLimits limits;
  limits.between = milliseconds(100);
  start(pair.server, limits);
  ASSERT_TRUE(runUntilDone());
  EXPECT_EQ(why_, "linger_timeout");
  // The server side is gone: the client reads end-of-stream.
  char byte;
  EXPECT_EQ(recv(pair.client, &byte, 1, 0), 0);
}

TEST_F(LingeringCloseTest, StopsAtTheTotalTimeEvenWhileBytesKeepComing) {
  TcpPair pair;
  LingerLimits limits;
  limits.total = milliseconds(200);
  start(pair.server, limits);
  const std::string block(1024, 'x');
  while (why_.empty()) {
    (void)send(pair.client, block.data(), block.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
    runFor(base_.get(), milliseconds(20));
  }
  EXPECT_EQ(why_, "linger_time");
}

TEST_F(LingeringCloseTest, DrainEndsItAtOnce) {
  TcpPair pair;
  start(pair.server, LingerLimits{});
  lingering_->drain();
  EXPECT_EQ(why_, "draining");
  char byte;
  EXPECT_EQ(recv(pair.client, &byte, 1, 0), 0);
}

}  // namespace
}  // namespace slotgate::gateway::testing
