#include "routing/retry_state.h"

#include <gtest/gtest.h>

#include "tests/unit/routing/routing_test_config.h"

namespace slotgate::routing {
namespace {

using testing::everyKey;
using testing::kA1;
using testing::kA2;
using testing::kB1;
using testing::threeProviders;

// The OpenAI candidates of threeProviders(retries), seen through `probe`.
ChoiceInputs openAiInputs(const conf::Config& c, const KeyProbe& probe) {
  return ChoiceInputs{c, c.models[0], conf::ProviderType::kOpenAI, probe};
}

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
  const auto c = threeProviders(2);
  const KeyProbe probe = everyKey({1, true});
  const ChoiceInputs inputs = openAiInputs(c, probe);
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
  const auto c = threeProviders(3);
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
  const ChoiceInputs inputs = openAiInputs(c, probe);
  RetryState retry;
  EXPECT_FALSE(retry.shouldRetry(AttemptFailure::kRetriableStatus, kA1, inputs));
  EXPECT_EQ(retry.retriesUsed(), 0u);
  EXPECT_TRUE(retry.tried().empty());  // a refused retry changes nothing
}

TEST(RetryState, TimeoutsAndLocalShortagesAreNeverRetried) {
  const auto c = threeProviders(5);
  const KeyProbe probe = everyKey({1, true});
  const ChoiceInputs inputs = openAiInputs(c, probe);
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
  const auto c = threeProviders(0);
  const KeyProbe probe = everyKey({1, true});
  const ChoiceInputs inputs = openAiInputs(c, probe);
  RetryState retry;
  EXPECT_FALSE(retry.shouldRetry(AttemptFailure::kRetriableStatus, kA1, inputs));
  EXPECT_FALSE(retry.shouldRetry(AttemptFailure::kConnection, kA1, inputs));
}

TEST(RetryState, OnlyCandidatesOfTheEndpointsApiCount) {
  auto c = threeProviders(5);
  c.providers[1].type = conf::ProviderType::kAnthropic;  // b speaks the other API
  const KeyProbe probe = everyKey({1, true});
  const ChoiceInputs inputs = openAiInputs(c, probe);
  RetryState retry;
  EXPECT_TRUE(retry.shouldRetry(AttemptFailure::kConnection, kA1, inputs));
  EXPECT_FALSE(retry.shouldRetry(AttemptFailure::kConnection, kA2, inputs));  // b1 does not count
  EXPECT_EQ(retry.retriesUsed(), 1u);
}

// The ranking that decided the retry is handed out for the next attempt: best first (most free
// capacity), without what was tried; and left alone when there is no retry.
TEST(RetryState, AYesHandsOutTheCandidatesLeftBestFirst) {
  const auto c = threeProviders(2);
  const KeyProbe probe = [](size_t p, size_t) { return KeyView{p == 1 ? 5u : 1u, true}; };
  const ChoiceInputs inputs = openAiInputs(c, probe);
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
