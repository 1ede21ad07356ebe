// Names claimed by two models: recorded as load conflicts, or errors with strict_aliases.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "conf/loader.h"
#include "tests/unit/conf/test_util.h"

namespace slotgate::conf {
namespace {

using testing::baseEnv;
using ::testing::ElementsAre;
using testing::errorLines;
using testing::fakeEnv;

const char* kConflictingModels = R"(
models:
  - name: gpt-4o-mini
    aliases: [mini, small]
    patterns: ['^gpt-4o-mini-\d{4}$']
    targets: [{ provider: p1, model: shared-upstream }]
  - name: gpt-4o
    aliases: [mini, gpt-4o-mini-2024]
    targets: [{ provider: p1, model: shared-upstream }]
  - name: other
    aliases: [mini, gpt-4o-mini, unique]
    patterns: ['^sm.ll$']
    targets: [{ provider: p1, model: gpt-4o }]
)";

std::string config(bool strict) {
  return std::string(testing::kProvidersYaml) + kConflictingModels +
         (strict ? "strict_aliases: true\n" : "");
}

TEST(Conflicts, RecordedOncePerNameFirstModelWins) {
  LoadResult r = loadConfigString(config(false), fakeEnv(baseEnv()));
  ASSERT_TRUE(r.ok()) << ::testing::PrintToString(errorLines(r));
  const auto& c = r.config->load_conflicts;
  ASSERT_EQ(c.size(), 4u);
  // Level 2: a provider model name used by two models.
  EXPECT_EQ(c[0].name, "shared-upstream");
  EXPECT_EQ(c[0].winner, "gpt-4o-mini");
  EXPECT_EQ(c[0].other, "gpt-4o");
  // Level 3: alias claimed three times, recorded once.
  EXPECT_EQ(c[1].name, "mini");
  EXPECT_EQ(c[1].winner, "gpt-4o-mini");
  EXPECT_EQ(c[1].other, "gpt-4o");
  // Level 3: an alias of one model matching another's pattern.
  EXPECT_EQ(c[2].name, "small");
  EXPECT_EQ(c[2].winner, "gpt-4o-mini");
  EXPECT_EQ(c[2].other, "other");
  EXPECT_EQ(c[3].name, "gpt-4o-mini-2024");
  EXPECT_EQ(c[3].winner, "gpt-4o-mini");
  EXPECT_EQ(c[3].other, "gpt-4o");
  // Not conflicts: "gpt-4o-mini" as an alias of `other` and "gpt-4o" as a target
  // model are answered at level 1 (model names); "unique" has one claimant.
}

TEST(Conflicts, StrictAliasesMakesEachLosingOccurrenceAnError) {
  LoadResult r = loadConfigString(config(true), fakeEnv(baseEnv()));
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(
      errorLines(r),
      ElementsAre(
          "models[1].aliases[0]: \"mini\" is already claimed by model \"gpt-4o-mini\" "
          "(strict_aliases)",
          "models[1].aliases[1]: \"gpt-4o-mini-2024\" is already claimed by model \"gpt-4o-mini\" "
          "(strict_aliases)",
          "models[1].targets[0].model: \"shared-upstream\" is already claimed by model "
          "\"gpt-4o-mini\" (strict_aliases)",
          "models[2].aliases[0]: \"mini\" is already claimed by model \"gpt-4o-mini\" "
          "(strict_aliases)",
          "models[2].patterns[0]: matches \"small\", which is already claimed by model "
          "\"gpt-4o-mini\" (strict_aliases)"));
}

TEST(Conflicts, SameModelClaimingTwiceIsNoConflict) {
  std::string yaml = std::string(testing::kProvidersYaml) + R"(
models:
  - name: m
    aliases: [m-latest, m-2024, m-latest]
    patterns: ['^m-\d+$']
    targets: [{ provider: p1, model: m }, { provider: p1, model: m }]
strict_aliases: true
)";
  LoadResult r = loadConfigString(yaml, fakeEnv(baseEnv()));
  ASSERT_TRUE(r.ok()) << ::testing::PrintToString(errorLines(r));
  EXPECT_TRUE(r.config->load_conflicts.empty());
}

}  // namespace
}  // namespace slotgate::conf
