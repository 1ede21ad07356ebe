// Every validation error class, with its exact path and message.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

#include "conf/loader.h"
#include "tests/unit/conf/test_util.h"

namespace slotgate::conf {
namespace {

using testing::baseEnv;
using ::testing::ElementsAre;
using testing::errorLines;
using testing::errorsOf;
using testing::fakeEnv;
using testing::withProviders;

TEST(LoaderErrors, YamlSyntaxErrorHasLineAndColumn) {
  LoadResult r = loadConfigString("server:\n  listen: [1, 2\n", fakeEnv({}));
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].path, "");
  EXPECT_THAT(r.errors[0].message, ::testing::StartsWith("YAML syntax error at line "));
}

TEST(LoaderErrors, EmptyAndNonMapDocuments) {
  EXPECT_THAT(errorsOf(""), ElementsAre(": the config is empty"));
  EXPECT_THAT(errorsOf("- a\n- b\n"), ElementsAre("(root): must be a map"));
}

TEST(LoaderErrors, UnknownKeysAtEveryLevel) {
  EXPECT_THAT(errorsOf(withProviders(R"(
servr: {}
server: { listen: "127.0.0.1:1", tls_cert: x, http2: { streams: 1 } }
routing: { retry: 1 }
)")),
              ElementsAre("servr: unknown key", "server.tls_cert: unknown key",
                          "server.http2.streams: unknown key", "routing.retry: unknown key"));
  EXPECT_THAT(errorsOf(R"(
providers:
  - name: p1
    type: openai
    base_url: http://h
    keys: [{ id: k1, secret_env: P1_KEY, secret: sk-inline }]
)"),
              ElementsAre("providers[0].keys[0].secret: unknown key"));
}

TEST(LoaderErrors, DuplicateYamlKey) {
  EXPECT_THAT(errorsOf(withProviders("routing:\n  retries: 1\n  retries: 2\n")),
              ElementsAre("routing.retries: duplicate key"));
}

TEST(LoaderErrors, WrongTypesNameThePath) {
  EXPECT_THAT(errorsOf(withProviders(R"(
server: [1]
admin: { listen: [a] }
routing: { retries: [1] }
clients: { id: x }
strict_aliases: maybe
)")),
              ElementsAre("server: must be a map", "admin.listen: must be a string",
                          "routing.retries: must be an integer", "clients: must be a list",
                          "strict_aliases: must be true or false"));
}

TEST(LoaderErrors, IntegersRangeAndForm) {
  EXPECT_THAT(errorsOf(R"(
providers:
  - name: p1
    type: openai
    base_url: http://h
    keys:
      - { id: k1, secret_env: P1_KEY, max_concurrency: -1 }
      - { id: k2, secret_env: P1_KEY, max_concurrency: 1.5 }
      - { id: k3, secret_env: P1_KEY, max_concurrency: 99999999999 }
    circuit_breaker: { failure_threshold: 0, half_open_requests: -2 }
server: { workers: -3, http2: { max_concurrent_streams: 0 } }
)"),
              ElementsAre("providers[0].keys[0].max_concurrency: must be >= 0",
                          "providers[0].keys[1].max_concurrency: must be an integer",
                          "providers[0].keys[2].max_concurrency: must be <= 4294967295",
                          "providers[0].circuit_breaker.failure_threshold: must be > 0",
                          "providers[0].circuit_breaker.half_open_requests: must be > 0",
                          "server.workers: must be >= 0",
                          "server.http2.max_concurrent_streams: must be > 0"));
}

TEST(LoaderErrors, DurationsNeedUnitsAndPositiveValues) {
  auto errors = errorsOf(withProviders(R"(
server: { header_timeout: 30, idle_timeout: 0s, drain_timeout: 5 minutes }
redis: { lease_ttl: 0ms }
)"));
  const std::string hint =
      "use a number with a unit: ms, s, m or h (e.g. \"250ms\", \"30s\", \"5m\")";
  EXPECT_THAT(errors, ElementsAre("server.header_timeout: invalid duration \"30\": " + hint,
                                  "server.idle_timeout: must be > 0",
                                  "server.drain_timeout: invalid duration \"5 minutes\": " + hint,
                                  "redis.lease_ttl: must be > 0"));
}

TEST(LoaderErrors, BadSizes) {
  auto errors = errorsOf(withProviders(R"(
server: { max_request_body: 10MB, max_header_bytes: 0 }
)"));
  EXPECT_THAT(errors, ElementsAre("server.max_request_body: invalid size \"10MB\": use bytes, or "
                                  "a number with B, KiB, MiB or GiB (e.g. 65536, \"64KiB\", "
                                  "\"10MiB\")",
                                  "server.max_header_bytes: must be > 0"));
}

TEST(LoaderErrors, ListenAddresses) {
  EXPECT_THAT(
      errorsOf(withProviders(R"(
server: { listen: "127.0.0.1" }
admin: { listen: "localhost:70000" }
)")),
      ElementsAre(
          "server.listen: missing port (expected host:port, e.g. 127.0.0.1:8080 or [::1]:8080)",
          "admin.listen: port must be an integer from 0 to 65535"));
  EXPECT_THAT(errorsOf(withProviders(R"(
server: { listen: "127.0.0.1:9000" }
admin: { listen: "127.0.0.1:9000" }
)")),
              ElementsAre("admin.listen: must differ from server.listen (the ops endpoints never "
                          "share the data port)"));
}

TEST(LoaderErrors, AdminTokenRules) {
  EXPECT_THAT(errorsOf(withProviders("admin: { listen: \"0.0.0.0:9901\" }\n")),
              ElementsAre("admin.token_env: is required when admin.listen is not a loopback "
                          "address"));
  EXPECT_THAT(errorsOf(withProviders("admin: { listen: \"[::1]:0\", token_env: NOPE }\n")),
              ElementsAre("admin.token_env: environment variable NOPE is not set or is empty"));
  auto env = baseEnv();
  env["EMPTY"] = "";
  EXPECT_THAT(errorsOf(withProviders("admin: { listen: \"10.1.1.1:0\", token_env: EMPTY }\n"), env),
              ElementsAre("admin.token_env: environment variable EMPTY is not set or is empty"));
  env["TOK"] = "tok";
  LoadResult ok = loadConfigString(
      withProviders("admin: { listen: \"10.1.1.1:0\", token_env: TOK }\n"), fakeEnv(env));
  ASSERT_TRUE(ok.ok()) << ::testing::PrintToString(errorLines(ok));
  EXPECT_EQ(ok.config->admin.token, "tok");
}

TEST(LoaderErrors, RedisSection) {
  EXPECT_THAT(
      errorsOf(withProviders(R"(
redis: { url: "http://x", on_unavailable: drop, extra: 1 }
)")),
      ElementsAre("redis.url: must start with redis:// (e.g. redis://127.0.0.1:6379/0)",
                  "redis.on_unavailable: must be local or reject", "redis.extra: unknown key"));
}

TEST(LoaderErrors, ProviderFields) {
  auto errors = errorsOf(R"(
providers:
  - name: ""
    type: azure
    base_url: ftp://x
    connect_timeout: 0s
    idle_timeout: 0s
    keys: []
  - name: p2
    type: openai
    base_url: http://h
  - name: p2
    type: openai
    base_url: http://h
    keys: [{ secret_env: P1_KEY }]
)");
  EXPECT_THAT(errors, ElementsAre("providers[0].name: must not be empty",
                                  "providers[0].type: must be openai or anthropic",
                                  "providers[0].base_url: must start with http:// or https://",
                                  "providers[0].connect_timeout: must be > 0",
                                  "providers[0].idle_timeout: must be > 0",
                                  "providers[0].keys: must list at least one key",
                                  "providers[1].keys: is required (a list of at least one key)",
                                  "providers[2].name: duplicate provider name \"p2\" (also "
                                  "providers[1])",
                                  "providers[2].keys[0].id: is required"));
}

TEST(LoaderErrors, ProviderSecretEnvUnsetNeverPrintsValues) {
  const std::string secret = "sk-live-TOPSECRET-123";
  auto errors = errorsOf(R"(
providers:
  - name: p1
    type: openai
    base_url: http://h
    keys:
      - { id: k1, secret_env: MISSING_KEY }
      - { id: k2, secret_env: "sk-live-TOPSECRET-123" }
      - { id: k3 }
)",
                         {{"OTHER", secret}});
  EXPECT_THAT(errors,
              ElementsAre("providers[0].keys[0].secret_env: environment variable MISSING_KEY is "
                          "not set or is empty",
                          "providers[0].keys[1].secret_env: must be the name of an environment "
                          "variable (letters, digits and _)",
                          "providers[0].keys[2].secret_env: is required"));
  for (const auto& e : errors) {
    EXPECT_EQ(e.find("TOPSECRET"), std::string::npos) << e;
  }
}

TEST(LoaderErrors, ModelFields) {
  auto errors = errorsOf(withProviders(R"(
models:
  - name: m1
    aliases: [a1, "", [x]]
    patterns: ['^ok$', '(unclosed']
    targets: [{ provider: nope, model: x }, { provider: p1 }]
  - name: m1
    targets: []
  - aliases: [z]
)"));
  EXPECT_THAT(
      errors,
      ElementsAre("models[0].aliases[1]: must not be empty",
                  "models[0].aliases[2]: must be a string",
                  "models[0].patterns[1]: invalid pattern: missing ): (unclosed",
                  "models[0].targets[0].provider: unknown provider \"nope\"",
                  "models[0].targets[1].model: is required",
                  "models[1].name: duplicate model name \"m1\" (also models[0])",
                  "models[1].targets: must list at least one target", "models[2].name: is required",
                  "models[2].targets: is required (a list of at least one target)"));
}

TEST(LoaderErrors, ClientFields) {
  auto env = baseEnv();
  env["C2_KEY"] = "client-one-secret";  // same key as C1_KEY
  auto errors = errorsOf(withProviders(R"(
clients:
  - { id: c1, key_env: C1_KEY, max_concurrency: -1, queue: { max_waiting: -1, timeout: 2 } }
  - { id: c2, key_env: C2_KEY }
  - { id: c3 }
  - { id: c4, key_env: C1_KEY, key_sha256: abc }
  - { id: c5, key_sha256: xyz }
  - { id: c6, key_env: UNSET, models: "*" }
)"),
                         env);
  EXPECT_THAT(
      errors,
      ElementsAre("clients[0].max_concurrency: must be >= 0",
                  "clients[0].queue.max_waiting: must be >= 0",
                  "clients[0].queue.timeout: invalid duration \"2\": use a number with a unit: "
                  "ms, s, m or h (e.g. \"250ms\", \"30s\", \"5m\")",
                  "clients[1].key_env: same key as clients[0]; each client needs its own",
                  "clients[2]: needs key_env or key_sha256",
                  "clients[3].key_sha256: give either key_env or key_sha256, not both",
                  "clients[4].key_sha256: must be 64 hex digits (a SHA-256 digest)",
                  "clients[5].key_env: environment variable UNSET is not set or is empty",
                  "clients[5].models: must be a list"));
  for (const auto& e : errors) {
    EXPECT_EQ(e.find("client-one-secret"), std::string::npos) << e;
  }
}

TEST(LoaderErrors, KeyIdsUniqueAcrossProvidersAndClients) {
  auto errors = errorsOf(R"(
providers:
  - name: p1
    type: openai
    base_url: http://h
    keys: [{ id: shared, secret_env: P1_KEY }, { id: k2, secret_env: P1_KEY }]
  - name: p2
    type: anthropic
    base_url: http://h
    keys: [{ id: k2, secret_env: P1_KEY }]
clients:
  - { id: shared, key_env: C1_KEY }
  - { id: c2, key_sha256: ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad }
  - { id: c2, key_sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855 }
)");
  EXPECT_THAT(errors,
              ElementsAre("providers[1].keys[0].id: \"k2\" is already used by "
                          "providers[0].keys[1].id",
                          "clients[0].id: \"shared\" is already used by providers[0].keys[0].id",
                          "clients[2].id: \"c2\" is already used by clients[1].id"));
}

TEST(LoaderErrors, TlsFilesMustBeReadable) {
  auto errors = errorsOf(withProviders(R"(
server:
  tls: { cert: /nonexistent/cert.pem }
)"));
  // A missing key is reported at its map's position, so before the map's entries.
  EXPECT_THAT(errors, ElementsAre("server.tls.key: is required",
                                  "server.tls.cert: cannot read file \"/nonexistent/cert.pem\": "
                                  "No such file or directory"));
}

TEST(LoaderErrors, ManyErrorsReportedAtOnceInDocumentOrder) {
  auto errors = errorsOf(R"(
server:
  workers: -1
  idle_timeout: 10
providers:
  - name: p1
    type: openai
    base_url: http://h
    keys: [{ id: k1, secret_env: P1_KEY, max_concurrency: -5 }]
models:
  - name: m
    targets: [{ provider: p9, model: x }]
clients:
  - { id: c, key_env: NOT_SET }
routing: { retries: -1 }
)");
  ASSERT_EQ(errors.size(), 6u);
  EXPECT_EQ(errors[0], "server.workers: must be >= 0");
  EXPECT_THAT(errors[1], ::testing::StartsWith("server.idle_timeout: invalid duration \"10\""));
  EXPECT_EQ(errors[2], "providers[0].keys[0].max_concurrency: must be >= 0");
  EXPECT_EQ(errors[3], "models[0].targets[0].provider: unknown provider \"p9\"");
  EXPECT_EQ(errors[4], "clients[0].key_env: environment variable NOT_SET is not set or is empty");
  EXPECT_EQ(errors[5], "routing.retries: must be >= 0");
}

TEST(LoaderErrors, SecretValuesNeverAppearInAnyError) {
  std::map<std::string, std::string> env = {{"P1_KEY", "sk-provider-SECRET-1"},
                                            {"C1_KEY", "client-SECRET-2"},
                                            {"C2_KEY", "client-SECRET-2"},
                                            {"ADMIN", "admin-SECRET-3"}};
  auto errors = errorsOf(R"(
admin: { listen: "0.0.0.0:1", token_env: ADMIN, token: x }
providers:
  - name: p1
    type: openai
    base_url: http://h
    keys:
      - { id: k1, secret_env: P1_KEY, max_concurrency: -1 }
      - { id: k1, secret_env: P1_KEY }
clients:
  - { id: k1, key_env: C1_KEY }
  - { id: c2, key_env: C2_KEY, bogus: 1 }
)",
                         env);
  EXPECT_EQ(errors.size(), 6u) << ::testing::PrintToString(errors);
  for (const auto& e : errors) {
    EXPECT_EQ(e.find("SECRET"), std::string::npos) << e;
  }
}

TEST(LoaderErrors, ReadableTlsFilesAreAccepted) {
  auto dir = std::filesystem::temp_directory_path();
  auto cert = dir / "slotgate_conf_test_cert.pem";
  auto key = dir / "slotgate_conf_test_key.pem";
  std::ofstream(cert) << "cert";
  std::ofstream(key) << "key";
  LoadResult r = loadConfigString(
      withProviders("server:\n  tls: { cert: " + cert.string() + ", key: " + key.string() + " }\n"),
      fakeEnv(baseEnv()));
  std::filesystem::remove(cert);
  std::filesystem::remove(key);
  ASSERT_TRUE(r.ok()) << ::testing::PrintToString(errorLines(r));
  ASSERT_TRUE(r.config->server.tls);
  EXPECT_EQ(r.config->server.tls->cert, cert.string());
  EXPECT_EQ(r.config->server.tls->key, key.string());
}

TEST(LoaderErrors, MissingFileIsOneError) {
  LoadResult r = loadConfigFile("/nonexistent/slotgate.yaml", fakeEnv({}));
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].toString(),
            ": cannot read config file \"/nonexistent/slotgate.yaml\": No such file or directory");
}

}  // namespace
}  // namespace slotgate::conf
