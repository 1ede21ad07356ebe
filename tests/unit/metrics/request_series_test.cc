#include "metrics/request_series.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <set>
#include <thread>

#include "exposition.h"
#include "gtest/gtest.h"

namespace slotgate::metrics {
namespace {

using testing::parseExposition;
using testing::sampleValue;

conf::Config makeConfig() {
  conf::Config c;
  conf::Provider openai;
  openai.name = "openai";
  openai.keys = {{"oa-1", "OA1_ENV", "sk-secret-1", 4}, {"oa-2", "OA2_ENV", "sk-secret-2", 4}};
  conf::Provider anthropic;
  anthropic.name = "anthropic";
  anthropic.type = conf::ProviderType::kAnthropic;
  anthropic.keys = {{"an-1", "AN1_ENV", "sk-ant-secret", 2}};
  c.providers = {openai, anthropic};

  conf::Model gpt;
  gpt.name = "gpt";
  gpt.targets = {{"openai", "gpt-4o", 0}, {"openai", "gpt-4o-mini", 0}};
  conf::Model claude;
  claude.name = "claude";
  claude.targets = {{"anthropic", "claude-sonnet", 1}};
  c.models = {gpt, claude};

  conf::Client alice;
  alice.id = "alice";
  conf::Client bob;
  bob.id = "bob";
  c.clients = {alice, bob};
  return c;
}

constexpr size_t kU = RequestSeries::kUnknown;

TEST(RequestSeriesTest, SameIndicesGiveSameSeries) {
  Metrics metrics;
  RequestSeries s(metrics, makeConfig());
  EXPECT_EQ(&s.requests(0, 0, 1), &s.requests(0, 0, 1));
  EXPECT_NE(&s.requests(0, 0, 1), &s.requests(0, 0, 0));
  EXPECT_NE(&s.requests(0, 0, 1), &s.requests(1, 0, 1));
  EXPECT_EQ(&s.latency(1, 1, 0), &s.latency(1, 1, 0));
  EXPECT_EQ(&s.errors(0, 1, 0, ErrorType::kUpstreamTimeout),
            &s.errors(0, 1, 0, ErrorType::kUpstreamTimeout));
  EXPECT_NE(&s.errors(0, 1, 0, ErrorType::kUpstreamTimeout),
            &s.errors(0, 1, 0, ErrorType::kUpstreamError));
  // A second snapshot of the same config counts into the same series (reload).
  RequestSeries again(metrics, makeConfig());
  EXPECT_EQ(&s.requests(0, 0, 1), &again.requests(0, 0, 1));
  EXPECT_EQ(s.key("oa-2")->slot_duration[1], again.key("oa-2")->slot_duration[1]);
}

TEST(RequestSeriesTest, LabelsComeFromConfigIdsOrUnknown) {
  Metrics metrics;
  RequestSeries s(metrics, makeConfig());
  s.requests(1, 0, 1).Increment();
  s.latency(1, 0, 1).observe(std::chrono::milliseconds(200));
  s.errors(kU, kU, kU, ErrorType::kInvalidApiKey).Increment();
  s.errors(0, 99, 0, ErrorType::kModelNotFound).Increment(2);  // out of range = unknown
  s.errors(0, 1, kU, ErrorType::kNoUpstreamAvailable).Increment();
  s.errors(0, 1, 0, ErrorType::kUpstreamStatus).Increment();

  auto e = parseExposition(metrics.serialize());
  ASSERT_EQ(e.error, "");
  EXPECT_EQ(sampleValue(e, "inference_requests_total", "inference_requests_total",
                        {{"model", "gpt"}, {"version", "gpt-4o-mini"}, {"tenant", "bob"}}),
            1.0);
  EXPECT_EQ(sampleValue(e, "inference_latency_seconds", "inference_latency_seconds_count",
                        {{"model", "gpt"}, {"version", "gpt-4o-mini"}, {"tenant", "bob"}}),
            1.0);
  auto errors = [&](const char* model, const char* version, const char* type, const char* tenant) {
    return sampleValue(
        e, "inference_errors_total", "inference_errors_total",
        {{"model", model}, {"version", version}, {"error_type", type}, {"tenant", tenant}});
  };
  EXPECT_EQ(errors("unknown", "unknown", "invalid_api_key", "unknown"), 1.0);
  EXPECT_EQ(errors("unknown", "unknown", "model_not_found", "alice"), 2.0);
  EXPECT_EQ(errors("claude", "unknown", "no_upstream_available", "alice"), 1.0);
  EXPECT_EQ(errors("claude", "claude-sonnet", "upstream_status", "alice"), 1.0);
  // Small config: every configured combination exists at 0 before traffic.
  EXPECT_EQ(sampleValue(e, "inference_requests_total", "inference_requests_total",
                        {{"model", "claude"}, {"version", "claude-sonnet"}, {"tenant", "alice"}}),
            0.0);
  EXPECT_EQ(e.families["inference_requests_total"].samples.size(), 2u * 3u);
}

TEST(RequestSeriesTest, NoSecretInAnyLabel) {
  Metrics metrics;
  RequestSeries s(metrics, makeConfig());
  for (size_t p = 0; p < 2; ++p) {
    s.provider(p).inflight->Increment();
  }
  const std::string text = metrics.serialize();
  EXPECT_EQ(text.find("secret"), std::string::npos);
  EXPECT_EQ(text.find("_ENV"), std::string::npos);
}

TEST(RequestSeriesTest, KeySeries) {
  Metrics metrics;
  RequestSeries s(metrics, makeConfig());
  EXPECT_EQ(&s.providerKey(0, 1), s.key("oa-2"));
  EXPECT_EQ(&s.providerKey(1, 0), s.key("an-1"));
  EXPECT_EQ(&s.clientKey(1), s.key("bob"));
  EXPECT_EQ(s.key("nope"), nullptr);
  EXPECT_EQ(s.providerKey(0, 2).key_id, "unknown");  // provider 0 has two keys
  EXPECT_EQ(s.providerKey(kU, 0).key_id, "unknown");
  EXPECT_EQ(s.clientKey(kU).key_id, "unknown");
  EXPECT_EQ(s.keys().size(), 5u);

  s.key("oa-1")->slotReleased(false, std::chrono::seconds(2));
  s.key("oa-1")->slotReleased(true, std::chrono::milliseconds(50));
  s.key("oa-1")->slotReleased(true, std::chrono::milliseconds(50));
  s.key("oa-1")->streamFinished(false, std::chrono::seconds(12));
  s.key("oa-1")->in_use->Set(3);

  auto e = parseExposition(metrics.serialize());
  ASSERT_EQ(e.error, "");
  EXPECT_EQ(sampleValue(e, "concurrency_slot_release_total", "concurrency_slot_release_total",
                        {{"key_id", "oa-1"}, {"exception", "false"}}),
            1.0);
  EXPECT_EQ(sampleValue(e, "concurrency_slot_release_total", "concurrency_slot_release_total",
                        {{"key_id", "oa-1"}, {"exception", "true"}}),
            2.0);
  EXPECT_EQ(sampleValue(e, "concurrency_slot_duration_seconds",
                        "concurrency_slot_duration_seconds_bucket",
                        {{"key_id", "oa-1"}, {"exception", "true"}, {"le", "0.1"}}),
            2.0);
  EXPECT_EQ(sampleValue(e, "streaming_request_duration_seconds",
                        "streaming_request_duration_seconds_count",
                        {{"key_id", "oa-1"}, {"status", "error"}}),
            1.0);
  EXPECT_EQ(
      sampleValue(e, "concurrency_slots_in_use", "concurrency_slots_in_use", {{"key_id", "oa-1"}}),
      3.0);
  EXPECT_EQ(
      sampleValue(e, "concurrency_slots_in_use", "concurrency_slots_in_use", {{"key_id", "alice"}}),
      0.0);
}

// Every series a RequestSeries and Metrics itself create carries exactly the label names its
// family's entry in metrics/metric_families.h declares, and every entry is exported once, in
// table order, with its type.
TEST(RequestSeriesTest, EverySeriesCarriesTheLabelsOfItsTableEntry) {
  Metrics metrics;
  RequestSeries s(metrics, makeConfig());
  s.requests(0, 0, 1).Increment();
  s.latency(0, 0, 1).observe(std::chrono::milliseconds(200));
  s.errors(1, 1, 0, ErrorType::kUpstreamTimeout).Increment();
  s.providerKey(0, 0).slotReleased(true, std::chrono::seconds(1));
  s.providerKey(0, 0).streamFinished(true, std::chrono::seconds(1));
  s.provider(1).chunk_gap->observe(0, std::chrono::milliseconds(10));
  s.timeToFirstToken(0, 0)->observe(0, std::chrono::milliseconds(50));
  s.queueDepth(0).Set(1);
  s.aliasDuration(2).observe(std::chrono::milliseconds(1));
  metrics.slotsLimit().Add({{"key_id", "oa-1"}}).Set(4);
  metrics.downstreamCloses().Add({{"reason", "eof"}}).Increment();
  metrics.httpRejects().Add({{"reason", "malformed"}}).Increment();
  metrics.overhead().observe(0, std::chrono::microseconds(100));
  metrics.queueWait().observe(0, std::chrono::milliseconds(100));

  auto e = parseExposition(metrics.serialize());
  ASSERT_EQ(e.error, "");
  size_t position = 0;
  for (const MetricFamilySpec& spec : kMetricFamilies) {
    const std::string name(spec.name);
    ASSERT_LT(position, e.order.size());
    EXPECT_EQ(e.order[position++], name);
    const bool histogram = spec.kind == MetricKind::ShardedHistogram ||
                           spec.kind == MetricKind::SingleShardedHistogram;
    const bool counter = spec.kind == MetricKind::Counter || spec.kind == MetricKind::SingleCounter;
    EXPECT_EQ(e.families[name].type, histogram ? "histogram"
                                     : counter ? "counter"
                                               : "gauge")
        << name;
    EXPECT_EQ(e.families[name].help, spec.help) << name;
    std::set<std::string> declared;
    for (size_t at = 0; at < spec.labels.size();) {
      const size_t comma = std::min(spec.labels.find(',', at), spec.labels.size());
      declared.emplace(spec.labels.substr(at, comma - at));
      at = comma + 1;
    }
    for (const auto& sample : e.families[name].samples) {
      std::set<std::string> carried;
      for (const auto& [label, value] : sample.labels) {
        if (label != "le") {
          carried.insert(label);
        }
      }
      EXPECT_EQ(carried, declared) << sample.name;
    }
    if (spec.kind == MetricKind::SingleCounter || spec.kind == MetricKind::SingleGauge) {
      EXPECT_EQ(e.families[name].samples.size(), 1u) << name;
    }
  }
}

TEST(RequestSeriesTest, ProvidersQueuesRequestTotalAndAlias) {
  Metrics metrics;
  RequestSeries s(metrics, makeConfig());
  s.provider(1).timeouts->Increment();
  s.provider(kU).inflight->Set(1);
  s.provider(0).retries->Increment();
  s.queueDepth(0).Set(4);
  s.queueDepth(kU).Set(1);
  s.requestTotal(true, false).Increment();
  s.requestTotal(false, true).Increment(5);
  s.aliasResolution(2, true).Increment();
  s.aliasDuration(3).observe(std::chrono::microseconds(20));

  auto e = parseExposition(metrics.serialize());
  ASSERT_EQ(e.error, "");
  EXPECT_EQ(sampleValue(e, "upstream_timeouts_total", "upstream_timeouts_total",
                        {{"provider", "anthropic"}}),
            1.0);
  EXPECT_EQ(sampleValue(e, "upstream_inflight", "upstream_inflight", {{"provider", "unknown"}}),
            1.0);
  EXPECT_EQ(sampleValue(e, "slotgate_upstream_retries_total", "slotgate_upstream_retries_total",
                        {{"provider", "openai"}}),
            1.0);
  EXPECT_EQ(sampleValue(e, "job_queue_depth", "job_queue_depth",
                        {{"model", "gpt"}, {"version", "gpt-4o"}}),
            4.0);
  EXPECT_EQ(sampleValue(e, "job_queue_depth", "job_queue_depth",
                        {{"model", "claude"}, {"version", "claude-sonnet"}}),
            0.0);
  EXPECT_EQ(sampleValue(e, "job_queue_depth", "job_queue_depth",
                        {{"model", "unknown"}, {"version", "unknown"}}),
            1.0);
  EXPECT_EQ(sampleValue(e, "request_total", "request_total",
                        {{"type", "streaming"}, {"status", "error"}}),
            1.0);
  EXPECT_EQ(sampleValue(e, "request_total", "request_total",
                        {{"type", "non-streaming"}, {"status", "success"}}),
            5.0);
  EXPECT_EQ(sampleValue(e, "model_alias_resolution_total", "model_alias_resolution_total",
                        {{"method", "alias"}, {"cache_hit", "true"}}),
            1.0);
  EXPECT_EQ(sampleValue(e, "model_alias_resolution_duration_seconds",
                        "model_alias_resolution_duration_seconds_bucket",
                        {{"method", "not_found"}, {"le", "5e-05"}}),
            1.0);
}

TEST(RequestSeriesTest, LargeConfigCreatesSeriesOnFirstUse) {
  conf::Config c = makeConfig();
  for (int i = 0; i < 600; ++i) {
    conf::Client client;
    client.id = "c" + std::to_string(i);
    c.clients.push_back(client);
  }
  Metrics metrics;
  RequestSeries s(metrics, c);  // 602 clients × 3 targets > kEagerCombinationLimit
  auto e = parseExposition(metrics.serialize());
  EXPECT_TRUE(e.families["inference_requests_total"].samples.empty());
  s.requests(500, 1, 0).Increment();
  e = parseExposition(metrics.serialize());
  EXPECT_EQ(sampleValue(e, "inference_requests_total", "inference_requests_total",
                        {{"model", "claude"}, {"version", "claude-sonnet"}, {"tenant", "c498"}}),
            1.0);
}

TEST(RequestSeriesTest, ConcurrentFirstUseAgrees) {
  conf::Config c = makeConfig();
  for (int i = 0; i < 600; ++i) {
    conf::Client client;
    client.id = "c" + std::to_string(i);
    c.clients.push_back(client);
  }
  Metrics metrics;
  RequestSeries s(metrics, c);
  std::vector<std::thread> threads;
  std::vector<prometheus::Counter*> seen(4);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 500; ++i) {
        s.errors(static_cast<size_t>(i), 0, 0, ErrorType::kUpstreamError).Increment();
      }
      seen[static_cast<size_t>(t)] = &s.errors(7, 0, 0, ErrorType::kUpstreamError);
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  for (auto* p : seen) {
    EXPECT_EQ(p, seen[0]);
  }
  EXPECT_EQ(seen[0]->Value(), 4.0);
  auto e = parseExposition(metrics.serialize());
  EXPECT_EQ(e.families["inference_errors_total"].samples.size(), 500u);
}

}  // namespace
}  // namespace slotgate::metrics
