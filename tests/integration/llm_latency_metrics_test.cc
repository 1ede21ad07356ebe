// Latency metrics LLM operators read first (issue 14), through the real binary and the mock's
// known delays: time to first token, gaps between content chunks, the time slotgate itself adds
// and the time spent waiting for a slot, in /metrics, /metrics/json and the history.
//
// Only lower bounds are asserted, and only ones no load can break: the mock holds each content
// chunk until the test releases it (x-mock-hold-at: chunks), and the test releases one only
// 300 ms after the previous one reached its client, so after slotgate read it. Every gap
// slotgate measures is then at least 300 ms, and the first token at least 300 ms after the
// request arrived, however slow the machine; a bucket below that must stay empty. No upper
// bound is asserted.
#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <thread>

#include "tests/integration/gateway_fixture.h"

namespace slotgate::testing {
namespace {

using nlohmann::json;

double value(const PrometheusText& m, const std::string& name,
             const std::map<std::string, std::string>& labels = {}) {
  return sampleValue(m, name, labels).value_or(-1);
}

TEST(LlmLatencyMetrics, FirstTokenAndChunkGapsLandInTheirBuckets) {
  MockProvider mock;
  Gateway gateway(standardConfig(mock));
  constexpr int kChunks = 3;
  std::atomic<int> seen{0};  // content chunks the client has received
  StreamOptions watch;
  watch.abortWhen = [&](const std::string& body) {
    seen = static_cast<int>(occurrences(body, "\"delta\":{\"content\":"));
    return false;
  };
  auto stream = std::async(std::launch::async, [&] {
    return streamRequest(
        "POST", gateway.url("/v1/chat/completions"),
        bearer(kClientKey,
               mockHold("gaps", {{"x-mock-chunks", std::to_string(kChunks)}}, "chunks")),
        kStreamedChatBody, 30s, watch);
  });
  for (int chunk = 0; chunk < kChunks; ++chunk) {
    // Chunk `chunk` - 1 reached the client (so slotgate read it) and the mock holds the next.
    ASSERT_TRUE(eventually([&] { return seen.load() == chunk; }, 20s)) << chunk;
    ASSERT_TRUE(mock.waitHeld("gaps", 1)) << chunk;
    std::this_thread::sleep_for(300ms);
    ASSERT_EQ(mock.release("gaps"), 1) << chunk;
  }
  const StreamResponse r = stream.get();
  ASSERT_TRUE(r.cleanEnd()) << r.error;
  EXPECT_EQ(seen.load(), kChunks);

  ASSERT_TRUE(eventually(
      [&] {
        return gateway.metricValue("slotgate_time_to_first_token_seconds_count",
                                   {{"provider", "mock-openai"}, {"model", "gpt-test"}}) == 1.0;
      },
      20s));
  const PrometheusText m = parsePrometheus(gateway.metricsText());
  ASSERT_TRUE(m.errors.empty()) << m.errors.front();
  EXPECT_EQ(m.types.at("slotgate_time_to_first_token_seconds"), "histogram");
  EXPECT_EQ(m.types.at("slotgate_stream_chunk_gap_seconds"), "histogram");
  EXPECT_EQ(m.types.at("slotgate_overhead_seconds"), "histogram");
  EXPECT_EQ(m.types.at("slotgate_queue_wait_seconds"), "histogram");
  const std::map<std::string, std::string> series = {{"provider", "mock-openai"},
                                                     {"model", "gpt-test"}};
  auto with = [&](std::map<std::string, std::string> labels, const std::string& le) {
    labels["le"] = le;
    return labels;
  };
  // The first token came no sooner than 300 ms: nothing in the buckets up to 0.25 s, the 10 ms
  // buckets below 0.1 s empty too.
  EXPECT_EQ(value(m, "slotgate_time_to_first_token_seconds_bucket", with(series, "0.25")), 0.0);
  EXPECT_EQ(value(m, "slotgate_time_to_first_token_seconds_bucket", with(series, "0.01")), 0.0);
  EXPECT_EQ(value(m, "slotgate_time_to_first_token_seconds_bucket", with(series, "+Inf")), 1.0);
  EXPECT_GE(value(m, "slotgate_time_to_first_token_seconds_sum", series), 0.3);
  // Three content chunks: two gaps (the role chunk, the finish chunk and [DONE] are not content),
  // each of at least 300 ms: none in the buckets up to 0.2 s.
  const std::map<std::string, std::string> provider = {{"provider", "mock-openai"}};
  EXPECT_EQ(value(m, "slotgate_stream_chunk_gap_seconds_count", provider), 2.0);
  EXPECT_EQ(value(m, "slotgate_stream_chunk_gap_seconds_bucket", with(provider, "0.2")), 0.0);
  EXPECT_EQ(value(m, "slotgate_stream_chunk_gap_seconds_bucket", with(provider, "0.001")), 0.0);
  EXPECT_EQ(value(m, "slotgate_stream_chunk_gap_seconds_bucket", with(provider, "+Inf")), 2.0);
  EXPECT_GE(value(m, "slotgate_stream_chunk_gap_seconds_sum", provider), 0.6);
  // The Anthropic provider saw nothing.
  EXPECT_EQ(value(m, "slotgate_stream_chunk_gap_seconds_count", {{"provider", "mock-anthropic"}}),
            0.0);

  // The same histograms in /metrics/json.
  const HttpResponse j = request("GET", gateway.adminUrl("/metrics/json"),
                                 {{"Authorization", "Bearer " + gateway.config().adminToken}});
  ASSERT_EQ(j.status, 200);
  bool found = false;
  for (const json& family : j.json()) {
    if (family["name"] == "slotgate_time_to_first_token_seconds") {
      for (const json& metric : family["metrics"]) {
        if (metric["labels"] == json(series)) {
          found = true;
          EXPECT_EQ(metric["count"], 1);
          EXPECT_GE(metric["sum"].get<double>(), 0.3);
        }
      }
    }
  }
  EXPECT_TRUE(found) << j.body;
}

TEST(LlmLatencyMetrics, OverheadCountsEveryRequestAndQueueWaitOnlyTheWaiting) {
  MockProvider mock;
  GatewayConfig config = standardConfig(mock);
  config.clients[0].maxConcurrency = 1;
  config.clients[0].queue = QueueSpec{4, "20s"};
  Gateway gateway(config);
  const double overhead_before =
      gateway.metricValue("slotgate_overhead_seconds_count").value_or(-1);
  const double waits_before = gateway.metricValue("slotgate_queue_wait_seconds_count").value_or(-1);
  EXPECT_EQ(overhead_before, 0.0);
  EXPECT_EQ(waits_before, 0.0);

  EXPECT_EQ(gateway.chat("gpt-test").status, 200);
  EXPECT_EQ(gateway.chat("gpt-test", "wrong-key").status, 401);
  EXPECT_EQ(gateway.chat("no-such-model").status, 404);
  EXPECT_EQ(gateway.chat("gpt-test", kClientKey, {{"x-mock-fail", "500"}}).status, 500);
  EXPECT_TRUE(gateway.stream("gpt-test").cleanEnd());
  // A second request while the only slot is held (at the mock, until released): it waits in
  // the queue.
  auto held = heldChat(gateway, "slot");
  ASSERT_TRUE(mock.waitHeld("slot", 1));
  auto queued = std::async(std::launch::async, [&] { return gateway.chat("gpt-test"); });
  ASSERT_TRUE(eventually(
      [&] {
        return gateway.metricValue("job_queue_depth", {{"model", "gpt-test"}}) == 1.0;
      },
      20s));
  EXPECT_EQ(mock.release("slot"), 1);
  EXPECT_EQ(held.get().status, 200);
  EXPECT_EQ(queued.get().status, 200);

  ASSERT_TRUE(eventually(
      [&] { return gateway.metricValue("slotgate_overhead_seconds_count") == 7.0; }, 20s))
      << gateway.metricValue("slotgate_overhead_seconds_count").value_or(-1);
  EXPECT_GT(gateway.metricValue("slotgate_overhead_seconds_sum").value_or(0), 0.0);
  // Only the queued request waited, until the test released the held one: more than nothing.
  EXPECT_EQ(gateway.metricValue("slotgate_queue_wait_seconds_count"), 1.0);
  EXPECT_GT(gateway.metricValue("slotgate_queue_wait_seconds_sum").value_or(0), 0.0);
}

TEST(LlmLatencyMetrics, HistorySnapshotsCarryFirstTokenAndOverhead) {
  MockProvider mock;
  Gateway gateway(standardConfig(mock));
  const StreamResponse r = gateway.pacedStream(2, 200);
  ASSERT_TRUE(r.cleanEnd()) << r.error;
  // A point is taken every 10 s.
  json point;
  ASSERT_TRUE(eventually(
      [&] {
        const HttpResponse h =
            request("GET", gateway.adminUrl("/metrics/history?minutes=5"),
                    {{"Authorization", "Bearer " + gateway.config().adminToken}});
        for (const json& p : h.json()) {
          if (p.value("ttft_p50_ms", 0.0) > 0) {
            point = p;
            return true;
          }
        }
        return false;
      },
      40s));
  EXPECT_GE(point["ttft_p50_ms"].get<double>(), 200.0);
  EXPECT_GE(point["ttft_p99_ms"].get<double>(), 200.0);
  EXPECT_GT(point["overhead_p50_ms"].get<double>(), 0.0);
  EXPECT_EQ(point["queue_wait_p99_ms"], 0.0);  // nobody waited
}

}  // namespace
}  // namespace slotgate::testing
