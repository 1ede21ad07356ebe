#include "conf/config_json.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/unit/conf/test_util.h"

namespace slotgate::conf {
namespace {

using testing::fakeEnv;

constexpr const char* kYaml = R"(
server: { listen: 127.0.0.1:0 }
admin: { listen: 127.0.0.1:0, token_env: ADMIN_TOKEN }
redis: { url: "redis://127.0.0.1:6379/0" }
providers:
  - name: openai
    type: openai
    base_url: http://127.0.0.1:9911
    keys:
      - { id: k-openai, secret_env: OPENAI_SECRET, max_concurrency: 3 }
  - name: anthropic
    type: anthropic
    base_url: http://127.0.0.1:9912
    keys:
      - { id: k-anth, secret_env: ANTH_SECRET, max_concurrency: 0 }
models:
  - name: m1
    aliases: [one]
    targets: [{ provider: openai, model: gpt-x }]
clients:
  - { id: team-a, key_env: TEAM_A_KEY, max_concurrency: 4 }
  - { id: team-b, key_sha256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08" }
)";

const std::map<std::string, std::string> kEnv = {{"ADMIN_TOKEN", "admin-tok-SECRET-42"},
                                                 {"OPENAI_SECRET", "sk-openai-SECRET-1"},
                                                 {"ANTH_SECRET", "sk-ant-SECRET-2"},
                                                 {"TEAM_A_KEY", "team-a-client-SECRET"}};

ConfigPtr load() {
  LoadResult r = loadConfigString(kYaml, fakeEnv(kEnv));
  EXPECT_TRUE(r.ok()) << (r.errors.empty() ? "" : r.errors[0].toString());
  auto c = std::make_shared<Config>(*r.config);
  c->version = 7;
  c->loaded_at = std::chrono::system_clock::time_point(std::chrono::milliseconds(1714566896789));
  return c;
}

TEST(ConfigJson, NoSecretValueAppears) {
  const std::string text = configJson(*load());
  for (const auto& [name, value] : kEnv) {
    EXPECT_EQ(text.find(value), std::string::npos) << name << " leaked";
  }
  // Nor the client key digest, in hex.
  EXPECT_EQ(text.find("9f86d081884c7d65"), std::string::npos);
}

TEST(ConfigJson, KeepsIdsEnvNamesVersionAndLoadTime) {
  const nlohmann::json j = nlohmann::json::parse(configJson(*load()));
  EXPECT_EQ(j["version"], 7);
  EXPECT_EQ(j["loaded_at"], "2024-05-01T12:34:56.789Z");
  EXPECT_EQ(j["admin"]["token_env"], "ADMIN_TOKEN");
  EXPECT_EQ(j["admin"]["token_set"], true);
  EXPECT_EQ(j["admin"].count("token"), 0u);
  ASSERT_EQ(j["providers"].size(), 2u);
  const auto& key = j["providers"][0]["keys"][0];
  EXPECT_EQ(key["id"], "k-openai");
  EXPECT_EQ(key["secret_env"], "OPENAI_SECRET");
  EXPECT_EQ(key["secret_set"], true);
  EXPECT_EQ(key["max_concurrency"], 3);
  EXPECT_EQ(key.count("secret"), 0u);
  EXPECT_EQ(j["providers"][1]["type"], "anthropic");
  EXPECT_EQ(j["models"][0]["targets"][0]["model"], "gpt-x");
  EXPECT_EQ(j["models"][0]["aliases"][0], "one");
  EXPECT_EQ(j["clients"][0]["key_env"], "TEAM_A_KEY");
  EXPECT_EQ(j["clients"][1]["key_source"], "key_sha256");
  EXPECT_TRUE(j["clients"][1]["key_env"].is_null());
  EXPECT_EQ(j["redis"]["url"], "redis://127.0.0.1:6379/0");
}

TEST(ConfigJson, RedactUrlPassword) {
  EXPECT_EQ(redactUrlPassword("redis://127.0.0.1:6379/0"), "redis://127.0.0.1:6379/0");
  EXPECT_EQ(redactUrlPassword("redis://user:pw@h:1/0"), "redis://user:REDACTED@h:1/0");
  EXPECT_EQ(redactUrlPassword("redis://user@h:1/0"), "redis://user@h:1/0");
  EXPECT_EQ(redactUrlPassword("https://a:b@x/p@q"), "https://a:REDACTED@x/p@q");
  EXPECT_EQ(redactUrlPassword("not a url"), "not a url");
}

}  // namespace
}  // namespace slotgate::conf
