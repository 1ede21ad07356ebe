// The mock provider's hold/release control (x-mock-hold, /mock/held, /mock/release): the
// control the slot tests use to keep a request in flight for exactly as long as they decide.
#include <gtest/gtest.h>

#include <future>
#include <string>

#include "tests/integration/harness.h"

namespace slotgate::testing {
namespace {

const std::string kChat = R"({"model":"m"})";
const std::string kStream = R"({"model":"m","stream":true})";

Headers json(Headers extra) {
  extra.emplace_back("Content-Type", "application/json");
  return extra;
}

std::string rawPost(const std::string& body, const std::string& headers) {
  return "POST /v1/chat/completions HTTP/1.1\r\nHost: mock\r\nContent-Type: application/json\r\n" +
         headers + "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

// Reads until `needle` has arrived on `conn` (or the peer closed / 20 s passed).
bool readUntil(RawConnection& conn, const std::string& needle) {
  return eventually(
             [&] {
               conn.readFor(20ms);
               return conn.received().find(needle) != std::string::npos || conn.peerClosed();
             },
             20s) &&
         conn.received().find(needle) != std::string::npos;
}

TEST(MockProviderHold, HeldAnswersWaitForReleaseAndLeaveOldestFirst) {
  MockProvider mock({"--threads", "2"});
  std::vector<std::future<HttpResponse>> answers;
  for (int i = 0; i < 3; ++i) {
    answers.push_back(std::async(std::launch::async, [&mock] {
      return request("POST", mock.url("/v1/chat/completions"), json(mockHold("q")), kChat, 60s);
    }));
    // Each arrives before the next is sent, so arrival order is request order.
    ASSERT_TRUE(mock.waitHeld("q", i + 1));
  }
  EXPECT_EQ(mock.stats()["inflight"], 3);
  EXPECT_EQ(mock.stats()["completed"], 0);
  EXPECT_EQ(mock.release("q", 1), 1);
  EXPECT_EQ(answers[0].get().status, 200);
  EXPECT_EQ(mock.held("q"), 2);
  EXPECT_EQ(mock.stats()["completed"], 1);  // the other two are still held
  EXPECT_EQ(mock.release("q"), 2);
  EXPECT_EQ(answers[1].get().status, 200);
  EXPECT_EQ(answers[2].get().status, 200);
  const auto counts = request("GET", mock.url("/mock/held?name=q")).json();
  EXPECT_EQ(counts["held"], 0);
  EXPECT_EQ(counts["arrived"], 3);
  EXPECT_EQ(counts["released"], 3);
  EXPECT_EQ(mock.release("q"), 0);
  EXPECT_EQ(mock.held("other-name"), 0);
}

TEST(MockProviderHold, AHeldStreamSendsItsHeadersAndHoldsItsContent) {
  MockProvider mock;
  RawConnection conn(mock.port());
  ASSERT_TRUE(conn.send(rawPost(kStream, "x-mock-hold: s\r\nx-mock-chunks: 2\r\n")));
  ASSERT_TRUE(readUntil(conn, "\"role\":\"assistant\""));
  ASSERT_TRUE(mock.waitHeld("s", 1));
  EXPECT_EQ(conn.received().find("tok0"), std::string::npos);
  EXPECT_EQ(mock.release("s"), 1);
  ASSERT_TRUE(readUntil(conn, "[DONE]"));
  EXPECT_NE(conn.received().find("tok1"), std::string::npos);
}

TEST(MockProviderHold, HoldAtHeadersKeepsTheWholeStream) {
  MockProvider mock;
  RawConnection conn(mock.port());
  ASSERT_TRUE(conn.send(rawPost(kStream, "x-mock-hold: h\r\nx-mock-hold-at: headers\r\n")));
  ASSERT_TRUE(mock.waitHeld("h", 1));
  conn.readFor(100ms);
  EXPECT_EQ(conn.received(), "");  // held before the first byte
  EXPECT_EQ(mock.release("h"), 1);
  ASSERT_TRUE(readUntil(conn, "[DONE]"));
  EXPECT_EQ(conn.received().rfind("HTTP/1.1 200", 0), 0u) << conn.received();
}

TEST(MockProviderHold, AHeldErrorAnswersAfterRelease) {
  MockProvider mock;
  auto answer = std::async(std::launch::async, [&mock] {
    return request("POST", mock.url("/v1/chat/completions"),
                   json(mockHold("e", {{"x-mock-fail", "500"}})), kStream, 60s);
  });
  ASSERT_TRUE(mock.waitHeld("e", 1));
  EXPECT_EQ(mock.stats()["completed"], 0);
  EXPECT_EQ(mock.release("e"), 1);
  EXPECT_EQ(answer.get().status, 500);
}

TEST(MockProviderHold, AClientGoingAwayLeavesTheHoldAndCountsCancelled) {
  MockProvider mock;
  const auto gaveUp =
      request("POST", mock.url("/v1/chat/completions"), json(mockHold("c")), kChat, 300ms);
  EXPECT_EQ(gaveUp.curlCode, kCurlTimeout);
  EXPECT_TRUE(eventually([&] { return mock.stats()["cancelled"] == 1; }, 20s));
  EXPECT_EQ(mock.held("c"), 0);
  EXPECT_EQ(mock.release("c"), 0);
  EXPECT_EQ(mock.stats()["inflight"], 0);
}

TEST(MockProviderHold, ResetReleasesEverything) {
  MockProvider mock;
  auto answer = std::async(std::launch::async, [&mock] {
    return request("POST", mock.url("/v1/chat/completions"), json(mockHold("r")), kChat, 60s);
  });
  ASSERT_TRUE(mock.waitHeld("r", 1));
  mock.reset();
  EXPECT_EQ(answer.get().status, 200);
  EXPECT_EQ(mock.held("r"), 0);
}

TEST(MockProviderHold, BadControlsAreRefused) {
  MockProvider mock;
  EXPECT_EQ(request("POST", mock.url("/mock/release"), {}, "{}").status, 400);
  EXPECT_EQ(request("POST", mock.url("/mock/release?name=x&count=-2"), {}, "{}").status, 400);
  EXPECT_EQ(request("GET", mock.url("/mock/release?name=x")).status, 405);
  EXPECT_EQ(request("GET", mock.url("/mock/held")).status, 400);
  const auto badAt = request("POST", mock.url("/v1/chat/completions"),
                             json({{"x-mock-hold", "b"}, {"x-mock-hold-at", "later"}}), kChat);
  EXPECT_EQ(badAt.status, 400);
  const std::string noName =
      rawExchange(mock.port(), rawPost(kChat, "x-mock-hold: \r\nConnection: close\r\n"), 20s);
  EXPECT_EQ(noName.rfind("HTTP/1.1 400", 0), 0u) << noName;
  EXPECT_EQ(mock.held("b"), 0);
}

}  // namespace
}  // namespace slotgate::testing
