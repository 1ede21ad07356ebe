// slotgate end to end, connection limits and descriptor exhaustion (SPEC section 2,
// server.max_connections): with RLIMIT_NOFILE 256 and 400 idle connections held, accepting
// pauses with a back-off instead of spinning, refusals are counted, an upstream socket() that
// fails for want of descriptors is answered 503 and opens no circuit, and service resumes
// once the connections close. The derived default leaves room for upstream sockets.
#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "tests/integration/gateway_fixture.h"

namespace slotgate::testing {
namespace {

constexpr int kOpenFiles = 256;
constexpr int kHeld = 400;

const std::string kBody = R"({"model":"gpt-test","messages":[{"role":"user","content":"hi"}]})";

std::string chatRequest() {
  return std::string("POST /v1/chat/completions HTTP/1.1\r\nHost: gw\r\nAuthorization: Bearer ") +
         kClientKey + "\r\nContent-Type: application/json\r\nConnection: close\r\n" +
         "Content-Length: " + std::to_string(kBody.size()) + "\r\n\r\n" + kBody;
}

// Sends one request on an already open connection; the status of its answer, 0 if none.
int statusOn(RawConnection& conn, std::string* body = nullptr) {
  if (!conn.send(chatRequest()) || !conn.waitClosed(15s)) {
    return 0;
  }
  const std::string& r = conn.received();
  if (r.rfind("HTTP/1.1 ", 0) != 0) {
    return 0;
  }
  if (body != nullptr) {
    const size_t end = r.find("\r\n\r\n");
    *body = end == std::string::npos ? "" : r.substr(end + 4);
  }
  return std::atoi(r.c_str() + 9);
}

GatewayConfig limitedConfig(const MockProvider& mock, int maxConnections) {
  GatewayConfig c = standardConfig(mock);
  c.openFilesLimit = kOpenFiles;
  c.maxConnections = maxConnections;
  // Held connections send nothing: they must stay open for the whole test.
  c.headerTimeout = "120s";
  c.retries = 1;
  // Two failures would open it, if local errors counted as provider failures.
  c.providers[0].breaker = BreakerSpec{2, "60s", 1};
  return c;
}

std::vector<std::unique_ptr<RawConnection>> holdConnections(uint16_t port, int n) {
  std::vector<std::unique_ptr<RawConnection>> held;
  for (int i = 0; i < n; ++i) {
    held.push_back(std::make_unique<RawConnection>(port));
  }
  return held;
}

size_t stderrLines(Gateway& gw) { return gw.process().lines(Stream::kStderr).size(); }

TEST(ConnectionLimits, DescriptorExhaustionOpensNoCircuitAndServiceResumes) {
  MockProvider mock;
  // A limit above what the descriptors allow: accept() and upstream socket() meet EMFILE.
  Gateway gw(limitedConfig(mock, 1000));
  auto held = holdConnections(gw.port(), kHeld);
  for (const auto& c : held) {
    ASSERT_TRUE(c->connected());
  }
  // The first connections were accepted (the backlog is served in order). Their requests need
  // an upstream socket the process cannot open: 503, not a provider failure, never retried.
  for (int i = 0; i < 5; ++i) {
    std::string body;
    EXPECT_EQ(statusOn(*held[static_cast<size_t>(i)], &body), 503) << body;
    EXPECT_NE(body.find("local resources"), std::string::npos) << body;
  }
  EXPECT_EQ(mock.stats()["requests"], 0);
  // Not spinning: over a second of exhaustion, a bounded number of lines (today's main wrote
  // millions of "Error from accept() call" lines in seconds).
  std::this_thread::sleep_for(1s);
  EXPECT_LT(stderrLines(gw), 1000u);

  held.clear();
  // Service resumes: the admin listener and the data plane accept again.
  ASSERT_TRUE(eventually([&] { return gw.metricValue("health_open_circuits").has_value(); }, 20s));
  EXPECT_EQ(gw.metricValue("health_open_circuits"), 0.0);
  const auto refused =
      gw.metricValue("slotgate_connections_refused_total", {{"reason", "descriptors"}});
  ASSERT_TRUE(refused.has_value());
  EXPECT_GE(*refused, 1.0);
  // At most one refusal per back-off (10 ms doubling to 1 s) or per closed connection.
  EXPECT_LT(*refused, 1000.0);
  HttpResponse ok;
  ASSERT_TRUE(eventually(
      [&] {
        ok = gw.chat("gpt-test");
        return ok.status == 200;
      },
      20s))
      << ok.status << " " << ok.body;
  const auto slots = request("GET", gw.adminUrl("/admin/slots"), bearer(gw.config().adminToken));
  EXPECT_NE(slots.body.find("\"circuit\":\"closed\""), std::string::npos) << slots.body;
  EXPECT_EQ(slots.body.find("\"circuit\":\"open\""), std::string::npos) << slots.body;
}

TEST(ConnectionLimits, DerivedLimitPausesAcceptingAndKeepsRoomForUpstreams) {
  MockProvider mock;
  Gateway gw(limitedConfig(mock, 0));
  const auto limit = gw.metricValue("slotgate_max_connections");
  ASSERT_TRUE(limit.has_value());
  EXPECT_GT(*limit, 0.0);
  EXPECT_LT(*limit, kOpenFiles / 2.0);  // half of what is left: every client gets an upstream
  auto held = holdConnections(gw.port(), kHeld);
  // The limit is reached and connections beyond it are refused (closed at once, counted).
  ASSERT_TRUE(eventually(
      [&] {
        return gw.metricValue("slotgate_connections_refused_total", {{"reason", "max_connections"}})
                   .value_or(0) >= 1;
      },
      20s));
  EXPECT_LE(gw.metricValue("slotgate_downstream_connections_open").value_or(1e9), *limit);
  // A held connection is served: the descriptors kept back are there for its upstream.
  std::string body;
  EXPECT_EQ(statusOn(*held[0], &body), 200) << body;
  EXPECT_EQ(gw.metricValue("health_open_circuits"), 0.0);
  // Refusals are paced by the back-off, not one per loop turn.
  std::this_thread::sleep_for(1s);
  EXPECT_LT(gw.metricValue("slotgate_connections_refused_total", {{"reason", "max_connections"}})
                .value_or(1e9),
            kHeld);

  held.clear();
  ASSERT_TRUE(eventually(
      [&] { return gw.metricValue("slotgate_downstream_connections_open") == 0.0; }, 20s));
  EXPECT_EQ(gw.chat("gpt-test").status, 200);
}

}  // namespace
}  // namespace slotgate::testing
