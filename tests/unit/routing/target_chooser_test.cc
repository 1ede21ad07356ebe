#include "routing/target_chooser.h"

#include <gtest/gtest.h>

#include "tests/unit/routing/routing_test_config.h"

namespace slotgate::routing {
namespace {

using testing::byKey;
using testing::everyKey;
using testing::kA1;
using testing::kA2;
using testing::kB1;
using testing::kM1;
using testing::threeProviders;

TEST(TargetChooser, OrdersByFreeCapacityThenConfigOrder) {
  auto c = threeProviders();
  const KeyProbe probe =
      byKey({{{0, 0}, {1, true}}, {{0, 1}, {2, true}}, {{1, 0}, {2, true}}, {{2, 0}, {1, true}}});
  auto ranked = rankCandidates(c, c.models[0], conf::ProviderType::kOpenAI, probe, {});
  ASSERT_EQ(ranked.size(), 3u);
  EXPECT_EQ(ranked[0], kA2);  // 2 free, first in config order
  EXPECT_EQ(ranked[1], kB1);  // 2 free
  EXPECT_EQ(ranked[2], kA1);  // 1 free
}

TEST(TargetChooser, SkipsOpenCircuitsFullKeysAndExcluded) {
  auto c = threeProviders();
  const KeyProbe probe = byKey({{{0, 0}, {2, false}},
                                {{0, 1}, {0, true}},
                                {{1, 0}, {UINT32_MAX, true}},
                                {{2, 0}, {1, true}}});
  auto ranked = rankCandidates(c, c.models[0], conf::ProviderType::kOpenAI, probe, {});
  ASSERT_EQ(ranked.size(), 1u);
  EXPECT_EQ(ranked[0], kB1);
  ranked = rankCandidates(c, c.models[0], conf::ProviderType::kOpenAI, probe, {kB1});
  EXPECT_TRUE(ranked.empty());
}

TEST(TargetChooser, FiltersByApiType) {
  auto c = threeProviders();
  const KeyProbe probe = everyKey({1, true});
  auto ranked = rankCandidates(c, c.models[0], conf::ProviderType::kAnthropic, probe, {});
  ASSERT_EQ(ranked.size(), 1u);
  EXPECT_EQ(ranked[0], kM1);
  EXPECT_TRUE(modelSpeaks(c, c.models[0], conf::ProviderType::kAnthropic));
  c.models[0].targets.pop_back();
  EXPECT_FALSE(modelSpeaks(c, c.models[0], conf::ProviderType::kAnthropic));
}

}  // namespace
}  // namespace slotgate::routing
