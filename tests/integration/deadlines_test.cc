// slotgate end to end, deadlines on progress rather than on bytes (SPEC section 2:
// body_timeout, idle_timeout): a request body trickled a byte at a time is cut at
// body_timeout, and a client that reads its (large) answer a byte at a time is cut after
// idle_timeout with its slots freed. Neither trickle can reset its deadline (the write timeout
// restarts on every write the trickle allows). Every deadline
// here is generous; no test asserts when exactly the cut comes.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>

#include "tests/integration/gateway_fixture.h"

namespace slotgate::testing {
namespace {

std::string chatHead(size_t contentLength, const std::string& extra = "") {
  return std::string("POST /v1/chat/completions HTTP/1.1\r\nHost: gw\r\nAuthorization: Bearer ") +
         kClientKey + "\r\nContent-Type: application/json\r\n" + extra +
         "Content-Length: " + std::to_string(contentLength) + "\r\n\r\n";
}

double slotsInUse(const Gateway& gw) {
  return gw.metricValue("concurrency_slots_in_use", {{"key_id", "openai-key"}}).value_or(-1) +
         gw.metricValue("concurrency_slots_in_use", {{"key_id", "team-a"}}).value_or(-1);
}

TEST(Deadlines, TrickledBodyIsCutAtBodyTimeout) {
  MockProvider mock;
  GatewayConfig config = standardConfig(mock);
  config.bodyTimeout = "1s";  // idle_timeout stays 60s: only body_timeout can cut it
  Gateway gw(config);
  const std::string body = R"({"model":"gpt-test","messages":[]})";
  RawConnection conn(gw.port());
  ASSERT_TRUE(conn.send(chatHead(body.size() + 1000) + body.substr(0, 1)));
  // One byte every 100 ms would take minutes to complete the body.
  bool closed = false;
  const auto deadline = Clock::now() + 20s;
  for (size_t i = 1; Clock::now() < deadline && !closed; ++i) {
    if (!conn.send(std::string(1, i < body.size() ? body[i] : ' '))) {
      closed = true;
      break;
    }
    closed = conn.waitClosed(100ms);
  }
  EXPECT_TRUE(closed) << "the trickled body held the connection";
  EXPECT_TRUE(eventually(
      [&] {
        return gw.metricValue("slotgate_http_rejects_total", {{"reason", "body_timeout"}}) == 1.0;
      },
      5s));
  EXPECT_EQ(mock.stats()["requests"], 0);
  EXPECT_EQ(slotsInUse(gw), 0.0);
  EXPECT_EQ(gw.chat("gpt-test").status, 200);
}

TEST(Deadlines, BodyArrivingSteadilyWithinBodyTimeoutIsServed) {
  MockProvider mock;
  GatewayConfig config = standardConfig(mock);
  config.bodyTimeout = "10s";
  Gateway gw(config);
  const std::string body = R"({"model":"gpt-test","messages":[]})";
  RawConnection conn(gw.port());
  ASSERT_TRUE(conn.send(chatHead(body.size(), "Connection: close\r\n") + body.substr(0, 10)));
  std::this_thread::sleep_for(200ms);
  ASSERT_TRUE(conn.send(body.substr(10)));
  ASSERT_TRUE(conn.waitClosed(10s));
  EXPECT_EQ(conn.received().rfind("HTTP/1.1 200", 0), 0u) << conn.received();
}

// A client socket with a small receive buffer that reads `step` bytes every `every`.
class SlowReader {
 public:
  explicit SlowReader(uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    // Linux doubles it and advertises half of that: 8 KiB of window.
    int small = 8192;
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(port);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  }
  ~SlowReader() { ::close(fd_); }
  [[nodiscard]] bool connected() const { return connected_; }
  bool send(const std::string& bytes) {
    return ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) ==
           static_cast<ssize_t>(bytes.size());
  }
  // Reads up to `max` bytes if some are there within `wait`; false once the peer closed.
  bool readSome(size_t max, Millis wait) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(wait.count())) <= 0) {
      return true;
    }
    char buf[4096];
    const ssize_t n = ::recv(fd_, buf, std::min(max, sizeof buf), 0);
    if (n > 0) {
      read_ += static_cast<size_t>(n);
    }
    return n > 0;
  }
  [[nodiscard]] size_t bytesRead() const { return read_; }

 private:
  int fd_ = -1;
  bool connected_ = false;
  size_t read_ = 0;
};

TEST(Deadlines, SlowReaderOfALargeAnswerIsCutAndItsSlotsFreed) {
  MockProvider mock;
  GatewayConfig config = standardConfig(mock);
  config.idleTimeout = "2s";
  Gateway gw(config);
  const std::string body = R"({"model":"gpt-test","messages":[]})";
  SlowReader reader(gw.port());
  ASSERT_TRUE(reader.connected());
  ASSERT_TRUE(reader.send(chatHead(body.size(), "x-mock-body-bytes: 8388608\r\n") + body));
  ASSERT_TRUE(eventually([&] { return slotsInUse(gw) == 2.0; }, 10s));
  // Half the window every 500 ms, 8 KiB a second. Whichever notices first cuts it: the
  // slow-reader rule (64 KiB per idle_timeout), or the write timeout when the kernel's send
  // buffer is so full that the trickle never makes the socket writable within idle_timeout
  // (Linux wakes a writer only once a third of the buffer is free). The kernel still holds
  // bytes for the client after the gateway closed, so the cut is seen from the gateway's side:
  // the connection closed and both slots freed.
  auto cut = [&] {
    const auto closes = [&](const char* reason) {
      return gw.metricValue("slotgate_downstream_connections_closed_total", {{"reason", reason}})
          .value_or(0);
    };
    return closes("slow_reader") + closes("write_timeout") >= 1.0 && slotsInUse(gw) == 0.0;
  };
  bool was_cut = false;
  const auto deadline = Clock::now() + 40s;
  while (!was_cut && Clock::now() < deadline) {
    (void)reader.readSome(4096, 10ms);
    std::this_thread::sleep_for(500ms);
    was_cut = cut();
  }
  EXPECT_TRUE(was_cut) << "a trickle held the answer and its slots; read " << reader.bytesRead()
                       << "\n"
                       << gw.metricsText();
  EXPECT_EQ(gw.chat("gpt-test").status, 200);
}

TEST(Deadlines, ReaderKeepingUpGetsALargeAnswerWhole) {
  MockProvider mock;
  GatewayConfig config = standardConfig(mock);
  config.idleTimeout = "1s";
  Gateway gw(config);
  const auto r = gw.chat("gpt-test", kClientKey, {{"x-mock-body-bytes", "8388608"}}, 30s);
  EXPECT_EQ(r.status, 200);
  EXPECT_GE(r.body.size(), 8388608u);
  EXPECT_EQ(
      gw.metricValue("slotgate_downstream_connections_closed_total", {{"reason", "slow_reader"}})
          .value_or(0),
      0.0);
}

}  // namespace
}  // namespace slotgate::testing
