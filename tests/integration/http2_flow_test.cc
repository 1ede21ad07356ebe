// HTTP/2 stream lifetimes under hostile or slow clients: a reset stream frees its slots while
// its siblings finish, a rapid-reset flood closes only the offending connection, and a client
// that reads slowly does not make slotgate buffer the response.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <thread>

#include "tests/integration/http2_test_support.h"

namespace slotgate::testing::h2 {
namespace {

Headers streamHeaders(int chunks, int delayMs) {
  return {{"authorization", std::string("Bearer ") + kClientKey},
          {"content-type", "application/json"},
          {"x-mock-chunks", std::to_string(chunks)},
          {"x-mock-delay-ms", std::to_string(delayMs)}};
}

TEST(Http2Flow, ResetStreamFreesItsSlotsWhileSiblingsComplete) {
  MockProvider mock;
  Gateway gw(mock);
  RawH2 c(gw.port());
  ASSERT_TRUE(c.connected());
  // Three streams held at the mock after their first event until the test releases them.
  Headers held = streamHeaders(20, 0);
  held.emplace_back("x-mock-hold", "h2-flow");
  for (uint32_t id : {1u, 3u, 5u}) {
    c.request(id, "POST", "/v1/chat/completions", held, chatBody(true));
  }
  c.flush();
  ASSERT_TRUE(c.pumpUntil(
      [&] {
        return c.stream(1).dataBytes > 0 && c.stream(3).dataBytes > 0 && c.stream(5).dataBytes > 0;
      },
      20s));
  ASSERT_TRUE(mock.waitHeld("h2-flow", 3));
  EXPECT_EQ(gw.providerSlotsInUse(), 3);

  c.rst(3);
  c.flush();
  // The reset stream's upstream request is cancelled and its slot freed while the others run.
  ASSERT_TRUE(eventually(
      [&] {
        c.pump(10ms);
        return gw.providerSlotsInUse() == 2;
      },
      20s));
  EXPECT_TRUE(eventually([&] { return mock.stats()["cancelled"] == 1; }, 20s));
  EXPECT_FALSE(c.stream(1).ended);
  EXPECT_FALSE(c.stream(5).ended);

  EXPECT_EQ(mock.release("h2-flow"), 2);
  ASSERT_TRUE(c.pumpUntil([&] { return c.stream(1).ended && c.stream(5).ended; }, 20s));
  EXPECT_FALSE(c.stream(1).reset);
  EXPECT_FALSE(c.stream(5).reset);
  EXPECT_EQ(c.stream(1).status, 200);
  EXPECT_EQ(c.stream(5).status, 200);
  EXPECT_TRUE(eventually([&] { return gw.providerSlotsInUse() == 0; }));
  const auto stats = mock.stats();
  EXPECT_EQ(stats["completed"], 2);
  EXPECT_EQ(stats["inflight"], 0);
  EXPECT_FALSE(c.peerClosed());
}

TEST(Http2Flow, RapidResetFloodClosesOnlyThatConnection) {
  MockProvider mock;
  Gateway gw(mock);

  // A well-behaved client on another connection, before and during the flood.
  RawH2 good(gw.port());
  ASSERT_TRUE(good.connected());
  good.request(1, "POST", "/v1/chat/completions", streamHeaders(30, 100), chatBody(true));
  good.flush();
  ASSERT_TRUE(good.pumpUntil([&] { return good.stream(1).dataBytes > 0; }, 5s));

  RawH2 bad(gw.port());
  ASSERT_TRUE(bad.connected());
  Headers slow = {{"authorization", std::string("Bearer ") + kClientKey},
                  {"content-type", "application/json"},
                  {"x-mock-latency-ms", "2000"}};
  // Each stream is a complete request (dispatched upstream), cancelled at once.
  for (uint32_t i = 0; i < 400; ++i) {
    const uint32_t id = 1 + 2 * i;
    bad.request(id, "POST", "/v1/chat/completions", slow, chatBody(false));
    bad.rst(id);
    if (i % 20 == 19) {
      if (!bad.flush()) {
        break;  // already closed on us
      }
    }
  }
  bad.flush();
  ASSERT_TRUE(bad.pumpUntil([&] { return bad.peerClosed(); }, 10s));
  ASSERT_TRUE(bad.goawayCode().has_value());
  EXPECT_EQ(*bad.goawayCode(), kEnhanceYourCalm);
  EXPECT_TRUE(eventually([&] {
    return gw.metric("slotgate_downstream_connections_closed_total{reason=\"h2_rapid_reset\"}")
               .value_or(0) == 1;
  }));

  // The good client's stream keeps flowing to its end, and a new connection is served.
  ASSERT_TRUE(good.pumpUntil([&] { return good.stream(1).ended; }, 15s));
  EXPECT_FALSE(good.stream(1).reset);
  EXPECT_FALSE(good.peerClosed());
  good.request(3, "GET", "/v1/models", {{"authorization", std::string("Bearer ") + kClientKey}},
               "");
  good.flush();
  ASSERT_TRUE(good.pumpUntil([&] { return good.stream(3).ended; }, 5s));
  EXPECT_EQ(good.stream(3).status, 200);
  EXPECT_TRUE(eventually([&] { return gw.providerSlotsInUse() == 0; }, 10s));
}

TEST(Http2Flow, SlowReaderDoesNotGrowMemoryWithResponseSize) {
  MockProvider mock;
  Gateway gw(mock);
  constexpr size_t kBody = 96u << 20;  // 96 MiB JSON response
  // Warm up (allocator arenas, upstream connection) before measuring.
  {
    RawH2 warm(gw.port());
    Headers h = {{"authorization", std::string("Bearer ") + kClientKey},
                 {"content-type", "application/json"},
                 {"x-mock-body-bytes", std::to_string(1 << 20)}};
    warm.request(1, "POST", "/v1/chat/completions", h, chatBody(false));
    warm.flush();
    ASSERT_TRUE(warm.pumpUntil([&] { return warm.stream(1).ended; }, 10s));
  }
  const long before = gw.rssKiB();
  ASSERT_GT(before, 0);

  // Window of 64 KiB per stream and for the connection; we hand out 256 KiB every 2 ms,
  // far below what slotgate could read from the mock.
  RawH2 c(gw.port(), 65535, /*autoWindow=*/false);
  Headers h = {{"authorization", std::string("Bearer ") + kClientKey},
               {"content-type", "application/json"},
               {"x-mock-body-bytes", std::to_string(kBody)}};
  c.request(1, "POST", "/v1/chat/completions", h, chatBody(false));
  c.flush();
  long peak = before;
  size_t granted = 65535;
  const auto deadline = Clock::now() + 60s;
  // First phase: grant nothing for a while; slotgate must stop reading upstream.
  c.pump(1000ms);
  peak = std::max(peak, gw.rssKiB());
  EXPECT_LT(c.totalData(), 70000u);
  while (!c.stream(1).ended && !c.stream(1).reset && !c.peerClosed() && Clock::now() < deadline) {
    if (granted < c.totalData() + (1u << 20)) {
      c.windowUpdate(0, 256 << 10);
      c.windowUpdate(1, 256 << 10);
      c.flush();
      granted += 256 << 10;
    }
    c.pump(2ms);
    peak = std::max(peak, gw.rssKiB());
  }
  ASSERT_TRUE(c.stream(1).ended) << "received " << c.totalData();
  EXPECT_EQ(c.stream(1).status, 200);
  EXPECT_GE(c.stream(1).dataBytes, kBody);
  const long growthKiB = peak - before;
  EXPECT_LT(growthKiB, 20 * 1024) << "slotgate RSS grew by " << growthKiB << " KiB";
  RecordProperty("rss_growth_kib", std::to_string(growthKiB));
}

}  // namespace
}  // namespace slotgate::testing::h2
