// slotgate end to end, HTTP/1.1 framing over raw sockets (SPEC section 3): malformed requests
// get 400 and a closed connection and never reach the upstream; header_timeout closes a
// connection that sends half a head; keep-alive serves several requests on one connection.
#include <gtest/gtest.h>

#include "tests/integration/gateway_fixture.h"

namespace slotgate::testing {
namespace {

const std::string kBody = R"({"model":"gpt-test","messages":[{"role":"user","content":"hi"}]})";

std::string auth() { return std::string("Authorization: Bearer ") + kClientKey + "\r\n"; }

// A complete, valid request with `extraHeaders` (CRLF-terminated lines) and kBody.
std::string validRequest(const std::string& extraHeaders = "") {
  return "POST /v1/chat/completions HTTP/1.1\r\nHost: gw\r\n" + auth() +
         "Content-Type: application/json\r\nContent-Length: " + std::to_string(kBody.size()) +
         "\r\n" + extraHeaders + "\r\n" + kBody;
}

// Reads one HTTP/1.1 response (Content-Length or chunked) from `conn`; returns its status
// line + headers + body, or "" if it does not complete within `timeout`.
struct RawResponse {
  int status = 0;
  std::string head;
  std::string body;
};

std::optional<RawResponse> readResponse(RawConnection& conn, size_t& consumed, Millis timeout) {
  const auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    const std::string& all = conn.received();
    const std::string_view data = std::string_view(all).substr(consumed);
    const size_t headEnd = data.find("\r\n\r\n");
    if (headEnd != std::string_view::npos) {
      RawResponse r;
      r.head = std::string(data.substr(0, headEnd + 2));
      r.status = std::atoi(r.head.c_str() + 9);
      std::string lower = r.head;
      for (char& c : lower) {
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      }
      size_t pos = headEnd + 4;
      if (const size_t cl = lower.find("\r\ncontent-length:"); cl != std::string::npos) {
        const size_t length = std::strtoul(lower.c_str() + cl + 17, nullptr, 10);
        if (data.size() >= pos + length) {
          r.body = std::string(data.substr(pos, length));
          consumed += pos + length;
          return r;
        }
      } else if (lower.find("transfer-encoding: chunked") != std::string::npos) {
        bool complete = false;
        std::string body;
        while (true) {
          const size_t lineEnd = data.find("\r\n", pos);
          if (lineEnd == std::string_view::npos) {
            break;
          }
          const size_t size =
              std::strtoul(std::string(data.substr(pos, lineEnd - pos)).c_str(), nullptr, 16);
          if (data.size() < lineEnd + 2 + size + 2) {
            break;
          }
          body += data.substr(lineEnd + 2, size);
          pos = lineEnd + 2 + size + 2;
          if (size == 0) {
            complete = true;
            break;
          }
        }
        if (complete) {
          r.body = body;
          consumed += pos;
          return r;
        }
      }
    }
    if (conn.peerClosed()) {
      return std::nullopt;
    }
    conn.readFor(10ms);
  }
  return std::nullopt;
}

class GatewayHttp : public ::testing::Test {
 protected:
  static GatewayConfig config(const MockProvider& mock) {
    GatewayConfig c = standardConfig(mock);
    c.headerTimeout = "500ms";
    return c;
  }
  GatewayHttp() : gateway_(config(mock_)) {}

  // Sends `bytes`, expects a 400 answer and the connection closed, and nothing upstream.
  void expectRejected(const std::string& bytes) {
    std::string received;
    const bool closed = rawConnectionClosedWithin(gateway_.port(), bytes, 3s, &received);
    EXPECT_EQ(received.rfind("HTTP/1.1 400", 0), 0u) << "got: " << received;
    EXPECT_TRUE(closed) << "connection left open after a malformed request";
    EXPECT_EQ(mock_.stats()["requests"], 0) << "a malformed request reached the upstream";
  }

  MockProvider mock_;
  Gateway gateway_;
};

TEST_F(GatewayHttp, ValidRawRequestWorks) {
  RawConnection conn(gateway_.port());
  conn.send(validRequest("Connection: close\r\n"));
  size_t consumed = 0;
  const auto response = readResponse(conn, consumed, 5s);
  ASSERT_TRUE(response.has_value()) << conn.received();
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(mock_.stats()["requests"], 1);
}

TEST_F(GatewayHttp, ContentLengthWithTransferEncoding) {
  char size[16];
  snprintf(size, sizeof(size), "%zx", kBody.size());
  expectRejected(
      "POST /v1/chat/completions HTTP/1.1\r\nHost: gw\r\n" + auth() +
      "Content-Type: application/json\r\nContent-Length: " + std::to_string(kBody.size()) +
      "\r\nTransfer-Encoding: chunked\r\n\r\n" + size + "\r\n" + kBody + "\r\n0\r\n\r\n");
}

TEST_F(GatewayHttp, TwoContentLengths) {
  expectRejected("POST /v1/chat/completions HTTP/1.1\r\nHost: gw\r\n" + auth() +
                 "Content-Length: " + std::to_string(kBody.size()) + "\r\nContent-Length: " +
                 std::to_string(kBody.size() + 1) + "\r\n\r\n" + kBody + " ");
}

TEST_F(GatewayHttp, TwoEqualContentLengths) {
  expectRejected("POST /v1/chat/completions HTTP/1.1\r\nHost: gw\r\n" + auth() +
                 "Content-Length: " + std::to_string(kBody.size()) +
                 "\r\nContent-Length: " + std::to_string(kBody.size()) + "\r\n\r\n" + kBody);
}

TEST_F(GatewayHttp, ObsFold) { expectRejected(validRequest("X-Folded: first\r\n  continued\r\n")); }

TEST_F(GatewayHttp, BareLineFeeds) {
  expectRejected("POST /v1/chat/completions HTTP/1.1\nHost: gw\n" + std::string("Authorization: ") +
                 "Bearer " + kClientKey + "\nContent-Length: " + std::to_string(kBody.size()) +
                 "\n\n" + kBody);
}

TEST_F(GatewayHttp, BadChunkSize) {
  expectRejected("POST /v1/chat/completions HTTP/1.1\r\nHost: gw\r\n" + auth() +
                 "Transfer-Encoding: chunked\r\n\r\nzz\r\n" + kBody + "\r\n0\r\n\r\n");
}

TEST_F(GatewayHttp, SpaceInTarget) {
  expectRejected("POST /v1/chat completions HTTP/1.1\r\nHost: gw\r\n" + auth() +
                 "Content-Length: " + std::to_string(kBody.size()) + "\r\n\r\n" + kBody);
}

TEST_F(GatewayHttp, HeaderTimeoutClosesHalfAHead) {
  RawConnection conn(gateway_.port());
  ASSERT_TRUE(conn.connected());
  ASSERT_TRUE(conn.send("POST /v1/chat/completions HTTP/1.1\r\nHost: gw\r\n"));
  // header_timeout is 500ms (idle_timeout 60s): the close comes from the former, as the
  // rejects counter says (not a stopwatch: a busy machine may close it late).
  EXPECT_TRUE(conn.waitClosed(30s));
  EXPECT_TRUE(eventually(
      [&] {
        return gateway_.metricValue("slotgate_http_rejects_total",
                                    {{"reason", "header_timeout"}}) == 1.0;
      },
      20s));
  EXPECT_EQ(mock_.stats()["requests"], 0);
}

TEST_F(GatewayHttp, KeepAliveServesTwoRequestsOnOneConnection) {
  RawConnection conn(gateway_.port());
  ASSERT_TRUE(conn.connected());
  size_t consumed = 0;
  ASSERT_TRUE(conn.send(validRequest("X-Request-Id: ka-1\r\n")));
  const auto first = readResponse(conn, consumed, 5s);
  ASSERT_TRUE(first.has_value()) << conn.received();
  EXPECT_EQ(first->status, 200);
  EXPECT_NE(first->head.find("ka-1"), std::string::npos);
  EXPECT_FALSE(conn.peerClosed());

  ASSERT_TRUE(conn.send(validRequest("X-Request-Id: ka-2\r\n")));
  const auto second = readResponse(conn, consumed, 5s);
  ASSERT_TRUE(second.has_value()) << conn.received();
  EXPECT_EQ(second->status, 200);
  EXPECT_NE(second->head.find("ka-2"), std::string::npos);
  EXPECT_EQ(nlohmann::json::parse(second->body, nullptr, false)["object"], "chat.completion");
  EXPECT_EQ(mock_.stats()["requests"], 2);

  // An error answered after the whole body was read keeps the connection too.
  const std::string unknownModel = R"({"model":"no-such-model"})";
  ASSERT_TRUE(conn.send("POST /v1/chat/completions HTTP/1.1\r\nHost: gw\r\n" + auth() +
                        "Content-Length: " + std::to_string(unknownModel.size()) + "\r\n\r\n" +
                        unknownModel));
  const auto third = readResponse(conn, consumed, 5s);
  ASSERT_TRUE(third.has_value()) << conn.received();
  EXPECT_EQ(third->status, 404);
  ASSERT_TRUE(conn.send(validRequest()));
  const auto fourth = readResponse(conn, consumed, 5s);
  ASSERT_TRUE(fourth.has_value()) << conn.received();
  EXPECT_EQ(fourth->status, 200);
}

}  // namespace
}  // namespace slotgate::testing
