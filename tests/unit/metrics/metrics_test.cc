#include "metrics/metrics.h"

#include <chrono>
#include <cmath>
#include <set>
#include <thread>

#include "exposition.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/spec_metric_families.h"

namespace slotgate::metrics {
namespace {

using testing::Exposition;
using testing::parseExposition;
using testing::sampleValue;

const auto& kSpecFamilies = slotgate::testing::kSpecMetricFamilies;  // SPEC section 8, name → type

// Every histogram series has increasing le buckets ending in +Inf, and _sum/_count;
// the +Inf bucket equals _count.
void expectWellFormedHistograms(const Exposition& e) {
  for (const auto& [name, family] : e.families) {
    if (family.type != "histogram") {
      continue;
    }
    std::map<std::map<std::string, std::string>, std::vector<const testing::Sample*>> series;
    for (const auto& s : family.samples) {
      auto labels = s.labels;
      labels.erase("le");
      series[labels].push_back(&s);
    }
    for (const auto& [labels, samples] : series) {
      double last_le = -INFINITY;
      double last_count = 0;
      bool inf = false;
      bool sum = false;
      double count = NAN;
      double inf_count = NAN;
      for (const auto* s : samples) {
        if (s->name == name + "_bucket") {
          ASSERT_EQ(s->labels.count("le"), 1u) << name;
          double le = s->labels.at("le") == "+Inf" ? INFINITY : std::stod(s->labels.at("le"));
          EXPECT_GT(le, last_le) << name;
          EXPECT_GE(s->value, last_count) << name;
          last_le = le;
          last_count = s->value;
          if (std::isinf(le)) {
            inf = true;
            inf_count = s->value;
          }
        } else if (s->name == name + "_sum") {
          sum = true;
        } else if (s->name == name + "_count") {
          count = s->value;
        } else {
          ADD_FAILURE() << "unexpected sample " << s->name;
        }
      }
      EXPECT_TRUE(inf) << name << " has no le=\"+Inf\" bucket";
      EXPECT_TRUE(sum) << name << " has no _sum";
      EXPECT_EQ(count, inf_count) << name;
    }
  }
}

TEST(MetricsTest, EveryFamilyOfSpecHasHelpAndTypeBeforeAnyRequest) {
  Metrics metrics;
  const std::string text = metrics.serialize();
  Exposition e = parseExposition(text);
  ASSERT_EQ(e.error, "") << text;
  for (const auto& [name, type] : kSpecFamilies) {
    auto it = e.families.find(name);
    ASSERT_NE(it, e.families.end()) << name << " missing in\n" << text;
    EXPECT_EQ(it->second.type, type) << name;
    EXPECT_FALSE(it->second.help.empty()) << name;
  }
  expectWellFormedHistograms(e);
  // The fixed label sets read 0 from the start.
  for (const char* type : {"streaming", "non-streaming"}) {
    for (const char* status : {"success", "error"}) {
      EXPECT_EQ(
          sampleValue(e, "request_total", "request_total", {{"type", type}, {"status", status}}),
          0.0);
    }
  }
  EXPECT_EQ(e.families["request_total"].samples.size(), 4u);
  EXPECT_EQ(e.families["model_alias_resolution_total"].samples.size(), 8u);
  EXPECT_EQ(sampleValue(e, "model_alias_resolution_total", "model_alias_resolution_total",
                        {{"method", "provider_model_name"}, {"cache_hit", "false"}}),
            0.0);
  EXPECT_EQ(sampleValue(e, "model_alias_resolution_duration_seconds",
                        "model_alias_resolution_duration_seconds_count", {{"method", "not_found"}}),
            0.0);
  EXPECT_EQ(sampleValue(e, "health_open_circuits", "health_open_circuits", {}), 0.0);
  EXPECT_EQ(sampleValue(e, "model_alias_conflict_total", "model_alias_conflict_total", {}), 0.0);
  // Families without series yet: HELP/TYPE only.
  EXPECT_TRUE(e.families["inference_requests_total"].samples.empty());
  EXPECT_TRUE(e.families["concurrency_slot_duration_seconds"].samples.empty());
}

TEST(MetricsTest, HistogramsUseSpecBuckets) {
  Metrics metrics;
  auto& slot = metrics.slotDuration().add({{"key_id", "k1"}, {"exception", "false"}});
  slot.observe(std::chrono::milliseconds(700));
  slot.observe(std::chrono::seconds(700));
  metrics.inferenceLatency()
      .add({{"model", "m"}, {"version", "v"}, {"tenant", "t"}})
      .observe(std::chrono::milliseconds(3));
  Exposition e = parseExposition(metrics.serialize());
  ASSERT_EQ(e.error, "");
  expectWellFormedHistograms(e);

  auto bounds = [&](const std::string& family) {
    std::vector<std::string> les;
    for (const auto& s : e.families[family].samples) {
      if (s.labels.count("le")) {
        les.push_back(s.labels.at("le"));
      }
    }
    return les;
  };
  EXPECT_EQ(bounds("concurrency_slot_duration_seconds"),
            (std::vector<std::string>{"0.1", "0.5", "1", "5", "10", "30", "60", "120", "300", "600",
                                      "+Inf"}));
  EXPECT_EQ(bounds("inference_latency_seconds"),
            (std::vector<std::string>{"0.005", "0.01", "0.02", "0.05", "0.1", "0.25", "0.5", "1",
                                      "2", "5", "10", "+Inf"}));
  // Alias duration: 4 finer buckets, then SPEC's 9, then +Inf; one series per method.
  EXPECT_EQ(bounds("model_alias_resolution_duration_seconds").size(), 4u * 14u);
  metrics.streamingDuration()
      .add({{"key_id", "k1"}, {"status", "success"}})
      .observe(std::chrono::seconds(2));
  e = parseExposition(metrics.serialize());
  ASSERT_EQ(e.error, "");
  EXPECT_EQ(
      bounds("streaming_request_duration_seconds"),
      (std::vector<std::string>{"1", "5", "10", "30", "60", "120", "300", "600", "1800", "+Inf"}));

  const std::map<std::string, std::string> labels{{"key_id", "k1"}, {"exception", "false"}};
  auto at = [&](const std::string& le) {
    auto l = labels;
    l["le"] = le;
    return sampleValue(e, "concurrency_slot_duration_seconds",
                       "concurrency_slot_duration_seconds_bucket", l);
  };
  EXPECT_EQ(at("0.5"), 0.0);
  EXPECT_EQ(at("1"), 1.0);
  EXPECT_EQ(at("600"), 1.0);
  EXPECT_EQ(at("+Inf"), 2.0);
  EXPECT_DOUBLE_EQ(sampleValue(e, "concurrency_slot_duration_seconds",
                               "concurrency_slot_duration_seconds_sum", labels),
                   700.7);
}

TEST(MetricsTest, SameLabelsGiveSameSeries) {
  Metrics metrics;
  auto& a = metrics.slotDuration().add({{"key_id", "k"}, {"exception", "true"}});
  auto& b = metrics.slotDuration().add({{"key_id", "k"}, {"exception", "true"}});
  EXPECT_EQ(&a, &b);
}

TEST(MetricsTest, RefreshersRunBeforeEveryScrape) {
  Metrics metrics;
  int calls = 0;
  metrics.addRefresher([&] { metrics.openCircuits().Set(++calls); });
  Exposition e = parseExposition(metrics.serialize());
  EXPECT_EQ(sampleValue(e, "health_open_circuits", "health_open_circuits", {}), 1.0);
  e = parseExposition(metrics.serialize());
  EXPECT_EQ(sampleValue(e, "health_open_circuits", "health_open_circuits", {}), 2.0);
  EXPECT_EQ(calls, 2);
}

TEST(MetricsTest, FamiliesAddedElsewhereAreExportedOnce) {
  Metrics metrics;
  prometheus::BuildCounter()
      .Name("other_total")
      .Help("x")
      .Register(metrics.registry())
      .Add({})
      .Increment(3);
  Exposition e = parseExposition(metrics.serialize());
  ASSERT_EQ(e.error, "");
  EXPECT_EQ(sampleValue(e, "other_total", "other_total", {}), 3.0);
  std::set<std::string> seen;
  for (const auto& name : e.order) {
    EXPECT_TRUE(seen.insert(name).second) << name << " exported twice";
  }
}

TEST(MetricsTest, ExtrasArePresent) {
  Metrics metrics;
  metrics.configVersion().Set(7);
  metrics.httpRejects().Add({{"reason", "header_timeout"}}).Increment();
  Exposition e = parseExposition(metrics.serialize());
  ASSERT_EQ(e.error, "");
  EXPECT_EQ(sampleValue(e, "slotgate_config_version", "slotgate_config_version", {}), 7.0);
  EXPECT_EQ(sampleValue(e, "slotgate_http_rejects_total", "slotgate_http_rejects_total",
                        {{"reason", "header_timeout"}}),
            1.0);
  EXPECT_EQ(e.families["slotgate_downstream_connections_closed_total"].type, "counter");
  EXPECT_EQ(e.families["slotgate_upstream_retries_total"].type, "counter");
  EXPECT_EQ(sampleValue(e, "slotgate_config_reloads_total", "slotgate_config_reloads_total",
                        {{"result", "failure"}}),
            0.0);
  EXPECT_EQ(sampleValue(e, "slotgate_redis_up", "slotgate_redis_up", {}), 0.0);
}

TEST(MetricsTest, JsonHasEveryMetric) {
  Metrics metrics;
  metrics.requestTotal().Add({{"type", "streaming"}, {"status", "error"}}).Increment(2);
  auto& h = metrics.inferenceLatency().add({{"model", "m"}, {"version", "v"}, {"tenant", "t"}});
  h.observe(std::chrono::milliseconds(30));
  h.observe(std::chrono::seconds(20));
  metrics.openCircuits().Set(NAN);  // must not break the JSON

  nlohmann::json j = nlohmann::json::parse(metrics.serializeJson());
  ASSERT_TRUE(j.is_array());
  std::map<std::string, nlohmann::json> by_name;
  for (const auto& f : j) {
    ASSERT_TRUE(f.contains("help"));
    by_name[f["name"].get<std::string>()] = f;
  }
  for (const auto& [name, type] : kSpecFamilies) {
    ASSERT_TRUE(by_name.count(name)) << name;
    EXPECT_EQ(by_name[name]["type"], type) << name;
  }
  bool found = false;
  for (const auto& m : by_name["request_total"]["metrics"]) {
    if (m["labels"]["type"] == "streaming" && m["labels"]["status"] == "error") {
      EXPECT_EQ(m["value"].get<double>(), 2.0);
      found = true;
    }
  }
  EXPECT_TRUE(found);
  const auto& latency = by_name["inference_latency_seconds"]["metrics"].at(0);
  EXPECT_EQ(latency["labels"]["tenant"], "t");
  EXPECT_EQ(latency["count"].get<uint64_t>(), 2u);
  EXPECT_DOUBLE_EQ(latency["sum"].get<double>(), 20.03);
  ASSERT_EQ(latency["buckets"].size(), 11u);  // finite bounds only
  EXPECT_EQ(latency["buckets"][3]["le"].get<double>(), 0.05);
  EXPECT_EQ(latency["buckets"][3]["count"].get<uint64_t>(), 1u);
  EXPECT_EQ(latency["buckets"][10]["count"].get<uint64_t>(), 1u);
  EXPECT_TRUE(by_name["health_open_circuits"]["metrics"][0]["value"].is_null());
  EXPECT_GT(by_name["process_resident_memory_bytes"]["metrics"][0]["value"].get<double>(), 0);
}

TEST(MetricsTest, ConcurrentUpdatesAndScrapes) {
  Metrics metrics;
  auto& counter = metrics.requestTotal().Add({{"type", "streaming"}, {"status", "success"}});
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 1000; ++i) {
        counter.Increment();
        if (i % 250 == 0) {
          (void)metrics.serialize();
        }
      }
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  Exposition e = parseExposition(metrics.serialize());
  EXPECT_EQ(sampleValue(e, "request_total", "request_total",
                        {{"type", "streaming"}, {"status", "success"}}),
            4000.0);
}

}  // namespace
}  // namespace slotgate::metrics
