// ResponseMeter on its own: usage of a JSON body and of a stream, the usage chunk slotgate asked
// for taken out again, and the content timings (time to first token, stream chunk gaps).
#include "gateway/proxy/response_meter.h"

#include <gtest/gtest.h>

#include <string>

#include "metrics/metrics.h"

namespace slotgate::gateway {
namespace {

using Clock = ResponseMeter::Clock;
using namespace std::chrono_literals;

std::string chunk(const std::string& content) {
  return "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,"
         "\"delta\":{\"content\":\"" +
         content + "\"}}],\"usage\":null}\n\n";
}
const std::string kUsageChunk =
    "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"choices\":[],\"usage\":"
    "{\"prompt_tokens\":10,\"completion_tokens\":3,\"total_tokens\":13}}\n\n";
const std::string kDone = "data: [DONE]\n\n";

conf::Config oneTarget() {
  conf::Config c;
  conf::Provider p;
  p.name = "openai";
  p.keys = {{"k1", "E", "s", 4}};
  c.providers = {p};
  conf::Model m;
  m.name = "gpt";
  m.targets = {{"openai", "gpt-4o", 0}};
  c.models = {m};
  conf::Client client;
  client.id = "alice";
  c.clients = {client};
  return c;
}

class ResponseMeterTest : public ::testing::Test {
 protected:
  ResponseMeterTest() : series_(metrics_, config_) {}

  ResponseMeter::ContentTimings timings() { return {series_, 0, target_, 0, started_, &entry_}; }
  uint64_t chunkGaps() { return series_.provider(0).chunk_gap->collect().histogram.sample_count; }
  uint64_t ttfts() { return series_.timeToFirstToken(0, 0)->collect().histogram.sample_count; }

  metrics::Metrics metrics_;
  conf::Config config_ = oneTarget();
  metrics::RequestSeries series_;
  routing::Candidate target_{0, 0, 0};
  Clock::time_point started_ = Clock::now();
  metrics::ActiveEntry entry_;
  ResponseMeter meter_;
};

TEST_F(ResponseMeterTest, ABodyNotBegunIsNotMetered) {
  EXPECT_FALSE(meter_.began());
  EXPECT_EQ(meter_.feed("{\"error\":{}}", started_ + 1ms, timings()), "{\"error\":{}}");
  EXPECT_EQ(meter_.finish(), "");
  EXPECT_EQ(meter_.bytesOut(), 12u);  // its bytes count all the same
  EXPECT_FALSE(meter_.usage().seen);
  EXPECT_EQ(ttfts(), 0u);
  EXPECT_LT(entry_.ttft_ms, 0);
}

TEST_F(ResponseMeterTest, AJsonBodysUsageIsReadAtItsEndAndItsFirstByteIsTheFirstToken) {
  meter_.begin(conf::ProviderType::kOpenAI, /*event_stream=*/false, /*drop_usage_chunk=*/false);
  EXPECT_TRUE(meter_.began());
  const std::string body =
      R"({"id":"x","choices":[],"usage":{"prompt_tokens":7,"completion_tokens":5}})";
  EXPECT_EQ(meter_.feed(body.substr(0, 10), started_ + 20ms, timings()), body.substr(0, 10));
  EXPECT_EQ(meter_.feed(body.substr(10), started_ + 30ms, timings()), body.substr(10));
  EXPECT_EQ(meter_.streamUsage(), nullptr);
  EXPECT_EQ(meter_.finish(), "");
  EXPECT_TRUE(meter_.usage().seen);
  EXPECT_EQ(meter_.usage().input_tokens, 7u);
  EXPECT_EQ(meter_.usage().output_tokens, 5u);
  EXPECT_EQ(ttfts(), 1u);
  EXPECT_FLOAT_EQ(entry_.ttft_ms, 20.0f);
  EXPECT_EQ(chunkGaps(), 0u);  // a JSON body has no chunks
}

TEST_F(ResponseMeterTest, AStreamCountsItsChunkGapsAndDropsTheUsageChunkItWasAskedTo) {
  meter_.begin(conf::ProviderType::kOpenAI, /*event_stream=*/true, /*drop_usage_chunk=*/true);
  std::string out;
  out.append(meter_.feed(chunk("a"), started_ + 10ms, timings()));
  out.append(meter_.feed(chunk("b"), started_ + 15ms, timings()));
  out.append(meter_.feed(kUsageChunk + kDone, started_ + 16ms, timings()));
  out.append(meter_.finish());
  EXPECT_EQ(out, chunk("a") + chunk("b") + kDone);
  EXPECT_EQ(meter_.bytesOut(), out.size());  // what the client got, not what the provider sent
  ASSERT_NE(meter_.streamUsage(), nullptr);
  EXPECT_TRUE(meter_.usage().seen);
  EXPECT_EQ(meter_.usage().input_tokens, 10u);
  EXPECT_EQ(meter_.usage().output_tokens, 3u);
  EXPECT_EQ(ttfts(), 1u);
  EXPECT_FLOAT_EQ(entry_.ttft_ms, 10.0f);
  EXPECT_EQ(chunkGaps(), 1u);  // between a and b
}

TEST_F(ResponseMeterTest, AStreamTheClientAskedUsageForKeepsItsUsageChunk) {
  meter_.begin(conf::ProviderType::kOpenAI, /*event_stream=*/true, /*drop_usage_chunk=*/false);
  std::string out;
  out.append(meter_.feed(chunk("a") + kUsageChunk + kDone, started_ + 10ms, timings()));
  out.append(meter_.finish());
  EXPECT_EQ(out, chunk("a") + kUsageChunk + kDone);
  EXPECT_EQ(meter_.bytesOut(), out.size());
  EXPECT_EQ(meter_.usage().output_tokens, 3u);
}

}  // namespace
}  // namespace slotgate::gateway
