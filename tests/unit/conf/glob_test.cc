#include "conf/glob.h"

#include <gtest/gtest.h>

namespace slotgate::conf {
namespace {

TEST(GlobMatch, LiteralsMatchExactly) {
  EXPECT_TRUE(globMatch("gpt-4o", "gpt-4o"));
  EXPECT_FALSE(globMatch("gpt-4o", "gpt-4o-mini"));
  EXPECT_FALSE(globMatch("gpt-4o", "GPT-4o"));
  EXPECT_TRUE(globMatch("", ""));
  EXPECT_FALSE(globMatch("", "a"));
}

TEST(GlobMatch, StarMatchesAnyRunIncludingEmpty) {
  EXPECT_TRUE(globMatch("*", ""));
  EXPECT_TRUE(globMatch("*", "anything/at all"));
  EXPECT_TRUE(globMatch("gpt-*", "gpt-"));
  EXPECT_TRUE(globMatch("gpt-*", "gpt-4o-mini"));
  EXPECT_FALSE(globMatch("gpt-*", "claude-3"));
  EXPECT_TRUE(globMatch("*-mini", "gpt-4o-mini"));
  EXPECT_FALSE(globMatch("*-mini", "gpt-4o-mini-2024"));
  EXPECT_TRUE(globMatch("a*b*c", "aXbYc"));
  EXPECT_TRUE(globMatch("a*b*c", "abc"));
  EXPECT_FALSE(globMatch("a*b*c", "acb"));
  EXPECT_TRUE(globMatch("**", "x"));
}

TEST(GlobMatch, QuestionMarkMatchesExactlyOne) {
  EXPECT_TRUE(globMatch("gpt-?o", "gpt-4o"));
  EXPECT_FALSE(globMatch("gpt-?o", "gpt-o"));
  EXPECT_FALSE(globMatch("gpt-?o", "gpt-44o"));
  EXPECT_TRUE(globMatch("?*", "a"));
  EXPECT_FALSE(globMatch("?*", ""));
}

TEST(GlobMatch, BacktracksAcrossRepeatedPrefixes) {
  EXPECT_TRUE(globMatch("*aab", "aaaab"));
  EXPECT_TRUE(globMatch("*a*ab", "xaxaab"));
  EXPECT_FALSE(globMatch("*a*ab", "xaxab_"));
  // Pathological input stays fast (no exponential backtracking).
  std::string text(5000, 'a');
  EXPECT_FALSE(globMatch("*a*a*a*a*a*a*a*b", text));
}

}  // namespace
}  // namespace slotgate::conf
