// HTTP/2 deadlines on progress, per stream, with raw frames: a body trickled in 1-byte DATA
// frames is reset at body_timeout, a stream whose flow-control window is opened a trickle at
// a time is reset after idle_timeout with its slots freed, and a connection being torn down
// (here by header_timeout) stops reading and closes after a short grace even when the client
// reads nothing of what is queued for it. Deadlines are generous; none is asserted exactly.
#include <gtest/gtest.h>

#include "tests/integration/http2_test_support.h"

namespace slotgate::testing::h2 {
namespace {

Headers auth() {
  return {{"authorization", std::string("Bearer ") + kClientKey},
          {"content-type", "application/json"}};
}

TEST(Http2Deadlines, TrickledBodyIsResetAtBodyTimeout) {
  MockProvider mock;
  GatewayOptions options;
  options.extraServerYaml = "  body_timeout: 1s\n";  // idle_timeout stays 60s
  Gateway gw(mock, options);
  RawH2 c(gw.port());
  ASSERT_TRUE(c.connected());
  const std::string body = chatBody(false);
  c.request(1, "POST", "/v1/chat/completions", auth(), body.substr(0, 1), /*endStream=*/false);
  c.flush();
  // A byte every 100 ms: the body would take seconds; each DATA frame is progress.
  size_t sent = 1;
  ASSERT_TRUE(c.pumpUntil(
      [&] {
        if (!c.stream(1).reset && sent < body.size() - 1) {
          c.frame(kData, 0, 1, body.substr(sent++, 1));
          c.flush();
        }
        return c.stream(1).reset;
      },
      20s));
  EXPECT_EQ(c.stream(1).resetCode, kCancel);
  EXPECT_EQ(c.stream(1).status, 0);  // never answered: it never reached the pipeline
  EXPECT_EQ(mock.stats()["requests"], 0);
  EXPECT_EQ(gw.metric("slotgate_http_rejects_total{reason=\"body_timeout\"}"), 1.0);
  // The connection itself still serves.
  c.request(3, "POST", "/v1/chat/completions", auth(), body);
  c.flush();
  ASSERT_TRUE(c.pumpUntil([&] { return c.stream(3).ended; }, 10s));
  EXPECT_EQ(c.stream(3).status, 200);
}

TEST(Http2Deadlines, StreamWindowOpenedATrickleAtATimeIsResetAndItsSlotsFreed) {
  MockProvider mock;
  GatewayOptions options;
  options.extraServerYaml = "  idle_timeout: 1s\n";
  Gateway gw(mock, options);
  // 1 KiB windows, given back by hand only.
  RawH2 c(gw.port(), 1024, /*autoWindow=*/false);
  ASSERT_TRUE(c.connected());
  Headers h = auth();
  h.emplace_back("x-mock-body-bytes", "4194304");
  c.request(1, "POST", "/v1/chat/completions", h, chatBody(false));
  c.flush();
  ASSERT_TRUE(c.pumpUntil([&] { return c.stream(1).status == 200; }, 10s));
  ASSERT_TRUE(eventually([&] { return gw.providerSlotsInUse() == 1; }, 20s));
  // 16 bytes of window every 100 ms: never stalled outright, far below the rule.
  ASSERT_TRUE(c.pumpUntil(
      [&] {
        if (!c.stream(1).reset) {
          c.windowUpdate(1, 16);
          c.windowUpdate(0, 16);
          c.flush();
          std::this_thread::sleep_for(100ms);
        }
        return c.stream(1).reset;
      },
      30s))
      << "a 16-byte trickle of window held the stream; got " << c.stream(1).dataBytes;
  EXPECT_EQ(c.stream(1).resetCode, kCancel);
  EXPECT_TRUE(eventually([&] { return gw.providerSlotsInUse() == 0; }, 10s));
  EXPECT_TRUE(eventually([&] { return mock.stats()["inflight"] == 0; }, 10s));
}

TEST(Http2Deadlines, TeardownClosesAfterAShortGraceWhenTheClientReadsNothing) {
  MockProvider mock;
  GatewayOptions options;
  // idle_timeout (60s) would be the bound without the teardown grace.
  options.extraServerYaml = "  header_timeout: 1s\n";
  Gateway gw(mock, options);
  RawH2 c(gw.port());
  ASSERT_TRUE(c.connected());
  Headers h = auth();
  h.emplace_back("x-mock-body-bytes", "33554432");
  c.request(1, "POST", "/v1/chat/completions", h, chatBody(false));
  c.flush();
  ASSERT_TRUE(c.pumpUntil([&] { return c.stream(1).dataBytes > 0; }, 10s));
  // From now on nothing is read: socket buffers and the gateway's output fill up. A header
  // block left open (no END_HEADERS, no CONTINUATION) makes header_timeout terminate the
  // connection with a GOAWAY that has to wait behind the queued answer.
  c.frame(kHeaders, 0, 3, "");
  c.flush();
  EXPECT_TRUE(eventually(
      [&] {
        return gw.metric("slotgate_downstream_connections_closed_total{reason=\"header_timeout\"}")
                   .value_or(0) >= 1;
      },
      30s));
  EXPECT_TRUE(eventually([&] { return gw.providerSlotsInUse() == 0; }, 10s));
}

}  // namespace
}  // namespace slotgate::testing::h2
