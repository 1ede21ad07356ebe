// slotgate end to end in cluster mode (SPEC sections 2 `redis`, 4, 6): two real slotgate
// processes share a real redis-server; limits hold across them, dead and stalled instances give
// their slots back, Redis outages degrade as configured, and breakers are shared.
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <ctime>
#include <future>
#include <sstream>
#include <thread>

#include "tests/integration/gateway_fixture.h"

namespace slotgate::testing {
namespace {

constexpr char kPrefix[] = "it:";

// redis-server on a fixed free port (so that it can be restarted on the same one).
class RedisProcess {
 public:
  RedisProcess() : port_(freePort()) { start(); }

  void start() {
    process_ = std::make_unique<Process>(
        std::vector<std::string>{"/usr/bin/redis-server", "--port", std::to_string(port_), "--bind",
                                 "127.0.0.1", "--save", "", "--appendonly", "no"});
    if (!eventually([&] { return cli({"PING"}) == "PONG"; }, 10s)) {
      throw std::runtime_error("redis-server did not start");
    }
  }
  void stop() {
    process_->signal(SIGKILL);
    (void)process_->waitExit(5s);
  }
  [[nodiscard]] uint16_t port() const { return port_; }

  // redis-cli's answer, trimmed ("" on failure).
  [[nodiscard]] std::string cli(const std::vector<std::string>& args) const {
    std::string cmd = "/usr/bin/redis-cli -p " + std::to_string(port_);
    for (const auto& a : args) {
      cmd += " '" + a + "'";
    }
    cmd += " 2>/dev/null";
    std::string out;
    if (FILE* f = popen(cmd.c_str(), "r")) {
      char buf[512];
      while (fgets(buf, sizeof(buf), f) != nullptr) {
        out += buf;
      }
      pclose(f);
    }
    while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) {
      out.pop_back();
    }
    return out;
  }
  [[nodiscard]] long zcard(const std::string& key_id) const {
    const std::string out = cli({"ZCARD", std::string(kPrefix) + "slots:" + key_id});
    return out.empty() ? -1 : std::atol(out.c_str());
  }

 private:
  uint16_t port_;
  std::unique_ptr<Process> process_;
};

// The "ts" of a log line ("2026-11-22T04:49:58.123Z") on the system clock.
std::chrono::system_clock::time_point logTime(const nlohmann::json& line) {
  const std::string ts = line.at("ts").get<std::string>();
  std::tm tm{};
  int ms = 0;
  if (std::sscanf(ts.c_str(), "%d-%d-%dT%d:%d:%d.%dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                  &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &ms) != 7) {
    throw std::runtime_error("bad ts: " + ts);
  }
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return std::chrono::system_clock::from_time_t(timegm(&tm)) + std::chrono::milliseconds(ms);
}

// A slotgate process whose config is `config` plus a redis section.
class ClusterGateway {
 public:
  ClusterGateway(const GatewayConfig& config, const RedisProcess& redis,
                 const std::string& lease_ttl = "3s", const std::string& on_unavailable = "local") {
    const std::string yaml = config.yaml() +
                             "redis:\n  url: redis://127.0.0.1:" + std::to_string(redis.port()) +
                             "/0\n  prefix: \"" + kPrefix + "\"\n  lease_ttl: " + lease_ttl +
                             "\n  on_unavailable: " + on_unavailable + "\n";
    const std::string path = dir_.writeFile("slotgate.yaml", yaml);
    process_ = std::make_unique<Process>(std::vector<std::string>{slotgateBinary(), "-c", path},
                                         config.env());
    const auto line = process_->waitForLine(Stream::kStderr, "\"event\":\"started\"", 15s);
    if (!line) {
      throw std::runtime_error("slotgate did not start:\n" + process_->stderrText());
    }
    const auto started = nlohmann::json::parse(*line);
    auto portOf = [&](const char* field) {
      const std::string a = started[field].get<std::string>();
      return static_cast<uint16_t>(std::stoi(a.substr(a.rfind(':') + 1)));
    };
    port_ = portOf("listen");
    admin_port_ = portOf("admin");
    // Ready = connected to Redis.
    if (!eventually([&] { return metric("slotgate_redis_up") == 1.0; }, 10s)) {
      throw std::runtime_error("slotgate did not connect to redis:\n" + process_->stderrText());
    }
  }

  [[nodiscard]] Process& process() { return *process_; }
  [[nodiscard]] std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  [[nodiscard]] std::string adminUrl(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(admin_port_) + path;
  }
  [[nodiscard]] HttpResponse chat(const Headers& extra = {}, Millis timeout = 20s) const {
    const nlohmann::json body = {{"model", "gpt-test"},
                                 {"messages", {{{"role", "user"}, {"content", "hi"}}}}};
    return request("POST", url("/v1/chat/completions"), bearer(kClientKey, extra), body.dump(),
                   timeout);
  }
  [[nodiscard]] StreamResponse stream(const Headers& extra, Millis timeout = 60s) const {
    const nlohmann::json body = {{"model", "gpt-test"},
                                 {"stream", true},
                                 {"messages", {{{"role", "user"}, {"content", "hi"}}}}};
    return streamRequest("POST", url("/v1/chat/completions"), bearer(kClientKey, extra),
                         body.dump(), timeout);
  }
  [[nodiscard]] std::optional<double> metric(
      const std::string& name, const std::map<std::string, std::string>& labels = {}) const {
    return sampleValue(parsePrometheus(httpGetBody(adminUrl("/metrics"))), name, labels);
  }
  [[nodiscard]] HttpResponse readyz() const { return request("GET", adminUrl("/readyz")); }

 private:
  TempDir dir_;
  std::unique_ptr<Process> process_;
  uint16_t port_ = 0;
  uint16_t admin_port_ = 0;
};

// The openai key limited to `key_max` slots; the client unlimited.
GatewayConfig clusterConfig(const MockProvider& mock, int key_max) {
  GatewayConfig c = standardConfig(mock);
  c.workers = 2;
  c.retries = 0;
  c.drainTimeout = "2s";
  c.providers[0].requestTimeout = "300s";  // held requests wait for the test, not the clock
  c.providers[0].keys[0].maxConcurrency = key_max;
  c.clients[0].maxConcurrency = 0;
  return c;
}

using HttpFutures = std::vector<std::future<HttpResponse>>;

// `count` chats, every other one to `a` and `b`, each held at the mock under `name` until the
// test releases it: those admitted hold their slots for as long as the test decides.
HttpFutures heldChats(const ClusterGateway& a, const ClusterGateway& b, int count,
                      const std::string& name) {
  HttpFutures futures;
  for (int i = 0; i < count; ++i) {
    const ClusterGateway& g = i % 2 == 0 ? a : b;
    futures.push_back(
        std::async(std::launch::async, [&g, name] { return g.chat(mockHold(name), 60s); }));
  }
  return futures;
}

// The futures that have their answer now.
std::vector<HttpFutures::iterator> answered(HttpFutures& futures) {
  std::vector<HttpFutures::iterator> out;
  for (auto it = futures.begin(); it != futures.end(); ++it) {
    if (it->valid() && it->wait_for(0s) == std::future_status::ready) {
      out.push_back(it);
    }
  }
  return out;
}

void expectNoUpstream(const HttpResponse& r) {
  EXPECT_EQ(r.status, 503) << r.body;
  EXPECT_EQ(r.json()["error"]["code"], "no_upstream_available") << r.body;
}

// Exactly `served` of `futures` (sent with mockHold(name)) hold the provider key at the mock:
// every other one is refused with 503; released, the held ones succeed.
void expectExactlyServed(const MockProvider& mock, HttpFutures& futures, const std::string& name,
                         size_t served) {
  ASSERT_TRUE(mock.waitHeld(name, static_cast<int>(served)));
  ASSERT_TRUE(eventually([&] { return answered(futures).size() == futures.size() - served; }, 60s));
  for (auto it : answered(futures)) {
    expectNoUpstream(it->get());
  }
  EXPECT_EQ(mock.held(name), static_cast<int>(served));
  EXPECT_EQ(mock.release(name), static_cast<int>(served));
  for (auto& f : futures) {
    if (f.valid()) {
      EXPECT_EQ(f.get().status, 200);
    }
  }
}

int mockInflight(const MockProvider& mock) { return mock.stats()["inflight"].get<int>(); }
int mockMaxInflight(const MockProvider& mock) { return mock.stats()["max_inflight"].get<int>(); }

TEST(ClusterMode, ProviderKeyLimitHoldsAcrossInstances) {
  MockProvider mock({"--threads", "2"});
  RedisProcess redis;
  const GatewayConfig config = clusterConfig(mock, 3);
  ClusterGateway a(config, redis);
  ClusterGateway b(config, redis);
  // Three hold the key's slots at the mock until released; every other is refused.
  HttpFutures futures = heldChats(a, b, 50, "k");
  expectExactlyServed(mock, futures, "k", 3);
  EXPECT_EQ(mockMaxInflight(mock), 3);
  EXPECT_EQ(mock.stats()["requests"].get<int>(), 3);
  EXPECT_TRUE(eventually([&] { return redis.zcard("openai-key") == 0; }, 20s));
}

TEST(ClusterMode, QueuedClientsWaitForClusterWideSlots) {
  MockProvider mock({"--threads", "2"});
  RedisProcess redis;
  GatewayConfig config = clusterConfig(mock, 0);
  config.clients[0].maxConcurrency = 3;
  config.clients[0].queue = QueueSpec{64, "60s"};
  ClusterGateway a(config, redis);
  ClusterGateway b(config, redis);
  HttpFutures futures = heldChats(a, b, 20, "q");
  // Rounds decided by the test: three hold the client's slots cluster-wide while the rest
  // queue; releasing them lets the next three in.
  for (int remaining = 20; remaining > 0; remaining -= 3) {
    const int admitted = std::min(remaining, 3);
    ASSERT_TRUE(mock.waitHeld("q", admitted)) << remaining << " left, " << mock.stats().dump();
    EXPECT_EQ(mockInflight(mock), admitted);
    EXPECT_EQ(mock.release("q"), admitted);
  }
  for (auto& f : futures) {
    const HttpResponse r = f.get();
    EXPECT_EQ(r.status, 200) << r.body;
  }
  EXPECT_LE(mockMaxInflight(mock), 3);
  EXPECT_EQ(mock.stats()["requests"].get<int>(), 20);
  EXPECT_TRUE(eventually([&] { return redis.zcard("team-a") == 0; }, 20s));
}

TEST(ClusterMode, SlotsOfAKilledInstanceReturnWithinLeaseTtl) {
  MockProvider mock({"--threads", "2"});
  RedisProcess redis;
  const GatewayConfig config = clusterConfig(mock, 3);
  auto a = std::make_unique<ClusterGateway>(config, redis);
  ClusterGateway b(config, redis);
  std::vector<std::future<StreamResponse>> held;
  for (int i = 0; i < 3; ++i) {
    held.push_back(std::async(std::launch::async, [&] { return a->stream(mockHold("a")); }));
  }
  ASSERT_TRUE(mock.waitHeld("a", 3));  // in flight until A dies
  ASSERT_TRUE(eventually([&] { return redis.zcard("openai-key") == 3; }, 20s));
  a->process().signal(SIGKILL);
  // The dead instance's leases lapse within lease_ttl of Redis's clock: each lease's score is
  // its expiry (Redis TIME in ms), renewed at most lease_ttl ahead. Read from Redis, not timed
  // by the test, so a busy machine cannot fail it.
  const std::string time = redis.cli({"TIME"});
  std::istringstream time_fields(time);
  long long seconds = 0, micros = 0;
  time_fields >> seconds >> micros;
  const long long redis_now_ms = seconds * 1000 + micros / 1000;
  std::istringstream leases(
      redis.cli({"ZRANGE", std::string(kPrefix) + "slots:openai-key", "0", "-1", "WITHSCORES"}));
  std::string member;
  long long expiry_ms = 0;
  int leases_read = 0;
  while (leases >> member >> expiry_ms) {
    ++leases_read;
    EXPECT_LE(expiry_ms, redis_now_ms + 3000) << member;  // lease_ttl 3 s
  }
  EXPECT_EQ(leases_read, 3) << time;
  expectNoUpstream(b.chat());  // the dead instance's leases still count
  ASSERT_TRUE(eventually([&] { return b.chat().status == 200; }, 20s));
  for (auto& f : held) {
    EXPECT_FALSE(f.get().cleanEnd());
  }
}

TEST(ClusterMode, AStalledInstanceLosesItsSlotsAndAbortsItsRequests) {
  MockProvider mock({"--threads", "2"});
  RedisProcess redis;
  const GatewayConfig config = clusterConfig(mock, 3);
  ClusterGateway a(config, redis);
  ClusterGateway b(config, redis);
  std::vector<std::future<StreamResponse>> a_streams;
  for (int i = 0; i < 3; ++i) {
    a_streams.push_back(std::async(std::launch::async, [&] { return a.stream(mockHold("a")); }));
  }
  ASSERT_TRUE(mock.waitHeld("a", 3));
  a.process().signal(SIGSTOP);
  std::this_thread::sleep_for(4500ms);  // past lease_ttl (3 s): A's leases lapse
  std::vector<std::future<StreamResponse>> b_streams;
  for (int i = 0; i < 3; ++i) {
    b_streams.push_back(std::async(std::launch::async, [&] { return b.stream(mockHold("b")); }));
  }
  ASSERT_TRUE(mock.waitHeld("b", 3))
      << "B could not take the lapsed slots: mock " << mock.stats().dump() << " zset "
      << redis.cli({"ZRANGE", std::string(kPrefix) + "slots:openai-key", "0", "-1", "WITHSCORES"})
      << " time " << redis.cli({"TIME"});
  a.process().signal(SIGCONT);
  // A's next renewal finds its slots taken: its requests are aborted, not continued.
  for (auto& f : a_streams) {
    const StreamResponse r = f.get();
    EXPECT_FALSE(r.cleanEnd());  // aborted, never carried on to its end
  }
  EXPECT_TRUE(mock.waitHeld("a", 0));  // A gave its upstream requests up
  EXPECT_EQ(mock.held("b"), 3);
  EXPECT_EQ(mock.release("b"), 3);
  for (auto& f : b_streams) {
    EXPECT_TRUE(f.get().cleanEnd());
  }
  EXPECT_TRUE(eventually([&] { return redis.zcard("openai-key") == 0; }, 20s));
}

TEST(ClusterMode, RedisOutageFallsBackToLocalLimitsThenRejoins) {
  MockProvider mock({"--threads", "2"});
  RedisProcess redis;
  const GatewayConfig config = clusterConfig(mock, 3);
  ClusterGateway a(config, redis);
  ClusterGateway b(config, redis);
  redis.stop();
  ASSERT_TRUE(eventually([&] { return a.metric("slotgate_redis_up") == 0.0; }, 20s));
  ASSERT_TRUE(eventually([&] { return b.metric("slotgate_redis_up") == 0.0; }, 20s));
  for (const ClusterGateway* g : {&a, &b}) {
    const HttpResponse ready = g->readyz();
    EXPECT_EQ(ready.status, 200);
    EXPECT_EQ(ready.json()["status"], "degraded") << ready.body;
    EXPECT_NE(ready.body.find("redis unavailable"), std::string::npos) << ready.body;
    EXPECT_EQ(g->chat().status, 200);  // served with this instance's own limits
    EXPECT_GE(g->metric("slotgate_cluster_fallbacks_total", {{"on_unavailable", "local"}}), 1.0);
  }

  redis.start();  // same port, empty
  auto ready = [](const ClusterGateway& g) {
    return g.readyz().body.find(R"("status":"ok")") != std::string::npos;
  };
  ASSERT_TRUE(eventually([&] { return ready(a); }, 10s));
  ASSERT_TRUE(eventually([&] { return ready(b); }, 10s));
  EXPECT_EQ(a.metric("slotgate_redis_up"), 1.0);
  mock.reset();
  HttpFutures futures = heldChats(a, b, 20, "k");
  // Cluster-wide again: three across both instances hold the key, the other 17 are refused.
  expectExactlyServed(mock, futures, "k", 3);
  EXPECT_EQ(mockMaxInflight(mock), 3);
  EXPECT_TRUE(eventually([&] { return redis.zcard("openai-key") == 0; }, 20s));
  EXPECT_TRUE(eventually([&] { return redis.zcard("team-a") <= 0; }, 20s));  // unlimited: none
}

TEST(ClusterMode, RejectModeAnswers503WhileRedisIsDown) {
  MockProvider mock;
  RedisProcess redis;
  ClusterGateway a(clusterConfig(mock, 3), redis, "3s", "reject");
  EXPECT_EQ(a.chat().status, 200);
  redis.stop();
  ASSERT_TRUE(eventually([&] { return a.metric("slotgate_redis_up") == 0.0; }, 20s));
  expectNoUpstream(a.chat());
  const HttpResponse ready = a.readyz();
  EXPECT_EQ(ready.status, 503);
  EXPECT_NE(ready.body.find("redis unavailable"), std::string::npos) << ready.body;
  EXPECT_GE(a.metric("slotgate_cluster_fallbacks_total", {{"on_unavailable", "reject"}}), 1.0);
}

TEST(ClusterMode, ACircuitOpenedOnOneInstanceRejectsOnTheOther) {
  MockProvider mock;
  RedisProcess redis;
  GatewayConfig config = clusterConfig(mock, 0);
  config.providers[0].breaker = BreakerSpec{1, "30s", 1};
  ClusterGateway a(config, redis);
  ClusterGateway b(config, redis);
  EXPECT_EQ(b.chat().status, 200);
  mock.failNext("500", 1);
  EXPECT_EQ(a.chat().status, 500);  // passed through; the breaker of openai-key opens
  ASSERT_TRUE(eventually([&] { return b.chat().status == 503; }, 20s));
  // How long the news took, from A's log line (published) to B's (applied): both processes
  // stamp their lines from the same wall clock, so the test's own polling is not measured.
  const auto sent = a.process().waitForLine(Stream::kStderr, "\"event\":\"cluster_circuit\"", 2s);
  const auto got = b.process().waitForLine(Stream::kStderr, "\"origin\":\"remote\"", 2s);
  ASSERT_TRUE(sent && got);
  const auto published = nlohmann::json::parse(*sent);
  const auto applied = nlohmann::json::parse(*got);
  EXPECT_EQ(published["origin"], "local");
  EXPECT_EQ(published["state"], "open");
  EXPECT_EQ(applied["state"], "open");
  EXPECT_EQ(applied["key_id"], "openai-key");
  EXPECT_GT(applied["open_ms"].get<int>(), 25000);
  // How long the news took is a figure, not a verdict (a busy machine would fail a bound):
  // recorded in the test's XML output and printed.
  const auto took =
      std::chrono::duration_cast<std::chrono::milliseconds>(logTime(applied) - logTime(published));
  ::testing::Test::RecordProperty("circuit_propagation_ms", std::to_string(took.count()));
  std::printf("circuit open published -> applied on the other instance: %lld ms\n",
              static_cast<long long>(took.count()));
  const int requests = mock.stats()["requests"].get<int>();
  expectNoUpstream(b.chat());
  EXPECT_EQ(mock.stats()["requests"].get<int>(), requests);  // B no longer calls the provider
  EXPECT_EQ(redis.cli({"SISMEMBER", std::string(kPrefix) + "breakers:open", "openai-key"}), "1");
}

TEST(ClusterMode, SigtermReleasesHeldLeasesBeforeExit) {
  MockProvider mock;
  RedisProcess redis;
  const GatewayConfig config = clusterConfig(mock, 5);
  ClusterGateway a(config, redis, "60s");  // the TTL cannot be what frees them
  std::vector<std::future<StreamResponse>> held;
  for (int i = 0; i < 2; ++i) {
    held.push_back(std::async(std::launch::async, [&] { return a.stream(mockHold("a")); }));
  }
  ASSERT_TRUE(mock.waitHeld("a", 2));
  ASSERT_TRUE(eventually([&] { return redis.zcard("openai-key") == 2; }, 20s));
  a.process().signal(SIGTERM);
  const auto exit_code = a.process().waitExit(10s);
  ASSERT_TRUE(exit_code.has_value());
  EXPECT_EQ(*exit_code, 0);
  EXPECT_EQ(redis.zcard("openai-key"), 0);
  for (auto& f : held) {
    (void)f.get();
  }
}

}  // namespace
}  // namespace slotgate::testing
