// RunningTotals: arithmetic, filters, include_active, and the two renderings.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <nlohmann/json.hpp>

#include "metrics/iso_time.h"
#include "metrics/running_totals.h"

namespace slotgate::metrics {
namespace {

using std::chrono::system_clock;

system_clock::time_point at(int64_t ms) {
  return system_clock::time_point(std::chrono::milliseconds(ms));
}

FinishedRequest done(const std::string& provider, const std::string& model, bool streaming,
                     bool error, double ms, TokenUsage usage) {
  FinishedRequest f;
  f.provider = provider;
  f.provider_model = model;
  f.streaming = streaming;
  f.error = error;
  f.duration_ms = ms;
  f.usage = usage;
  return f;
}

// openai/gpt-a: 2 requests (stream ok 100 ms, non-stream error 300 ms)
// openai/gpt-b: 1 request; anthropic/claude: 1 request; 1 unrouted error.
void fill(RunningTotals& t) {
  t.record(done("openai", "gpt-a", true, false, 100, {10, 5, 2, 0, true}), at(1000));
  t.record(done("openai", "gpt-a", false, true, 300, {}), at(3000));
  t.record(done("openai", "gpt-b", false, false, 50, {7, 3, 0, 0, true}), at(2000));
  t.record(done("anthropic", "claude", true, false, 1000, {10, 8, 2, 1, true}), at(4000));
  t.record(done("", "", false, true, 1, {}), at(5000));
}

TEST(RunningTotals, SumsPerModelProviderAndTop) {
  RunningTotals t;
  fill(t);
  const TotalsView v = t.view({});
  const TotalsRow& a = v.providers.at("openai").models.at("gpt-a");
  EXPECT_EQ(a.requests, 2u);
  EXPECT_EQ(a.errors, 1u);
  EXPECT_EQ(a.streaming, 1u);
  EXPECT_EQ(a.non_streaming, 1u);
  EXPECT_EQ(a.input_tokens, 10u);
  EXPECT_EQ(a.output_tokens, 5u);
  EXPECT_EQ(a.cache_read_tokens, 2u);
  EXPECT_DOUBLE_EQ(a.avgDurationMs(), 200.0);
  EXPECT_EQ(a.last_accessed, at(3000));

  const TotalsRow& openai = v.providers.at("openai").sum;
  EXPECT_EQ(openai.requests, 3u);
  EXPECT_EQ(openai.input_tokens, 17u);
  EXPECT_EQ(openai.output_tokens, 8u);
  EXPECT_DOUBLE_EQ(openai.avgDurationMs(), 150.0);
  EXPECT_EQ(openai.last_accessed, at(3000));

  // Top: every provider plus the unrouted request.
  EXPECT_EQ(v.top.requests, 5u);
  EXPECT_EQ(v.top.errors, 2u);
  EXPECT_EQ(v.top.streaming, 2u);
  EXPECT_EQ(v.top.non_streaming, 3u);
  EXPECT_EQ(v.top.input_tokens, 27u);
  EXPECT_EQ(v.top.output_tokens, 16u);
  EXPECT_EQ(v.top.cache_read_tokens, 4u);
  EXPECT_EQ(v.top.cache_creation_tokens, 1u);
  EXPECT_DOUBLE_EQ(v.top.avgDurationMs(), (100 + 300 + 50 + 1000 + 1) / 5.0);
  EXPECT_EQ(v.top.last_accessed, at(5000));
}

TEST(RunningTotals, FiltersByProviderAndModelGlob) {
  RunningTotals t;
  fill(t);
  TotalsFilter f;
  f.provider = "open*";
  TotalsView v = t.view(f);
  ASSERT_EQ(v.providers.size(), 1u);
  EXPECT_EQ(v.top.requests, 3u);  // no unrouted requests under a narrowing filter

  f = {};
  f.model = "gpt-?";
  v = t.view(f);
  ASSERT_EQ(v.providers.size(), 1u);
  EXPECT_EQ(v.providers.at("openai").models.size(), 2u);

  f.model = "gpt-b";
  v = t.view(f);
  EXPECT_EQ(v.top.requests, 1u);
  EXPECT_EQ(v.top.input_tokens, 7u);

  f = {};
  f.provider = "nobody";
  v = t.view(f);
  EXPECT_TRUE(v.providers.empty());
  EXPECT_EQ(v.top.requests, 0u);
}

TEST(RunningTotals, IncludeActiveAddsInFlightTokensOnly) {
  RunningTotals t;
  fill(t);
  std::vector<ActiveTokens> active = {
      {"openai", "gpt-a", {4, 6, 0, 0, true}, at(9000)},
      {"", "", {100, 100, 0, 0, true}, at(9000)},  // not routed yet: not shown
  };
  TotalsFilter f;
  TotalsView without = t.view(f, active);
  EXPECT_EQ(without.providers.at("openai").models.at("gpt-a").input_tokens, 10u);
  f.include_active = true;
  TotalsView with = t.view(f, active);
  const TotalsRow& a = with.providers.at("openai").models.at("gpt-a");
  EXPECT_EQ(a.input_tokens, 14u);
  EXPECT_EQ(a.output_tokens, 11u);
  EXPECT_EQ(a.requests, 2u);  // finished requests only
  EXPECT_EQ(a.active, 1u);
  EXPECT_DOUBLE_EQ(a.avgDurationMs(), 200.0);
  EXPECT_EQ(with.top.input_tokens, 31u);
  EXPECT_EQ(with.top.active, 1u);
}

TEST(RunningTotals, JsonAndYamlCarryTheSameTree) {
  RunningTotals t;
  fill(t);
  const TotalsView v = t.view({});
  const nlohmann::json j = nlohmann::json::parse(totalsJson(v));
  EXPECT_EQ(j["requests"], 5);
  EXPECT_EQ(j["providers"]["openai"]["requests"], 3);
  EXPECT_EQ(j["providers"]["openai"]["models"]["gpt-a"]["avg_duration_ms"], 200.0);
  EXPECT_EQ(j["providers"]["openai"]["models"]["gpt-a"]["last_accessed"], isoTimeUtcMs(at(3000)));
  EXPECT_EQ(j["providers"]["anthropic"]["models"]["claude"]["cache_creation_tokens"], 1);
  EXPECT_EQ(j.count("active"), 0u);

  const YAML::Node y = YAML::Load(totalsYaml(v));
  EXPECT_EQ(y["requests"].as<int>(), 5);
  EXPECT_EQ(y["errors"].as<int>(), 2);
  EXPECT_EQ(y["providers"]["openai"]["models"]["gpt-a"]["requests"].as<int>(), 2);
  EXPECT_DOUBLE_EQ(y["providers"]["openai"]["models"]["gpt-a"]["avg_duration_ms"].as<double>(),
                   200.0);
  EXPECT_EQ(y["providers"]["openai"]["models"]["gpt-b"]["last_accessed"].as<std::string>(),
            "1970-01-01T00:00:02.000Z");
}

TEST(RunningTotals, YamlQuotesKeysThatWouldNotReadBack) {
  RunningTotals t;
  t.record(done("true", "a: b #c", false, false, 1, {}), at(1));
  const YAML::Node y = YAML::Load(totalsYaml(t.view({})));
  EXPECT_EQ(y["providers"]["true"]["models"]["a: b #c"]["requests"].as<int>(), 1);
}

TEST(RunningTotals, EmptyRendersZerosAndNullLastAccessed) {
  RunningTotals t;
  const nlohmann::json j = nlohmann::json::parse(totalsJson(t.view({})));
  EXPECT_EQ(j["requests"], 0);
  EXPECT_EQ(j["avg_duration_ms"], 0.0);
  EXPECT_TRUE(j["last_accessed"].is_null());
  EXPECT_TRUE(j["providers"].empty());
  const YAML::Node y = YAML::Load(totalsYaml(t.view({})));
  EXPECT_TRUE(y["last_accessed"].IsNull());
  EXPECT_EQ(y["providers"].size(), 0u);
}

}  // namespace
}  // namespace slotgate::metrics
