// slotgate end to end, slot accounting under load (SPEC section 4): 1,000 streams cancelled
// mid-flight leave no slot behind; 1,000 back-to-back requests on one keep-alive connection with
// a client limit of 1 never see a 429 (the slot is free before the client hears the end).
#include <curl/curl.h>
#include <gtest/gtest.h>

#include "tests/integration/gateway_fixture.h"

namespace slotgate::testing {
namespace {

struct Transfer {
  CURL* easy = nullptr;
  curl_slist* headers = nullptr;
  size_t bytes = 0;
  bool aborted = false;
};

// Aborts the transfer as soon as the first body bytes (the stream's first chunk) arrive.
size_t abortOnFirstChunk(char* /*data*/, size_t size, size_t count, void* arg) {
  auto* transfer = static_cast<Transfer*>(arg);
  transfer->bytes += size * count;
  transfer->aborted = true;
  return 0;
}

TEST(SlotsStress, ThousandCancelledStreamsLeaveNoSlot) {
  MockProvider mock({"--threads", "2"});
  GatewayConfig c = standardConfig(mock);
  c.workers = 2;
  // Limits far above the 50 in flight: a slot is only freed once the gateway has seen the
  // client leave, which may lag the client's own close by a moment; this test is about leaks.
  c.providers[0].keys[0].maxConcurrency = 1000;
  c.clients[0].maxConcurrency = 1000;
  Gateway gateway(c);

  constexpr int kTotal = 1000;
  constexpr int kParallel = 50;
  const std::string body = kStreamedChatBody;
  const std::string url = gateway.url("/v1/chat/completions");
  CURLM* multi = curl_multi_init();
  std::vector<Transfer> transfers(kTotal);
  int started = 0;
  int finished = 0;
  int aborted = 0;
  std::map<long, int> statuses;
  auto start = [&](Transfer& t) {
    t.easy = curl_easy_init();
    t.headers = curl_slist_append(nullptr, "Content-Type: application/json");
    t.headers =
        curl_slist_append(t.headers, (std::string("Authorization: Bearer ") + kClientKey).c_str());
    t.headers = curl_slist_append(t.headers, "x-mock-chunks: 100");
    t.headers = curl_slist_append(t.headers, "x-mock-delay-ms: 100");
    t.headers = curl_slist_append(t.headers, "Expect:");
    curl_easy_setopt(t.easy, CURLOPT_URL, url.c_str());
    curl_easy_setopt(t.easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(t.easy, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(t.easy, CURLOPT_HTTPHEADER, t.headers);
    curl_easy_setopt(t.easy, CURLOPT_POSTFIELDS, body.c_str());
    curl_easy_setopt(t.easy, CURLOPT_WRITEFUNCTION, &abortOnFirstChunk);
    curl_easy_setopt(t.easy, CURLOPT_WRITEDATA, &t);
    curl_easy_setopt(t.easy, CURLOPT_PRIVATE, &t);
    curl_easy_setopt(t.easy, CURLOPT_TIMEOUT_MS, 20000L);
    curl_easy_setopt(t.easy, CURLOPT_FORBID_REUSE, 1L);
    curl_multi_add_handle(multi, t.easy);
    ++started;
  };
  while (started < kParallel) {
    start(transfers[started]);
  }
  const auto deadline = Clock::now() + 120s;
  while (finished < kTotal && Clock::now() < deadline) {
    int running = 0;
    curl_multi_perform(multi, &running);
    int left = 0;
    while (CURLMsg* msg = curl_multi_info_read(multi, &left)) {
      if (msg->msg != CURLMSG_DONE) {
        continue;
      }
      Transfer* t = nullptr;
      curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &t);
      long status = 0;
      curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE, &status);
      ++statuses[status];
      aborted += t->aborted ? 1 : 0;
      curl_multi_remove_handle(multi, t->easy);
      curl_easy_cleanup(t->easy);
      curl_slist_free_all(t->headers);
      t->easy = nullptr;
      ++finished;
      if (started < kTotal) {
        start(transfers[started]);
      }
    }
    curl_multi_poll(multi, nullptr, 0, 50, nullptr);
  }
  for (auto& t : transfers) {
    if (t.easy != nullptr) {
      curl_multi_remove_handle(multi, t.easy);
      curl_easy_cleanup(t.easy);
      curl_slist_free_all(t.headers);
    }
  }
  curl_multi_cleanup(multi);
  ASSERT_EQ(finished, kTotal);
  std::string seen;
  for (const auto& [status, count] : statuses) {
    seen += std::to_string(status) + "x" + std::to_string(count) + " ";
  }
  EXPECT_EQ(statuses[200], kTotal) << "statuses: " << seen;
  EXPECT_EQ(aborted, kTotal);

  // Every slot is back within a second of the last client leaving.
  const bool drained = eventually(
      [&] {
        return gateway.metricValue("concurrency_slots_in_use", {{"key_id", "openai-key"}}) == 0.0 &&
               gateway.metricValue("concurrency_slots_in_use", {{"key_id", "team-a"}}) == 0.0 &&
               gateway.metricValue("concurrency_slots_in_use").value_or(-1) == 0.0;
      },
      1s);
  EXPECT_TRUE(drained)
      << "openai-key: "
      << gateway.metricValue("concurrency_slots_in_use", {{"key_id", "openai-key"}}).value_or(-1)
      << " team-a: "
      << gateway.metricValue("concurrency_slots_in_use", {{"key_id", "team-a"}}).value_or(-1);
  EXPECT_TRUE(eventually([&] { return mock.stats()["cancelled"] == kTotal; }, 20s))
      << mock.stats().dump();
  EXPECT_EQ(gateway.metricValue("concurrency_slot_release_total",
                                {{"key_id", "openai-key"}, {"exception", "true"}}),
            static_cast<double>(kTotal));
  EXPECT_EQ(gateway.metricValue("concurrency_slot_release_total",
                                {{"key_id", "team-a"}, {"exception", "true"}}),
            static_cast<double>(kTotal));
  EXPECT_EQ(gateway.metricValue("upstream_inflight", {{"provider", "mock-openai"}}), 0.0);
  // And the gateway still serves.
  EXPECT_EQ(gateway.chat("gpt-test").status, 200);
}

size_t discard(char* /*data*/, size_t size, size_t count, void* /*arg*/) { return size * count; }

TEST(SlotsStress, ThousandBackToBackRequestsOnOneConnectionNeverSee429) {
  MockProvider mock;
  GatewayConfig c = standardConfig(mock);
  c.clients[0].maxConcurrency = 1;
  c.clients[0].queue.reset();
  Gateway gateway(c);

  CURL* easy = curl_easy_init();
  curl_slist* headers = curl_slist_append(nullptr, "Content-Type: application/json");
  headers =
      curl_slist_append(headers, (std::string("Authorization: Bearer ") + kClientKey).c_str());
  headers = curl_slist_append(headers, "Expect:");
  const std::string body = R"({"model":"gpt-test","messages":[{"role":"user","content":"hi"}]})";
  const std::string url = gateway.url("/v1/chat/completions");
  curl_easy_setopt(easy, CURLOPT_URL, url.c_str());
  curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(easy, CURLOPT_NOPROXY, "*");
  curl_easy_setopt(easy, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(easy, CURLOPT_POSTFIELDS, body.c_str());
  curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, &discard);
  curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, 10000L);
  std::map<long, int> statuses;
  long connects = 0;
  int curlErrors = 0;
  for (int i = 0; i < 1000; ++i) {
    if (curl_easy_perform(easy) != CURLE_OK) {
      ++curlErrors;
      continue;
    }
    long status = 0;
    long newConnections = 0;
    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_getinfo(easy, CURLINFO_NUM_CONNECTS, &newConnections);
    ++statuses[status];
    connects += newConnections;
  }
  curl_slist_free_all(headers);
  curl_easy_cleanup(easy);
  EXPECT_EQ(curlErrors, 0);
  EXPECT_EQ(statuses[200], 1000);
  EXPECT_EQ(statuses.count(429), 0u) << statuses[429] << " requests got 429";
  EXPECT_EQ(connects, 1) << "the connection was not kept alive";
  EXPECT_EQ(mock.stats()["requests"], 1000);
  EXPECT_EQ(gateway.metricValue("concurrency_slot_release_total",
                                {{"key_id", "team-a"}, {"exception", "false"}}),
            1000.0);
}

}  // namespace
}  // namespace slotgate::testing
