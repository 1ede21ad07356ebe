// Loading valid configs: the shipped default, the examples, and parsed values.
#include "conf/loader.h"

#include <gtest/gtest.h>
#include <re2/re2.h>

#include "conf/digest.h"
#include "tests/unit/conf/test_util.h"

namespace slotgate::conf {
namespace {

using std::chrono::milliseconds;
using testing::baseEnv;
using testing::errorLines;
using testing::fakeEnv;
using testing::repoRoot;

TEST(Loader, ShippedConfigLoads) {
  auto path = (repoRoot() / "conf" / "slotgate.yaml").string();
  auto env = fakeEnv({{"MOCK_PROVIDER_KEY", "mock-secret"}, {"SLOTGATE_DEMO_KEY", "demo-key"}});
  LoadResult r = loadConfigFile(path, env);
  ASSERT_TRUE(r.ok()) << ::testing::PrintToString(errorLines(r));
  const Config& c = *r.config;
  EXPECT_EQ(c.source_path, path);
  EXPECT_EQ(c.version, 0u);
  EXPECT_NE(c.loaded_at, std::chrono::system_clock::time_point{});
  EXPECT_EQ(c.server.listen.host, "127.0.0.1");
  EXPECT_EQ(c.server.listen.port, 8080);
  EXPECT_EQ(c.server.workers, 0u);
  EXPECT_FALSE(c.server.tls);
  EXPECT_EQ(c.server.max_request_body, 10u << 20);
  EXPECT_EQ(c.server.max_header_bytes, 64u << 10);
  EXPECT_EQ(c.admin.listen.port, 9901);
  EXPECT_EQ(c.admin.token, "");
  EXPECT_FALSE(c.redis);

  ASSERT_EQ(c.providers.size(), 2u);
  EXPECT_EQ(c.providers[0].name, "mock-openai");
  EXPECT_EQ(c.providers[0].type, ProviderType::kOpenAI);
  EXPECT_EQ(c.providers[0].url.host, "127.0.0.1");
  EXPECT_EQ(c.providers[0].url.port, 9911);
  EXPECT_EQ(c.providers[0].url.host_header, "127.0.0.1:9911");
  ASSERT_EQ(c.providers[0].keys.size(), 1u);
  EXPECT_EQ(c.providers[0].keys[0].id, "mock-openai-key");
  EXPECT_EQ(c.providers[0].keys[0].secret, "mock-secret");
  EXPECT_EQ(c.providers[0].keys[0].max_concurrency, 32u);
  EXPECT_EQ(c.providers[1].name, "mock-anthropic");
  EXPECT_EQ(c.providers[1].type, ProviderType::kAnthropic);
  EXPECT_EQ(c.providers[1].keys[0].id, "mock-anthropic-key");

  ASSERT_EQ(c.models.size(), 2u);
  const Model& mini = c.models[0];
  EXPECT_EQ(mini.name, "gpt-4o-mini");
  EXPECT_EQ(mini.aliases, (std::vector<std::string>{"mini", "openai/gpt-4o-mini"}));
  ASSERT_EQ(mini.compiled.size(), 1u);
  EXPECT_TRUE(re2::RE2::FullMatch("gpt-4o-mini-2024-07-18", *mini.compiled[0]));
  EXPECT_FALSE(re2::RE2::FullMatch("gpt-4o-mini-latest", *mini.compiled[0]));
  ASSERT_EQ(mini.targets.size(), 1u);
  EXPECT_EQ(mini.targets[0].provider_index, 0u);
  EXPECT_EQ(c.models[1].targets[0].provider_index, 1u);
  EXPECT_EQ(c.models[1].targets[0].model, "claude-3-5-sonnet-20241022");

  ASSERT_EQ(c.clients.size(), 1u);
  EXPECT_EQ(c.clients[0].id, "demo");
  EXPECT_EQ(c.clients[0].key_digest, sha256Of("demo-key"));
  EXPECT_EQ(c.clients[0].max_concurrency, 32u);
  ASSERT_TRUE(c.clients[0].queue);
  EXPECT_EQ(c.clients[0].queue->max_waiting, 256u);
  EXPECT_EQ(c.clients[0].queue->timeout, milliseconds(10000));
  EXPECT_EQ(c.clients[0].models, (std::vector<std::string>{"*"}));
  EXPECT_EQ(c.routing.retries, 1u);
  EXPECT_FALSE(c.strict_aliases);
  EXPECT_TRUE(c.load_conflicts.empty());
}

TEST(Loader, ExampleConfigLoads) {
  auto path = (repoRoot() / "conf" / "examples" / "multi-provider-redis.yaml").string();
  auto env = fakeEnv({{"OPENAI_KEY_1", "a"},
                      {"OPENAI_KEY_2", "b"},
                      {"ANTHROPIC_KEY", "c"},
                      {"SLOTGATE_ADMIN_TOKEN", "admin-tok"},
                      {"TEAM_A_KEY", "team-a"}});
  LoadResult r = loadConfigFile(path, env);
  ASSERT_TRUE(r.ok()) << ::testing::PrintToString(errorLines(r));
  const Config& c = *r.config;
  ASSERT_TRUE(c.redis);
  EXPECT_EQ(c.redis->host, "127.0.0.1");
  EXPECT_EQ(c.redis->port, 6379);
  EXPECT_EQ(c.redis->db, 0);
  EXPECT_EQ(c.redis->on_unavailable, OnUnavailable::kLocal);
  EXPECT_EQ(c.admin.token, "admin-tok");
  EXPECT_TRUE(c.providers[0].url.tls);
  EXPECT_EQ(c.providers[0].url.port, 443);
  EXPECT_EQ(c.clients[1].key_digest, sha256Of("foo"));
}

TEST(Loader, ParsesEveryField) {
  auto env = fakeEnv({{"P1_KEY", "s1"}, {"ADMIN_TOK", "t"}, {"C1_KEY", "c1"}});
  LoadResult r = loadConfigString(R"(
server:
  listen: "[::1]:0"
  workers: 3
  max_request_body: 1024
  max_header_bytes: 8KiB
  header_timeout: 250ms
  idle_timeout: 2m
  drain_timeout: 1h
  http2: { max_concurrent_streams: 7 }
admin: { listen: "0.0.0.0:0", token_env: ADMIN_TOK }
redis:
  url: redis://cache.local:6390/3
  prefix: "sg:"
  lease_ttl: 5s
  on_unavailable: reject
providers:
  - name: p1
    type: anthropic
    base_url: https://example.com:8443/api/
    connect_timeout: 1s
    request_timeout: 90s
    idle_timeout: 1500ms
    keys: [{ id: k1, secret_env: P1_KEY }]
    circuit_breaker: { failure_threshold: 2, open_duration: 10s, half_open_requests: 3 }
models:
  - name: m1
    targets: [{ provider: p1, model: real-m1 }]
clients:
  - { id: c1, key_env: C1_KEY, models: ["m*", "x?"] }
routing: { retries: 0 }
strict_aliases: true
)",
                                  env);
  ASSERT_TRUE(r.ok()) << ::testing::PrintToString(errorLines(r));
  const Config& c = *r.config;
  EXPECT_EQ(c.server.listen.host, "::1");
  EXPECT_EQ(c.server.listen.port, 0);
  EXPECT_EQ(c.server.workers, 3u);
  EXPECT_EQ(c.server.max_request_body, 1024u);
  EXPECT_EQ(c.server.max_header_bytes, 8192u);
  EXPECT_EQ(c.server.header_timeout, milliseconds(250));
  EXPECT_EQ(c.server.idle_timeout, milliseconds(120'000));
  EXPECT_EQ(c.server.drain_timeout, milliseconds(3'600'000));
  EXPECT_EQ(c.server.http2.max_concurrent_streams, 7u);
  EXPECT_EQ(c.admin.token_env, "ADMIN_TOK");
  EXPECT_EQ(c.admin.token, "t");
  ASSERT_TRUE(c.redis);
  EXPECT_EQ(c.redis->url, "redis://cache.local:6390/3");
  EXPECT_EQ(c.redis->host, "cache.local");
  EXPECT_EQ(c.redis->port, 6390);
  EXPECT_EQ(c.redis->db, 3);
  EXPECT_EQ(c.redis->prefix, "sg:");
  EXPECT_EQ(c.redis->lease_ttl, milliseconds(5000));
  EXPECT_EQ(c.redis->on_unavailable, OnUnavailable::kReject);
  const Provider& p = c.providers[0];
  EXPECT_EQ(p.type, ProviderType::kAnthropic);
  EXPECT_EQ(p.base_url, "https://example.com:8443/api/");
  EXPECT_EQ(p.url.path_prefix, "/api");
  EXPECT_EQ(p.url.host_header, "example.com:8443");
  EXPECT_EQ(p.connect_timeout, milliseconds(1000));
  EXPECT_EQ(p.request_timeout, milliseconds(90'000));
  EXPECT_EQ(p.idle_timeout, milliseconds(1500));
  EXPECT_EQ(p.keys[0].max_concurrency, 0u);
  EXPECT_EQ(p.circuit_breaker.failure_threshold, 2u);
  EXPECT_EQ(p.circuit_breaker.open_duration, milliseconds(10'000));
  EXPECT_EQ(p.circuit_breaker.half_open_requests, 3u);
  EXPECT_EQ(c.clients[0].models, (std::vector<std::string>{"m*", "x?"}));
  EXPECT_FALSE(c.clients[0].queue);
  EXPECT_EQ(c.routing.retries, 0u);
  EXPECT_TRUE(c.strict_aliases);
  EXPECT_EQ(c.source_path, "");
}

TEST(Loader, AbsentSectionsKeepDefaults) {
  LoadResult r = loadConfigString(testing::kProvidersYaml, fakeEnv(baseEnv()));
  ASSERT_TRUE(r.ok()) << ::testing::PrintToString(errorLines(r));
  const Config& c = *r.config;
  EXPECT_EQ(c.server.listen.port, 8080);
  EXPECT_EQ(c.server.drain_timeout, milliseconds(30'000));
  EXPECT_EQ(c.admin.listen.port, 9901);
  EXPECT_FALSE(c.redis);
  EXPECT_EQ(c.providers[0].connect_timeout, milliseconds(5000));
  EXPECT_EQ(c.providers[0].request_timeout, milliseconds(600'000));
  // Below the 5 s keep-alive of Node.js and uvicorn servers.
  EXPECT_EQ(c.providers[0].idle_timeout, milliseconds(4000));
  EXPECT_EQ(c.providers[0].circuit_breaker.failure_threshold, 5u);
  EXPECT_EQ(c.routing.retries, 1u);
}

TEST(Loader, ClientKeySha256IsDecoded) {
  std::string yaml = std::string(testing::kProvidersYaml) + R"(
clients:
  - id: c1
    key_sha256: BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD
)";
  LoadResult r = loadConfigString(yaml, fakeEnv(baseEnv()));
  ASSERT_TRUE(r.ok()) << ::testing::PrintToString(errorLines(r));
  EXPECT_EQ(r.config->clients[0].key_digest, sha256Of("abc"));
  EXPECT_EQ(r.config->clients[0].key_env, "");
  EXPECT_EQ(r.config->clients[0].models, (std::vector<std::string>{"*"}));
}

TEST(Loader, RedisWithDefaults) {
  std::string yaml = std::string(testing::kProvidersYaml) + "redis: {}\n";
  LoadResult r = loadConfigString(yaml, fakeEnv(baseEnv()));
  ASSERT_TRUE(r.ok()) << ::testing::PrintToString(errorLines(r));
  ASSERT_TRUE(r.config->redis);
  EXPECT_EQ(r.config->redis->port, 6379);
  EXPECT_EQ(r.config->redis->lease_ttl, milliseconds(30'000));
}

}  // namespace
}  // namespace slotgate::conf
