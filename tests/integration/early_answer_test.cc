// Early answers are delivered (SPEC section 3): an answer sent before the request body was
// read (401, 404, 413) reaches a client that is still uploading, because the gateway
// lingers (reads and drops the rest of the upload) instead of closing into a reset. The
// client here behaves like the SDKs' upload path: it writes the whole body, then reads.
// Its send buffer is small, so the body cannot hide in socket buffers: every byte has to
// be read by the gateway, or the upload fails with a reset.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "tests/integration/gateway_fixture.h"

namespace slotgate::testing {
namespace {

constexpr size_t kElevenMiB = 11u << 20;

struct Upload {
  bool body_sent = false;  // every body byte was accepted by the socket
  std::string send_error;  // strerror of the failed send, if any
  std::string answer;      // everything read after the upload, until end-of-stream
  bool reset = false;      // the read ended with an error (reset), not end-of-stream
};

// Sends `head`, then `body_size` bytes of body (framed by the caller's head: raw bytes, or
// `chunked` pieces of 64 KiB), then reads until the gateway closes.
Upload upload(uint16_t port, const std::string& head, size_t body_size, bool chunked) {
  Upload result;
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const int small = 64 << 10;
  setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
  const timeval tv{30, 0};
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    result.send_error = "connect failed";
    close(fd);
    return result;
  }
  auto sendAll = [&](const std::string& bytes) {
    size_t off = 0;
    while (off < bytes.size()) {
      const ssize_t n = send(fd, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) {
        continue;
      }
      if (n <= 0) {
        result.send_error = std::strerror(errno);
        return false;
      }
      off += static_cast<size_t>(n);
    }
    return true;
  };
  bool ok = sendAll(head);
  const std::string piece(64 << 10, 'x');
  char size_line[32];
  std::snprintf(size_line, sizeof size_line, "%zx\r\n", piece.size());
  for (size_t sent = 0; ok && sent < body_size; sent += piece.size()) {
    ok = chunked ? sendAll(size_line + piece + "\r\n") : sendAll(piece);
  }
  if (ok && chunked) {
    ok = sendAll("0\r\n\r\n");
  }
  result.body_sent = ok;
  while (true) {
    pollfd pfd{fd, POLLIN, 0};
    if (poll(&pfd, 1, 30000) != 1) {
      break;
    }
    char buf[16384];
    const ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      result.reset = n < 0;
      break;
    }
    result.answer.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  return result;
}

std::string postHead(const std::string& path, const std::string& key, const std::string& framing) {
  return "POST " + path + " HTTP/1.1\r\nHost: gw\r\nAuthorization: Bearer " + key +
         "\r\nContent-Type: application/json\r\n" + framing + "\r\n";
}

class EarlyAnswer : public ::testing::Test {
 protected:
  EarlyAnswer() : gateway_(standardConfig(mock_)) {}  // max_request_body: 10MiB

  MockProvider mock_;
  Gateway gateway_;
};

TEST_F(EarlyAnswer, WrongKeyDuringAnElevenMiBUploadIsRead) {
  const Upload u = upload(gateway_.port(),
                          postHead("/v1/chat/completions", "sk-wrong-key-000",
                                   "Content-Length: " + std::to_string(kElevenMiB) + "\r\n"),
                          kElevenMiB, false);
  EXPECT_TRUE(u.body_sent) << "upload reset: " << u.send_error;
  EXPECT_EQ(u.answer.rfind("HTTP/1.1 401 ", 0), 0u) << u.answer;
  EXPECT_NE(u.answer.find("\"code\":\"invalid_api_key\""), std::string::npos) << u.answer;
  EXPECT_FALSE(u.reset);
  EXPECT_EQ(mock_.stats()["requests"], 0);
}

TEST_F(EarlyAnswer, BodyOverTheLimitByContentLengthIsRead) {
  const Upload u = upload(gateway_.port(),
                          postHead("/v1/chat/completions", kClientKey,
                                   "Content-Length: " + std::to_string(kElevenMiB) + "\r\n"),
                          kElevenMiB, false);
  EXPECT_TRUE(u.body_sent) << "upload reset: " << u.send_error;
  EXPECT_EQ(u.answer.rfind("HTTP/1.1 413 ", 0), 0u) << u.answer;
  EXPECT_NE(u.answer.find("\"code\":\"request_too_large\""), std::string::npos) << u.answer;
  EXPECT_FALSE(u.reset);
}

TEST_F(EarlyAnswer, ChunkedBodyOverTheLimitIsRead) {
  // The limit is noticed in the middle of the body: 413 then, and the rest is dropped.
  const Upload u =
      upload(gateway_.port(),
             postHead("/v1/chat/completions", kClientKey, "Transfer-Encoding: chunked\r\n"),
             kElevenMiB, true);
  EXPECT_TRUE(u.body_sent) << "upload reset: " << u.send_error;
  EXPECT_EQ(u.answer.rfind("HTTP/1.1 413 ", 0), 0u) << u.answer;
  EXPECT_FALSE(u.reset);
}

TEST_F(EarlyAnswer, UnknownPathDuringAnUploadIsRead) {
  const Upload u = upload(gateway_.port(),
                          postHead("/v1/no-such-path", kClientKey,
                                   "Content-Length: " + std::to_string(kElevenMiB) + "\r\n"),
                          kElevenMiB, false);
  EXPECT_TRUE(u.body_sent) << "upload reset: " << u.send_error;
  EXPECT_EQ(u.answer.rfind("HTTP/1.1 404 ", 0), 0u) << u.answer;
  EXPECT_FALSE(u.reset);
}

TEST_F(EarlyAnswer, TheGatewayStillServesAfterwards) {
  (void)upload(gateway_.port(),
               postHead("/v1/chat/completions", "sk-wrong-key-000",
                        "Content-Length: " + std::to_string(kElevenMiB) + "\r\n"),
               kElevenMiB, false);
  const HttpResponse ok = gateway_.chat("gpt-test");
  EXPECT_EQ(ok.status, 200) << ok.body;
  // The lingering connection is counted closed once the client left.
  EXPECT_TRUE(eventually([&] {
    return gateway_.metricValue("slotgate_downstream_connections_closed_total").value_or(0) >= 2;
  }));
}

}  // namespace
}  // namespace slotgate::testing
