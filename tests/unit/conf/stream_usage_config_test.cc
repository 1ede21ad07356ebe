// providers[].inject_stream_usage (issue 14): on by default for type openai, off for anthropic,
// validated with its YAML path.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "conf/config_json.h"
#include "conf/loader.h"
#include "nlohmann/json.hpp"
#include "tests/unit/conf/test_util.h"

namespace slotgate::conf {
namespace {

using testing::baseEnv;
using testing::errorLines;
using testing::fakeEnv;

std::string providers(const std::string& openai_extra, const std::string& anthropic_extra) {
  return R"(
providers:
  - name: p1
    type: openai
    base_url: http://127.0.0.1:9911
    keys: [{ id: k1, secret_env: P1_KEY }]
)" + openai_extra +
         R"(
  - name: p2
    type: anthropic
    base_url: http://127.0.0.1:9912
    keys: [{ id: k2, secret_env: P1_KEY }]
)" + anthropic_extra;
}

TEST(StreamUsageConfig, OnForOpenAiOffForAnthropicByDefault) {
  LoadResult r = loadConfigString(providers("", ""), fakeEnv(baseEnv()));
  ASSERT_TRUE(r.ok()) << ::testing::PrintToString(errorLines(r));
  EXPECT_TRUE(r.config->providers[0].inject_stream_usage);
  EXPECT_FALSE(r.config->providers[1].inject_stream_usage);
  const auto json = nlohmann::json::parse(configJson(*r.config));
  EXPECT_EQ(json["providers"][0]["inject_stream_usage"], true);
  EXPECT_EQ(json["providers"][1]["inject_stream_usage"], false);
}

TEST(StreamUsageConfig, TurnedOffPerProvider) {
  LoadResult r = loadConfigString(
      providers("    inject_stream_usage: false\n", "    inject_stream_usage: false\n"),
      fakeEnv(baseEnv()));
  ASSERT_TRUE(r.ok()) << ::testing::PrintToString(errorLines(r));
  EXPECT_FALSE(r.config->providers[0].inject_stream_usage);
  EXPECT_FALSE(r.config->providers[1].inject_stream_usage);
}

TEST(StreamUsageConfig, ErrorsNameThePath) {
  LoadResult r = loadConfigString(
      providers("    inject_stream_usage: maybe\n", "    inject_stream_usage: true\n"),
      fakeEnv(baseEnv()));
  EXPECT_FALSE(r.ok());
  EXPECT_THAT(errorLines(r), ::testing::ElementsAre(
                                 "providers[0].inject_stream_usage: must be true or false",
                                 "providers[1].inject_stream_usage: applies to type openai only"));
}

}  // namespace
}  // namespace slotgate::conf
