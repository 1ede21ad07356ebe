// Operator views that agree (SPEC section 6): /metrics/logs lists every non-2xx answer with its
// error_type, slotgate's own refusals included; the running totals' top level is exactly
// request_total and the provider part counts requests that reached a provider; the access line
// names the provider model.
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>

#include "tests/integration/gateway_fixture.h"

namespace slotgate::testing {
namespace {

using nlohmann::json;

Headers tagged(const std::string& id) { return {{"x-request-id", id}}; }

TEST(OperatorViews, EveryNon2xxAnswerIsInTheErrorLog) {
  MockProvider mock;
  Gateway gateway(standardConfig(mock));
  struct Case {
    std::string id;
    long status;
    std::string error_type;
  };
  const std::vector<Case> cases = {
      {"v-404-model", 404, "model_not_found"},    {"v-403", 403, "model_not_allowed"},
      {"v-401", 401, "invalid_api_key"},          {"v-400", 400, "invalid_request"},
      {"v-404-path", 404, "not_found"},           {"v-405", 405, "method_not_allowed"},
      {"v-upstream-400", 400, "upstream_status"}, {"v-200", 200, ""},
  };
  ASSERT_EQ(gateway.chat("no-such-model", kClientKey, tagged("v-404-model")).status, 404);
  ASSERT_EQ(gateway.chat("gpt-test", kOtherClientKey, tagged("v-403")).status, 403);
  ASSERT_EQ(gateway.chat("gpt-test", "sk-wrong", tagged("v-401")).status, 401);
  ASSERT_EQ(gateway.post("/v1/chat/completions", "[]", kClientKey, tagged("v-400")).status, 400);
  ASSERT_EQ(gateway.post("/v1/nope", "{}", kClientKey, tagged("v-404-path")).status, 404);
  ASSERT_EQ(request("GET", gateway.url("/v1/chat/completions"), bearer(kClientKey, tagged("v-405")))
                .status,
            405);
  ASSERT_EQ(gateway
                .chat("gpt-test", kClientKey,
                      {{"x-request-id", "v-upstream-400"}, {"x-mock-fail", "400"}})
                .status,
            400);
  ASSERT_EQ(gateway.chat("gpt-test", kClientKey, tagged("v-200")).status, 200);

  json logs;
  ASSERT_TRUE(eventually([&] {
    logs = gateway.adminJson("/metrics/logs");
    return findByRequestId(logs["traces"], "v-200") != nullptr;
  }));
  for (const Case& c : cases) {
    const json* trace = findByRequestId(logs["traces"], c.id);
    ASSERT_NE(trace, nullptr) << c.id << " missing from traces: " << logs.dump();
    EXPECT_EQ((*trace)["status"], c.status) << c.id;
    const json* error = findByRequestId(logs["errors"], c.id);
    if (c.status == 200) {
      EXPECT_EQ(error, nullptr) << c.id;
      continue;
    }
    ASSERT_NE(error, nullptr) << c.id << " missing from errors: " << logs.dump();
    EXPECT_EQ((*error)["status"], c.status) << c.id;
    EXPECT_EQ((*error)["error_type"], c.error_type) << c.id;
  }
  const json& refused = *findByRequestId(logs["errors"], "v-404-model");
  EXPECT_EQ(refused["client"], "team-a");
  EXPECT_EQ(refused["model"], "no-such-model");
  EXPECT_EQ(refused["provider"], "");
  EXPECT_EQ((*findByRequestId(logs["errors"], "v-401"))["client"], "unknown");
}

TEST(OperatorViews, ErrorLogKeepsAShortModelName) {
  MockProvider mock;
  Gateway gateway(standardConfig(mock));
  const std::string huge(100000, 'm');
  ASSERT_EQ(gateway.chat(huge, kClientKey, tagged("v-huge")).status, 404);
  json logs;
  ASSERT_TRUE(eventually([&] {
    logs = gateway.adminJson("/metrics/logs");
    return findByRequestId(logs["errors"], "v-huge") != nullptr;
  }));
  EXPECT_LE((*findByRequestId(logs["errors"], "v-huge"))["model"].get<std::string>().size(), 256u);
}

TEST(OperatorViews, TotalsTopIsRequestTotalAndProvidersCountWhatReachedThem) {
  MockProvider mock;
  Gateway gateway(standardConfig(mock));
  ASSERT_EQ(gateway.chat("gpt-test").status, 200);
  ASSERT_EQ(gateway.chat("gpt-test", kClientKey, {{"x-mock-fail", "500"}}).status, 500);
  ASSERT_EQ(gateway.chat("no-such-model").status, 404);
  ASSERT_EQ(gateway.chat("gpt-test", kOtherClientKey).status, 403);
  ASSERT_EQ(gateway.chat("gpt-test", "sk-wrong").status, 401);
  ASSERT_EQ(gateway.post("/v1/chat/completions", "{}").status, 400);
  ASSERT_EQ(gateway.post("/v1/nope", "{}").status, 404);
  ASSERT_EQ(request("GET", gateway.url("/v1/models"), bearer(kClientKey)).status, 200);
  ASSERT_EQ(request("GET", gateway.url("/v1/models/nope"), bearer(kClientKey)).status, 404);
  constexpr int kAnswers = 9;
  ASSERT_TRUE(eventually([&] {
    return gateway.metricValue("request_total") == kAnswers &&
           gateway.adminJson("/metrics/running-totals?format=json")["requests"] == kAnswers;
  })) << gateway.adminJson("/metrics/running-totals?format=json").dump();
  const json totals = gateway.adminJson("/metrics/running-totals?format=json");
  EXPECT_EQ(totals["errors"], 7);
  EXPECT_EQ(totals["non_streaming"], kAnswers);
  // Only the two that reached the provider are filed under it.
  ASSERT_EQ(totals["providers"].size(), 1u) << totals.dump();
  EXPECT_EQ(totals["providers"]["mock-openai"]["requests"], 2);
  EXPECT_EQ(totals["providers"]["mock-openai"]["errors"], 1);
  EXPECT_EQ(totals["providers"]["mock-openai"]["models"]["gpt-upstream"]["requests"], 2);
}

TEST(OperatorViews, AccessLineNamesTheProviderModel) {
  MockProvider mock;
  Gateway gateway(standardConfig(mock));
  ASSERT_EQ(gateway.chat("gt", kClientKey, tagged("v-access")).status, 200);
  ASSERT_EQ(gateway.chat("no-such-model", kClientKey, tagged("v-access-404")).status, 404);
  const auto lines = gateway.waitAccessLines(2);
  ASSERT_GE(lines.size(), 2u);
  for (const auto& line : lines) {
    ASSERT_TRUE(line.contains("provider_model")) << line.dump();
    if (line["request_id"] == "v-access") {
      EXPECT_EQ(line["model"], "gt");
      EXPECT_EQ(line["resolved_model"], "gpt-test");
      EXPECT_EQ(line["provider"], "mock-openai");
      EXPECT_EQ(line["provider_model"], "gpt-upstream");
    } else {
      EXPECT_EQ(line["provider_model"], "");
    }
  }
}

// SPEC section 1: one access line per request, with the same fields whoever answered it (a
// proxied answer, ProxyRequest's refusal, or the dispatcher's 401/404/405 before any body).
TEST(OperatorViews, EveryAccessLineHasTheSameFields) {
  MockProvider mock;
  Gateway gateway(standardConfig(mock));
  ASSERT_EQ(gateway.chat("gpt-test", kClientKey, tagged("f-200")).status, 200);
  ASSERT_EQ(gateway.chat("no-such-model", kClientKey, tagged("f-404-model")).status, 404);
  ASSERT_EQ(gateway.chat("gpt-test", "sk-wrong", tagged("f-401")).status, 401);
  ASSERT_EQ(gateway.post("/v1/nope", "{}", kClientKey, tagged("f-404-path")).status, 404);
  ASSERT_EQ(request("GET", gateway.url("/v1/chat/completions"), bearer(kClientKey, tagged("f-405")))
                .status,
            405);
  const auto lines = gateway.waitAccessLines(5);
  ASSERT_EQ(lines.size(), 5u);
  std::map<std::string, json> by_id;
  for (const auto& line : lines) {
    by_id[line.value("request_id", "")] = line;
  }
  ASSERT_EQ(by_id.count("f-200"), 1u);
  std::set<std::string> fields;
  for (const auto& [name, value] : by_id["f-200"].items()) {
    fields.insert(name);
  }
  fields.insert("error_type");  // a refusal's line adds its error_type
  for (const char* id : {"f-404-model", "f-401", "f-404-path", "f-405"}) {
    ASSERT_EQ(by_id.count(id), 1u) << id;
    std::set<std::string> got;
    for (const auto& [name, value] : by_id[id].items()) {
      got.insert(name);
    }
    EXPECT_EQ(got, fields) << by_id[id].dump();
  }
  EXPECT_EQ(by_id["f-401"]["client"], "unknown");
  EXPECT_EQ(by_id["f-401"]["status"], 401);
  EXPECT_EQ(by_id["f-404-path"]["error_type"], "not_found");
  EXPECT_EQ(by_id["f-405"]["status"], 405);
  EXPECT_EQ(by_id["f-405"]["error_type"], "method_not_allowed");
  EXPECT_EQ(by_id["f-405"]["path"], "/v1/chat/completions");
  EXPECT_EQ(by_id["f-405"]["method"], "GET");
}

}  // namespace
}  // namespace slotgate::testing
