#include "routing/target_chooser.h"

#include <gtest/gtest.h>

#include <map>

namespace slotgate::routing {
namespace {

conf::Config twoProviders() {
  conf::Config c;
  conf::Provider a;
  a.name = "a";
  a.type = conf::ProviderType::kOpenAI;
  a.keys = {{"a1", "E", "s", 2}, {"a2", "E", "s", 2}};
  conf::Provider b;
  b.name = "b";
  b.type = conf::ProviderType::kOpenAI;
  b.keys = {{"b1", "E", "s", 0}};
  conf::Provider m;
  m.name = "m";
  m.type = conf::ProviderType::kAnthropic;
  m.keys = {{"m1", "E", "s", 1}};
  c.providers = {a, b, m};
  conf::Model model;
  model.name = "x";
  model.targets = {{"a", "xa", 0}, {"b", "xb", 1}, {"m", "xm", 2}};
  c.models = {model};
  return c;
}

TEST(TargetChooser, OrdersByFreeCapacityThenConfigOrder) {
  auto c = twoProviders();
  std::map<std::pair<size_t, size_t>, KeyView> views = {
      {{0, 0}, {1, true}}, {{0, 1}, {2, true}}, {{1, 0}, {2, true}}, {{2, 0}, {1, true}}};
  auto probe = [&](size_t p, size_t k) { return views.at({p, k}); };
  auto ranked = rankCandidates(c, c.models[0], conf::ProviderType::kOpenAI, probe, {});
  ASSERT_EQ(ranked.size(), 3u);
  EXPECT_EQ(ranked[0], (Candidate{0, 0, 1}));  // 2 free, first in config order
  EXPECT_EQ(ranked[1], (Candidate{1, 1, 0}));  // 2 free
  EXPECT_EQ(ranked[2], (Candidate{0, 0, 0}));  // 1 free
}

TEST(TargetChooser, SkipsOpenCircuitsFullKeysAndExcluded) {
  auto c = twoProviders();
  std::map<std::pair<size_t, size_t>, KeyView> views = {
      {{0, 0}, {2, false}}, {{0, 1}, {0, true}}, {{1, 0}, {UINT32_MAX, true}}, {{2, 0}, {1, true}}};
  auto probe = [&](size_t p, size_t k) { return views.at({p, k}); };
  auto ranked = rankCandidates(c, c.models[0], conf::ProviderType::kOpenAI, probe, {});
  ASSERT_EQ(ranked.size(), 1u);
  EXPECT_EQ(ranked[0], (Candidate{1, 1, 0}));
  ranked = rankCandidates(c, c.models[0], conf::ProviderType::kOpenAI, probe, {Candidate{1, 1, 0}});
  EXPECT_TRUE(ranked.empty());
}

TEST(TargetChooser, FiltersByApiType) {
  auto c = twoProviders();
  auto probe = [&](size_t, size_t) { return KeyView{1, true}; };
  auto ranked = rankCandidates(c, c.models[0], conf::ProviderType::kAnthropic, probe, {});
  ASSERT_EQ(ranked.size(), 1u);
  EXPECT_EQ(ranked[0], (Candidate{2, 2, 0}));
  EXPECT_TRUE(modelSpeaks(c, c.models[0], conf::ProviderType::kAnthropic));
  c.models[0].targets.pop_back();
  EXPECT_FALSE(modelSpeaks(c, c.models[0], conf::ProviderType::kAnthropic));
}

}  // namespace
}  // namespace slotgate::routing
