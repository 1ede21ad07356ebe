#include "routing/retry_state.h"

#include <gtest/gtest.h>

#include <set>
#include <utility>

namespace slotgate::routing {
namespace {

// One model with three OpenAI keys: provider a (keys a1, a2) and provider b (key b1), and a
// retry budget of `retries` (routing.retries).
conf::Config threeKeys(uint32_t retries) {
  conf::Config c;
  c.routing.retries = retries;
  conf::Provider a;
  a.name = "a";
  a.type = conf::ProviderType::kOpenAI;
  a.keys = {{"a1", "E", "s", 2}, {"a2", "E", "s", 2}};
  conf::Provider b;
  b.name = "b";
  b.type = conf::ProviderType::kOpenAI;
  b.keys = {{"b1", "E", "s", 2}};
  c.providers = {a, b};
  conf::Model model;
  model.name = "x";
  model.targets = {{"a", "xa", 0}, {"b", "xb", 1}};
  c.models = {model};
  return c;
}

constexpr Candidate kA1{0, 0, 0};
constexpr Candidate kA2{0, 0, 1};
constexpr Candidate kB1{1, 1, 0};

TEST(RetryState, RetriableStatusIs5xxAnd429) {
  EXPECT_TRUE(RetryState::retriableStatus(500));
  EXPECT_TRUE(RetryState::retriableStatus(503));
  EXPECT_TRUE(RetryState::retriableStatus(429));
  EXPECT_FALSE(RetryState::retriableStatus(200));
  EXPECT_FALSE(RetryState::retriableStatus(400));
  EXPECT_FALSE(RetryState::retriableStatus(404));
  EXPECT_FALSE(RetryState::retriableStatus(499));
}

TEST(RetryState, RetriesUpToTheBudgetExcludingWhatWasTried) {
  const auto c = threeKeys(2);
  const KeyProbe probe = [](size_t, size_t) { return KeyView{1, true}; };
  const ChoiceInputs inputs{c, c.models[0], conf::ProviderType::kOpenAI, probe};
  RetryState retry;
  EXPECT_TRUE(retry.shouldRetry(AttemptFailure::kRetriableStatus, kA1, inputs));
  EXPECT_TRUE(retry.shouldRetry(AttemptFailure::kConnection, kA2, inputs));
  EXPECT_EQ(retry.retriesUsed(), 2u);
  EXPECT_EQ(retry.tried(), (std::vector<Candidate>{kA1, kA2}));
  // b1 would still serve, but the budget is spent.
  EXPECT_FALSE(retry.shouldRetry(AttemptFailure::kRetriableStatus, kB1, inputs));
  EXPECT_EQ(retry.retriesUsed(), 2u);
  EXPECT_EQ(retry.tried().size(), 2u);
}

TEST(RetryState, NoRetryWithoutAnotherAvailableCandidate) {
  const auto c = threeKeys(3);
  // a2 is full and b1's circuit is open: after a1 fails nothing else would serve now.
  const KeyProbe probe = [](size_t p, size_t k) {
    if (p == 0 && k == 1) {
      return KeyView{0, true};
    }
    if (p == 1) {
      return KeyView{1, false};
    }
    return KeyView{1, true};
  };
  const ChoiceInputs inputs{c, c.models[0], conf::ProviderType::kOpenAI, probe};
  RetryState retry;
  EXPECT_FALSE(retry.shouldRetry(AttemptFailure::kRetriableStatus, kA1, inputs));
  EXPECT_EQ(retry.retriesUsed(), 0u);
  EXPECT_TRUE(retry.tried().empty());  // a refused retry changes nothing
}

TEST(RetryState, TimeoutsAndLocalShortagesAreNeverRetried) {
  const auto c = threeKeys(5);
  const KeyProbe probe = [](size_t, size_t) { return KeyView{1, true}; };
  const ChoiceInputs inputs{c, c.models[0], conf::ProviderType::kOpenAI, probe};
  RetryState retry;
  EXPECT_FALSE(retry.shouldRetry(AttemptFailure::kTimeout, kA1, inputs));
  EXPECT_FALSE(retry.shouldRetry(AttemptFailure::kLocal, kA1, inputs));
  EXPECT_EQ(retry.retriesUsed(), 0u);
  EXPECT_FALSE(RetryState::retriable(AttemptFailure::kTimeout));
  EXPECT_FALSE(RetryState::retriable(AttemptFailure::kLocal));
  EXPECT_TRUE(RetryState::retriable(AttemptFailure::kRetriableStatus));
  EXPECT_TRUE(RetryState::retriable(AttemptFailure::kConnection));
}

TEST(RetryState, ZeroRetriesNeverRetries) {
  const auto c = threeKeys(0);
  const KeyProbe probe = [](size_t, size_t) { return KeyView{1, true}; };
  const ChoiceInputs inputs{c, c.models[0], conf::ProviderType::kOpenAI, probe};
  RetryState retry;
  EXPECT_FALSE(retry.shouldRetry(AttemptFailure::kRetriableStatus, kA1, inputs));
  EXPECT_FALSE(retry.shouldRetry(AttemptFailure::kConnection, kA1, inputs));
}

TEST(RetryState, OnlyCandidatesOfTheEndpointsApiCount) {
  auto c = threeKeys(5);
  c.providers[1].type = conf::ProviderType::kAnthropic;  // b speaks the other API
  const KeyProbe probe = [](size_t, size_t) { return KeyView{1, true}; };
  const ChoiceInputs inputs{c, c.models[0], conf::ProviderType::kOpenAI, probe};
  RetryState retry;
  EXPECT_TRUE(retry.shouldRetry(AttemptFailure::kConnection, kA1, inputs));
  EXPECT_FALSE(retry.shouldRetry(AttemptFailure::kConnection, kA2, inputs));  // b1 does not count
  EXPECT_EQ(retry.retriesUsed(), 1u);
}

// The ranking that decided the retry is handed out for the next attempt: best first (most free
// capacity), without what was tried; and left alone when there is no retry.
TEST(RetryState, AYesHandsOutTheCandidatesLeftBestFirst) {
  const auto c = threeKeys(2);
  const KeyProbe probe = [](size_t p, size_t) { return KeyView{p == 1 ? 5u : 1u, true}; };
  const ChoiceInputs inputs{c, c.models[0], conf::ProviderType::kOpenAI, probe};
  RetryState retry;
  std::vector<Candidate> next;
  ASSERT_TRUE(retry.shouldRetry(AttemptFailure::kRetriableStatus, kA1, inputs, &next));
  EXPECT_EQ(next, (std::vector<Candidate>{kB1, kA2}));
  next = {kA1};
  EXPECT_FALSE(retry.shouldRetry(AttemptFailure::kTimeout, kB1, inputs, &next));
  EXPECT_EQ(next, std::vector<Candidate>{kA1});
}

}  // namespace
}  // namespace slotgate::routing
