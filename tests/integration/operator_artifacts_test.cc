// The operator artifacts shipped under conf/ (the Grafana dashboard and the Prometheus rules)
// against a running gateway: every metric name their PromQL uses is one the real binary
// exports, so a renamed family cannot leave a silent, empty panel or a dead alert behind.
// (promtool checks the rules' syntax and behaviour: the promtool_* tests in tests/CMakeLists.)
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <cctype>
#include <fstream>
#include <set>
#include <sstream>

#include "tests/integration/gateway_fixture.h"

namespace slotgate::testing {
namespace {

using nlohmann::json;

std::string readSourceFile(const std::string& relative) {
  std::ifstream in(std::string(SLOTGATE_SOURCE_DIR) + "/" + relative);
  EXPECT_TRUE(in.good()) << relative;
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The series names a PromQL expression selects. Strings, label matchers ({...}), ranges
// ([...]) and grouping label lists (by/without/on/ignoring (...)) are skipped; of the
// identifiers left, those followed by "(" are functions, the rest keywords or series names.
std::set<std::string> seriesNames(const std::string& expr) {
  // Aggregation operators may be followed by "by (...)" instead of "(", so they are listed.
  static const std::set<std::string> kKeywords = {
      "by",    "without", "on",       "ignoring",    "group_left", "group_right", "and",
      "or",    "unless",  "bool",     "offset",      "inf",        "nan",         "sum",
      "min",   "max",     "avg",      "count",       "stddev",     "stdvar",      "topk",
      "group", "bottomk", "quantile", "count_values"};
  static const std::set<std::string> kGrouping = {"by",       "without",    "on",
                                                  "ignoring", "group_left", "group_right"};
  std::set<std::string> names;
  size_t i = 0;
  // Moves past `close`, skipping quoted strings (a label value may hold "}").
  auto skipTo = [&](char close) {
    char quote = 0;
    while (i < expr.size() && (quote != 0 || expr[i] != close)) {
      if (expr[i] == '\\') {
        ++i;
      } else if (quote != 0 && expr[i] == quote) {
        quote = 0;
      } else if (quote == 0 && close != '"' && close != '\'' &&
                 (expr[i] == '"' || expr[i] == '\'')) {
        quote = expr[i];
      }
      ++i;
    }
    ++i;
  };
  while (i < expr.size()) {
    const char c = expr[i];
    if (c == '"' || c == '\'') {
      ++i;
      skipTo(c);
    } else if (c == '{') {
      skipTo('}');
    } else if (c == '[') {
      skipTo(']');
    } else if (c == '$') {  // Grafana variables: $job, $__rate_interval
      ++i;
      while (i < expr.size() &&
             (std::isalnum(static_cast<unsigned char>(expr[i])) || expr[i] == '_')) {
        ++i;
      }
    } else if (std::isalpha(static_cast<unsigned char>(c)) || c == '_' || c == ':') {
      const size_t start = i;
      while (i < expr.size() && (std::isalnum(static_cast<unsigned char>(expr[i])) ||
                                 expr[i] == '_' || expr[i] == ':')) {
        ++i;
      }
      const std::string word = expr.substr(start, i - start);
      size_t next = i;
      while (next < expr.size() && expr[next] == ' ') {
        ++next;
      }
      const bool call = next < expr.size() && expr[next] == '(';
      if (kGrouping.count(word) && call) {
        i = next + 1;
        skipTo(')');  // the label list
      } else if (!call && !kKeywords.count(word)) {
        names.insert(word);
      }
    } else if (std::isdigit(static_cast<unsigned char>(c))) {
      while (i < expr.size() && (std::isalnum(static_cast<unsigned char>(expr[i])) ||
                                 expr[i] == '.' || expr[i] == '+' || expr[i] == '-')) {
        ++i;
      }
    } else {
      ++i;
    }
  }
  return names;
}

TEST(SeriesNamesTest, ReadsNamesNotFunctionsLabelsOrStrings) {
  EXPECT_EQ(seriesNames("histogram_quantile(0.99, sum by (le, model) "
                        "(rate(inference_latency_seconds_bucket{job=~\"$job\"}[5m])))"),
            (std::set<std::string>{"inference_latency_seconds_bucket"}));
  EXPECT_EQ(seriesNames("slotgate_redis_up == 0 and on (job, instance) x:y:z == 1"),
            (std::set<std::string>{"slotgate_redis_up", "x:y:z"}));
  EXPECT_EQ(seriesNames("a / (b > 0) offset 5m"), (std::set<std::string>{"a", "b"}));
  EXPECT_EQ(seriesNames("sum by (key_id) (c{x=\"y}\"}) / max without(le) (d)"),
            (std::set<std::string>{"c", "d"}));
}

struct Artifacts {
  std::vector<std::string> dashboard_exprs;
  std::vector<std::string> rule_exprs;
  std::set<std::string> recorded;  // names of recording rules
  std::set<std::string> alerts;
};

Artifacts loadArtifacts() {
  Artifacts a;
  const json dashboard = json::parse(readSourceFile("conf/grafana/slotgate-dashboard.json"));
  for (const auto& panel : dashboard.at("panels")) {
    if (panel.value("type", "") == "row") {
      continue;
    }
    EXPECT_TRUE(panel.contains("gridPos")) << panel.value("title", "");
    EXPECT_FALSE(panel.at("targets").empty()) << panel.value("title", "");
    for (const auto& target : panel.at("targets")) {
      a.dashboard_exprs.push_back(target.at("expr").get<std::string>());
    }
  }
  for (const auto& variable : dashboard.at("templating").at("list")) {
    if (variable.value("type", "") == "query") {
      // label_values(request_total{...}, job): the metric is the first argument.
      const std::string query = variable.at("query").get<std::string>();
      a.dashboard_exprs.push_back(
          query.substr(query.find('(') + 1, query.rfind(',') - query.find('(') - 1));
    }
  }
  const YAML::Node rules = YAML::Load(readSourceFile("conf/prometheus/slotgate.rules.yml"));
  for (const auto& group : rules["groups"]) {
    for (const auto& rule : group["rules"]) {
      a.rule_exprs.push_back(rule["expr"].as<std::string>());
      if (rule["record"]) {
        a.recorded.insert(rule["record"].as<std::string>());
      } else {
        a.alerts.insert(rule["alert"].as<std::string>());
      }
    }
  }
  return a;
}

class OperatorArtifactsTest : public ::testing::Test {
 protected:
  // Every series name the running gateway exports: each family, and for histograms the
  // _bucket/_sum/_count series Prometheus stores.
  std::set<std::string> exportedSeries() {
    const PrometheusText parsed = parsePrometheus(gateway_.metricsText());
    EXPECT_TRUE(parsed.errors.empty());
    std::set<std::string> names;
    for (const auto& [family, type] : parsed.types) {
      names.insert(family);
      if (type == "histogram") {
        for (const char* suffix : {"_bucket", "_sum", "_count"}) {
          names.insert(family + suffix);
        }
      }
    }
    return names;
  }

  MockProvider mock_;
  Gateway gateway_{standardConfig(mock_)};
};

TEST_F(OperatorArtifactsTest, EveryMetricTheDashboardAndRulesUseIsExported) {
  const Artifacts a = loadArtifacts();
  const std::set<std::string> exported = exportedSeries();
  ASSERT_FALSE(a.dashboard_exprs.empty());
  ASSERT_FALSE(a.rule_exprs.empty());
  std::set<std::string> used;
  for (const auto* exprs : {&a.dashboard_exprs, &a.rule_exprs}) {
    for (const std::string& expr : *exprs) {
      const std::set<std::string> names = seriesNames(expr);
      EXPECT_FALSE(names.empty()) << "selects no series: " << expr;
      for (const std::string& name : names) {
        used.insert(name);
        const bool known = exported.count(name) || a.recorded.count(name);
        EXPECT_TRUE(known) << name << " (in " << expr << ") is not exported by slotgate";
      }
    }
  }
  // What operators look at first is covered: slots per key against their limit, the queue,
  // circuits, request and error rates, latency and streaming duration, aliases, Redis, and the
  // LLM figures: time to first token, chunk gaps, slotgate's own time, answers without usage.
  for (const char* name :
       {"concurrency_slots_in_use", "slotgate_concurrency_slots_limit", "job_queue_depth",
        "health_open_circuits", "request_total", "inference_errors_total",
        "inference_latency_seconds_bucket", "streaming_request_duration_seconds_bucket",
        "model_alias_resolution_total", "model_alias_conflict_total", "slotgate_redis_up",
        "slotgate_time_to_first_token_seconds_bucket", "slotgate_stream_chunk_gap_seconds_bucket",
        "slotgate_overhead_seconds_bucket", "slotgate_queue_wait_seconds_bucket",
        "slotgate_requests_without_usage_total"}) {
    EXPECT_TRUE(used.count(name)) << name << " is used by neither the dashboard nor the rules";
  }
  for (const char* alert : {"SlotgateCircuitOpen", "SlotgateSlotsSaturated",
                            "SlotgateHighErrorRatio", "SlotgateHighLatencyP99", "SlotgateRedisDown",
                            "SlotgateAliasConflicts", "SlotgateTokensUncounted"}) {
    EXPECT_TRUE(a.alerts.count(alert)) << alert;
  }
}

TEST_F(OperatorArtifactsTest, SlotLimitsAndRedisPresenceAreExportedForTheRules) {
  // Without `redis` the Redis alert must stay quiet.
  ASSERT_EQ(gateway_.chat("gpt-test").status, 200);
  EXPECT_EQ(gateway_.metricValue("slotgate_redis_configured"), 0);
  for (const auto& client : gateway_.config().clients) {
    EXPECT_EQ(gateway_.metricValue("slotgate_concurrency_slots_limit", {{"key_id", client.id}}),
              client.maxConcurrency)
        << client.id;
  }
  for (const auto& provider : gateway_.config().providers) {
    for (const auto& key : provider.keys) {
      EXPECT_EQ(gateway_.metricValue("slotgate_concurrency_slots_limit", {{"key_id", key.id}}),
                key.maxConcurrency)
          << key.id;
    }
  }
}

}  // namespace
}  // namespace slotgate::testing
