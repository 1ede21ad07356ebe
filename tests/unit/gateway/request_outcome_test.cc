#include "gateway/proxy/request_outcome.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

namespace slotgate::gateway {
namespace {

conf::Config oneRoute() {
  conf::Config c;
  conf::Provider p;
  p.name = "openai-main";
  conf::ProviderKey k0;
  k0.id = "key-a";
  conf::ProviderKey k1;
  k1.id = "key-b";
  p.keys = {k0, k1};
  c.providers = {p};
  conf::Model m;
  m.name = "gpt-4o";
  conf::Target t;
  t.model = "gpt-4o-2024-08-06";
  t.provider_index = 0;
  m.targets = {t};
  c.models = {m};
  conf::Client client;
  client.id = "team-x";
  c.clients = {client};
  return c;
}

std::string accessFields(const conf::Config& config, const RequestOutcome& outcome) {
  metrics::LogLine line(metrics::LogLevel::kError, metrics::kAccessEvent);  // always enabled
  outcome.writeAccessFields(config, line);
  return line.text();
}

TEST(RequestOutcome, AProxiedAnswerNamesItsRouteUsageAndRetries) {
  const conf::Config config = oneRoute();
  const routing::Candidate target{.target_index = 0, .provider_index = 0, .key_index = 1};
  RequestOutcome outcome;
  outcome.request_id = "req-1";
  outcome.method = "POST";
  outcome.path = "/v1/chat/completions";
  outcome.client = 0;
  outcome.model = "fast";
  outcome.resolved = &config.models[0];
  outcome.model_index = 0;
  outcome.target = &target;
  outcome.streaming = true;
  outcome.success = true;
  outcome.status = 200;
  outcome.duration = std::chrono::milliseconds(250);
  outcome.usage.input_tokens = 12;
  outcome.usage.output_tokens = 34;
  outcome.usage.seen = true;
  outcome.retries = 1;
  outcome.bytes_out = 999;
  const std::string text = accessFields(config, outcome);
  EXPECT_NE(text.find(R"("request_id":"req-1","method":"POST","path":"/v1/chat/completions",)"
                      R"("client":"team-x","model":"fast","resolved_model":"gpt-4o",)"
                      R"("provider":"openai-main","provider_model":"gpt-4o-2024-08-06",)"
                      R"("key_id":"key-b","status":200,"duration_ms":250)"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find(R"("streaming":true,"input_tokens":12,"output_tokens":34,)"
                      R"("usage":"reported","retries":1,"bytes_out":999)"),
            std::string::npos)
      << text;
  EXPECT_EQ(text.find("error_type"), std::string::npos) << text;
}

TEST(RequestOutcome, ARefusalBeforeAnyRouteLeavesTheRouteFieldsEmpty) {
  const conf::Config config = oneRoute();
  RequestOutcome outcome;
  outcome.request_id = "req-2";
  outcome.method = "POST";
  outcome.path = "/v1/messages";
  outcome.error = metrics::ErrorType::kInvalidApiKey;
  outcome.status = 401;
  const std::string text = accessFields(config, outcome);
  EXPECT_NE(text.find(R"("client":"unknown","model":"","resolved_model":"unknown",)"
                      R"("provider":"","provider_model":"","key_id":"","status":401)"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find(R"("usage":"none")"), std::string::npos) << text;
  EXPECT_NE(text.find(R"("error_type":"invalid_api_key")"), std::string::npos) << text;
}

TEST(RequestOutcome, AClientThatLeftIs499ClientClosed) {
  const conf::Config config = oneRoute();
  RequestOutcome outcome;
  outcome.client = 0;
  outcome.status = 200;  // headers had gone out
  outcome.client_gone = true;
  outcome.error = metrics::ErrorType::kUpstreamError;  // the client leaving wins
  const std::string text = accessFields(config, outcome);
  EXPECT_NE(text.find(R"("status":499)"), std::string::npos) << text;
  EXPECT_NE(text.find(R"("error_type":"client_closed")"), std::string::npos) << text;
  EXPECT_EQ(text.find("upstream_error"), std::string::npos) << text;
}

// The whole access line, byte for byte, for strings that need escaping (quotes, backslashes,
// control bytes, valid and invalid UTF-8), one longer than a line's first room, names from the
// config and a refusal's error type: the line's writer may change, its bytes may not.
TEST(RequestOutcome, TheAccessFieldsAreExactForStringsThatNeedEscaping) {
  const conf::Config config = oneRoute();
  const routing::Candidate target{.target_index = 0, .provider_index = 0, .key_index = 0};
  const std::string long_path = "/v1/x?q=\"a\\b\"\x01\x1f" + std::string(600, 'p') + "\xc3\xa9\xff";
  RequestOutcome outcome;
  outcome.request_id = "req-\"3\"";
  outcome.method = "GET";
  outcome.path = long_path;
  outcome.client = 0;
  outcome.model = "m\"odel\n";
  outcome.resolved = &config.models[0];
  outcome.model_index = 0;
  outcome.target = &target;
  outcome.error = metrics::ErrorType::kConcurrencyLimitExceeded;
  outcome.status = 429;
  outcome.duration = std::chrono::nanoseconds(1500007);
  outcome.usage.input_tokens = 18446744073709551615ull;
  outcome.retries = 2;
  const std::string text = accessFields(config, outcome);
  const size_t fields = text.find(",\"request_id\"");
  ASSERT_NE(fields, std::string::npos) << text;
  EXPECT_EQ(text.substr(fields),
            R"(,"request_id":"req-\"3\"","method":"GET","path":"/v1/x?q=\"a\\b\"\u0001\u001f)" +
                std::string(600, 'p') +
                "\xc3\xa9\xef\xbf\xbd"
                R"(","client":"team-x","model":"m\"odel\n","resolved_model":"gpt-4o",)"
                R"("provider":"openai-main","provider_model":"gpt-4o-2024-08-06","key_id":"key-a",)"
                R"("status":429,"duration_ms":1.500007,"streaming":false,)"
                R"("input_tokens":18446744073709551615,"output_tokens":0,"usage":"none",)"
                R"("retries":2,"bytes_out":0,"error_type":"concurrency_limit_exceeded")");
  EXPECT_EQ(text.substr(0, fields).find(R"(,"level":"error","event":"access")"), 32u) << text;
}

}  // namespace
}  // namespace slotgate::gateway
