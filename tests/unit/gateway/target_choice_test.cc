// TargetChoice over a real config snapshot: the ranking by free slots reads the keys' pools and
// breakers, and leaves out what was tried and what is full across the cluster.
#include "gateway/proxy/target_choice.h"

#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "conf/loader.h"
#include "gateway/key_registry.h"
#include "metrics/metrics.h"

namespace slotgate::gateway {
namespace {

using routing::Candidate;

// Model m: OpenAI providers a (keys a1 with 2 slots, a2 with 1) and b (key b1, 1 slot), and
// Anthropic provider c (key c1, 1 slot).
constexpr Candidate kA1{0, 0, 0};
constexpr Candidate kA2{0, 0, 1};
constexpr Candidate kB1{1, 1, 0};
constexpr Candidate kC1{2, 2, 0};

conf::ConfigPtr twoProviders() {
  const auto env = [](const std::string&) -> std::optional<std::string> { return "secret"; };
  conf::LoadResult r = conf::loadConfigString(R"(
providers:
  - name: a
    type: openai
    base_url: http://127.0.0.1:9911
    keys:
      - { id: a1, secret_env: K, max_concurrency: 2 }
      - { id: a2, secret_env: K, max_concurrency: 1 }
  - name: b
    type: openai
    base_url: http://127.0.0.1:9912
    keys:
      - { id: b1, secret_env: K, max_concurrency: 1 }
  - name: c
    type: anthropic
    base_url: http://127.0.0.1:9913
    keys:
      - { id: c1, secret_env: K, max_concurrency: 1 }
models:
  - name: m
    targets: [{ provider: a, model: ma }, { provider: b, model: mb }, { provider: c, model: mc }]
clients:
  - { id: client-1, key_env: K, models: ["*"] }
routing: { retries: 2 }
)",
                                              env);
  for (const auto& e : r.errors) {
    ADD_FAILURE() << e.toString();
  }
  return r.config;
}

class TargetChoiceTest : public ::testing::Test {
 protected:
  TargetChoiceTest() : keys_(metrics_), snapshot_(twoProviders(), metrics_, keys_) {}

  const conf::Model& model() const { return snapshot_.config().models[0]; }
  const limits::SlotPool& pool(const Candidate& c) const {
    return *snapshot_.providerKey(c.provider_index, c.key_index).slots;
  }

  metrics::Metrics metrics_;
  KeyRegistry keys_;
  ConfigSnapshot snapshot_;
  const routing::Endpoint& chat_ = routing::findEndpoint("/v1/chat/completions");
};

TEST_F(TargetChoiceTest, RanksByFreeSlotsWithoutTheTriedAndTheClusterFull) {
  const TargetChoice choice(snapshot_, model(), chat_);
  routing::RetryState retry;
  EXPECT_EQ(choice.rank(retry, {}), (std::vector<Candidate>{kA1, kA2, kB1}));
  EXPECT_EQ(choice.rank(retry, {kA1}), (std::vector<Candidate>{kA2, kB1}));
  // A full key is not offered when the request takes a slot.
  auto lease = snapshot_.providerKey(1, 0).slots->tryAcquire();
  ASSERT_TRUE(lease);
  EXPECT_EQ(choice.rank(retry, {}), (std::vector<Candidate>{kA1, kA2}));
  EXPECT_EQ(pool(kB1).available(), 0u);
}

TEST_F(TargetChoiceTest, OnlyTheEndpointsApiCountsAndWithoutSlotsAFullKeyServes) {
  const routing::Endpoint& count_tokens = routing::findEndpoint("/v1/messages/count_tokens");
  ASSERT_FALSE(count_tokens.holds_slots);
  routing::RetryState retry;
  EXPECT_EQ(TargetChoice(snapshot_, model(), count_tokens).rank(retry, {}),
            std::vector<Candidate>{kC1});
  // Full, c1 still serves count_tokens (no slot to take), not a request that takes one.
  auto lease = snapshot_.providerKey(2, 0).slots->tryAcquire();
  ASSERT_TRUE(lease);
  EXPECT_EQ(TargetChoice(snapshot_, model(), count_tokens).rank(retry, {}),
            std::vector<Candidate>{kC1});
  EXPECT_TRUE(TargetChoice(snapshot_, model(), routing::findEndpoint("/v1/messages"))
                  .rank(retry, {})
                  .empty());
}

TEST_F(TargetChoiceTest, ARetryGoesToTheNextRankedCandidateNotFullAcrossTheCluster) {
  const TargetChoice choice(snapshot_, model(), chat_);
  routing::RetryState retry;
  std::vector<Candidate> next;
  ASSERT_TRUE(choice.retry(retry, routing::AttemptFailure::kConnection, kA1, {kA2}, next));
  EXPECT_EQ(next, std::vector<Candidate>{kB1});
  EXPECT_EQ(retry.tried(), std::vector<Candidate>{kA1});
  // A timeout is never retried: nothing changes.
  next.clear();
  EXPECT_FALSE(choice.retry(retry, routing::AttemptFailure::kTimeout, kB1, {}, next));
  EXPECT_TRUE(next.empty());
  EXPECT_EQ(retry.retriesUsed(), 1u);
}

}  // namespace
}  // namespace slotgate::gateway
