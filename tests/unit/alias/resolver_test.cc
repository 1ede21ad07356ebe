#include "alias/resolver.h"

#include <gtest/gtest.h>
#include <re2/re2.h>

#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

namespace slotgate::alias {
namespace {

conf::Model makeModel(std::string name, std::vector<std::string> provider_models,
                      std::vector<std::string> aliases = {},
                      std::vector<std::string> patterns = {}) {
  conf::Model m;
  m.name = std::move(name);
  for (auto& pm : provider_models) {
    conf::Target t;
    t.provider = "openai";
    t.model = std::move(pm);
    m.targets.push_back(std::move(t));
  }
  m.aliases = std::move(aliases);
  for (auto& p : patterns) {
    m.compiled.push_back(std::make_shared<re2::RE2>(p));
    m.patterns.push_back(std::move(p));
  }
  return m;
}

struct Conflict {
  std::string name, winner, other;
  bool operator==(const Conflict&) const = default;
};

class ResolverTest : public ::testing::Test {
 protected:
  ResolverTest() {
    config_.models.push_back(
        makeModel("gpt-4o", {"gpt-4o-2024-08-06"}, {"4o", "mini"}, {"gpt-4o-.*"}));
    config_.models.push_back(
        makeModel("mini", {"gpt-4o-mini-2024-07-18"}, {"small"}, {"claude-.*"}));
    config_.models.push_back(makeModel("claude", {"claude-3-5-sonnet-20241022"}, {"sonnet"},
                                       {"claude-3.*", "anthropic/.*"}));
    config_.models.push_back(makeModel("shared", {"gpt-4o-2024-08-06"}, {"4o"}));
  }

  ConflictSink sink() {
    return [this](std::string_view n, std::string_view w, std::string_view o) {
      std::lock_guard lock(mu_);
      conflicts_.push_back({std::string(n), std::string(w), std::string(o)});
    };
  }

  std::vector<Conflict> conflicts() {
    std::lock_guard lock(mu_);
    return conflicts_;
  }

  conf::Config config_;
  std::mutex mu_;
  std::vector<Conflict> conflicts_;
};

TEST_F(ResolverTest, MethodLabels) {
  EXPECT_EQ(methodLabel(Method::kDirectMatch), "direct_match");
  EXPECT_EQ(methodLabel(Method::kProviderModelName), "provider_model_name");
  EXPECT_EQ(methodLabel(Method::kAlias), "alias");
  EXPECT_EQ(methodLabel(Method::kNotFound), "not_found");
}

TEST_F(ResolverTest, DirectMatch) {
  Resolver r(config_, sink());
  Resolution res = r.resolve("claude");
  EXPECT_EQ(res.method, Method::kDirectMatch);
  EXPECT_EQ(res.model_index, 2u);
  EXPECT_EQ(res.model, &config_.models[2]);
  EXPECT_FALSE(res.cache_hit);
}

TEST_F(ResolverTest, ProviderModelNameFirstModelWins) {
  Resolver r(config_, sink());
  Resolution res = r.resolve("gpt-4o-2024-08-06");  // also matches model 0's pattern gpt-4o-.*
  EXPECT_EQ(res.method, Method::kProviderModelName);
  EXPECT_EQ(res.model_index, 0u);  // "shared" has the same provider model but comes later
  EXPECT_EQ(r.resolve("claude-3-5-sonnet-20241022").method, Method::kProviderModelName);
  EXPECT_EQ(r.resolve("claude-3-5-sonnet-20241022").model_index, 2u);
}

TEST_F(ResolverTest, AliasListAndFirstModelWins) {
  Resolver r(config_, sink());
  Resolution res = r.resolve("4o");
  EXPECT_EQ(res.method, Method::kAlias);
  EXPECT_EQ(res.model_index, 0u);
  res = r.resolve("sonnet");
  EXPECT_EQ(res.method, Method::kAlias);
  EXPECT_EQ(res.model_index, 2u);
}

TEST_F(ResolverTest, DirectMatchBeatsAnotherModelsAlias) {
  Resolver r(config_, sink());
  Resolution res = r.resolve("mini");  // model 1's name and model 0's alias
  EXPECT_EQ(res.method, Method::kDirectMatch);
  EXPECT_EQ(res.model_index, 1u);
}

TEST_F(ResolverTest, PatternFullMatchOnly) {
  Resolver r(config_, sink());
  Resolution res = r.resolve("anthropic/claude-x");
  EXPECT_EQ(res.method, Method::kAlias);
  EXPECT_EQ(res.model_index, 2u);
  res = r.resolve("gpt-4o-latest");
  EXPECT_EQ(res.method, Method::kAlias);
  EXPECT_EQ(res.model_index, 0u);
  // Partial matches are not matches.
  EXPECT_EQ(r.resolve("my-gpt-4o-latest").method, Method::kNotFound);
  EXPECT_EQ(r.resolve("xanthropic/claude").method, Method::kNotFound);
  EXPECT_EQ(r.resolve("gpt-4o").method, Method::kDirectMatch);
}

TEST_F(ResolverTest, NotFoundIsCached) {
  Resolver r(config_, sink());
  Resolution first = r.resolve("llama-70b");
  EXPECT_EQ(first.method, Method::kNotFound);
  EXPECT_EQ(first.model, nullptr);
  EXPECT_EQ(first.model_index, SIZE_MAX);
  EXPECT_FALSE(first.cache_hit);
  Resolution second = r.resolve("llama-70b");
  EXPECT_EQ(second.method, Method::kNotFound);
  EXPECT_EQ(second.model, nullptr);
  EXPECT_TRUE(second.cache_hit);
  EXPECT_EQ(r.cacheSize(), 1u);
}

TEST_F(ResolverTest, ExactNamesGoThroughTheCache) {
  Resolver r(config_, sink());
  EXPECT_FALSE(r.resolve("mini").cache_hit);
  Resolution res = r.resolve("mini");
  EXPECT_TRUE(res.cache_hit);
  EXPECT_EQ(res.method, Method::kDirectMatch);
  EXPECT_EQ(res.model_index, 1u);
  EXPECT_FALSE(r.resolve("gpt-4o-x").cache_hit);
  res = r.resolve("gpt-4o-x");
  EXPECT_TRUE(res.cache_hit);
  EXPECT_EQ(res.method, Method::kAlias);
  EXPECT_EQ(res.model_index, 0u);
}

TEST_F(ResolverTest, LongNamesResolvedButNotCached) {
  config_.models.push_back(makeModel("long", {"long-provider"}, {}, {"long-.*"}));
  Resolver r(config_, sink());
  const std::string long_match = "long-" + std::string(300, 'a');
  const std::string long_miss(300, 'z');
  for (int i = 0; i < 2; ++i) {
    Resolution res = r.resolve(long_match);
    EXPECT_EQ(res.method, Method::kAlias);
    EXPECT_EQ(res.model_index, 4u);
    EXPECT_FALSE(res.cache_hit);
    res = r.resolve(long_miss);
    EXPECT_EQ(res.method, Method::kNotFound);
    EXPECT_FALSE(res.cache_hit);
  }
  EXPECT_EQ(r.cacheSize(), 0u);
  const std::string edge(Resolver::kMaxCachedNameBytes, 'q');
  EXPECT_FALSE(r.resolve(edge).cache_hit);
  EXPECT_TRUE(r.resolve(edge).cache_hit);
}

TEST_F(ResolverTest, LoadConflictsReportedAtConstruction) {
  config_.load_conflicts.push_back({"4o", "gpt-4o", "shared"});
  config_.load_conflicts.push_back({"4o", "gpt-4o", "other"});  // same name: once
  Resolver r(config_, sink());
  EXPECT_EQ(conflicts(), (std::vector<Conflict>{{"4o", "gpt-4o", "shared"}}));
  std::ignore = r.resolve("4o");
  std::ignore = r.resolve("4o");
  EXPECT_EQ(conflicts().size(), 1u);
}

TEST_F(ResolverTest, RuntimePatternConflictReportedOncePerName) {
  // "claude-3-opus" fully matches model 1's claude-.* and model 2's claude-3.*.
  Resolver r(config_, sink(), /*cache_capacity=*/0);  // no cache: the bounded set dedupes
  for (int i = 0; i < 3; ++i) {
    Resolution res = r.resolve("claude-3-opus");
    EXPECT_EQ(res.method, Method::kAlias);
    EXPECT_EQ(res.model_index, 1u);
  }
  EXPECT_EQ(conflicts(), (std::vector<Conflict>{{"claude-3-opus", "mini", "claude"}}));
  // A name matching only one model's pattern is no conflict.
  EXPECT_EQ(r.resolve("claude-2").model_index, 1u);
  EXPECT_EQ(conflicts().size(), 1u);
  std::ignore = r.resolve("claude-3-haiku");
  EXPECT_EQ(conflicts().size(), 2u);
  EXPECT_EQ(conflicts()[1], (Conflict{"claude-3-haiku", "mini", "claude"}));

  // A new resolver (new config version) reports again.
  Resolver r2(config_, sink());
  std::ignore = r2.resolve("claude-3-opus");
  std::ignore = r2.resolve("claude-3-opus");
  EXPECT_EQ(conflicts().size(), 3u);
}

TEST_F(ResolverTest, CacheBoundedUnderRandomFloodAndStillCorrect) {
  constexpr size_t kCapacity = 1000;
  Resolver r(config_, sink(), kCapacity);
  std::mt19937_64 rng(42);
  for (int i = 0; i < 100000; ++i) {
    std::string name = "rnd-" + std::to_string(rng());
    if (i % 7 == 0) {
      name = "gpt-4o-" + name;
    }
    Resolution res = r.resolve(name);
    if (i % 7 == 0) {
      ASSERT_EQ(res.method, Method::kAlias) << name;
      ASSERT_EQ(res.model_index, 0u);
    } else {
      ASSERT_EQ(res.method, Method::kNotFound) << name;
    }
  }
  EXPECT_LE(r.cacheSize(), kCapacity);
  EXPECT_GT(r.cacheSize(), kCapacity / 2);
  // Known names still resolve correctly after heavy eviction, then hit.
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(r.resolve("gpt-4o").method, Method::kDirectMatch);
    EXPECT_EQ(r.resolve("small").model_index, 1u);
    EXPECT_EQ(r.resolve("claude-3-5-sonnet-20241022").method, Method::kProviderModelName);
    EXPECT_EQ(r.resolve("anthropic/x").model_index, 2u);
  }
  EXPECT_TRUE(r.resolve("gpt-4o").cache_hit);
}

TEST_F(ResolverTest, HotNamesSurviveFloodWithClock) {
  Resolver r(config_, sink(), 160);
  std::ignore = r.resolve("sonnet");
  for (int i = 0; i < 5000; ++i) {
    ASSERT_EQ(r.resolve("sonnet").model_index, 2u);
    std::ignore = r.resolve("junk-" + std::to_string(i));
  }
  EXPECT_TRUE(r.resolve("sonnet").cache_hit);
  EXPECT_LE(r.cacheSize(), 160u);
}

TEST_F(ResolverTest, ConcurrentResolveIsConsistent) {
  Resolver r(config_, sink(), 512);
  struct Case {
    std::string name;
    Method method;
    size_t index;
  };
  const std::vector<Case> cases = {
      {"gpt-4o", Method::kDirectMatch, 0},
      {"mini", Method::kDirectMatch, 1},
      {"gpt-4o-2024-08-06", Method::kProviderModelName, 0},
      {"small", Method::kAlias, 1},
      {"claude-3-opus", Method::kAlias, 1},
      {"anthropic/foo", Method::kAlias, 2},
      {"nope", Method::kNotFound, SIZE_MAX},
  };
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937 rng(t);
      for (int i = 0; i < 20000; ++i) {
        const Case& c = cases[rng() % cases.size()];
        Resolution res = r.resolve(c.name);
        if (res.method != c.method || res.model_index != c.index) {
          failures.fetch_add(1);
        }
        // Random names keep evictions going while others hit.
        if (r.resolve("t" + std::to_string(t) + "-" + std::to_string(i)).method !=
            Method::kNotFound) {
          failures.fetch_add(1);
        }
      }
    });
  }
  for (auto& th : threads) {
    th.join();
  }
  EXPECT_EQ(failures.load(), 0);
  EXPECT_LE(r.cacheSize(), 512u);
  EXPECT_EQ(conflicts(), (std::vector<Conflict>{{"claude-3-opus", "mini", "claude"}}));
}

TEST(NameCacheTest, CapacityRoundsDownAcrossShards) {
  NameCache cache(100);  // 16 shards x 6
  EXPECT_EQ(cache.capacity(), 96u);
  for (int i = 0; i < 1000; ++i) {
    std::string name = "n" + std::to_string(i);
    cache.insert(name, NameCache::hashName(name), {static_cast<uint32_t>(i), Method::kAlias});
  }
  EXPECT_LE(cache.size(), 96u);
  NameCache tiny(3);
  EXPECT_EQ(tiny.capacity(), 3u);
  NameCache off(0);
  off.insert("x", NameCache::hashName("x"), {});
  EXPECT_EQ(off.size(), 0u);
  EXPECT_FALSE(off.find("x", NameCache::hashName("x")).has_value());
}

TEST(ResolverNoPatternsCompiled, CompilesMissingPatterns) {
  conf::Config config;
  conf::Model m = makeModel("m", {"pm"});
  m.patterns = {"foo-[0-9]+", "(bad"};  // invalid pattern matches nothing
  config.models.push_back(m);
  Resolver r(config, nullptr);
  EXPECT_EQ(r.resolve("foo-12").method, Method::kAlias);
  EXPECT_EQ(r.resolve("foo-x").method, Method::kNotFound);
  EXPECT_EQ(r.resolve("(bad").method, Method::kNotFound);
}

}  // namespace
}  // namespace slotgate::alias

namespace slotgate::alias {
namespace {

// Patterns compiled with different options cannot share one RE2::Set; the
// resolver then matches them one by one with the same answers.
TEST(ResolverMixedOptions, MatchesOneByOneWithSameSemantics) {
  conf::Config config;
  conf::Model a = makeModel("a", {"pa"});
  RE2::Options insensitive;
  insensitive.set_case_sensitive(false);
  a.patterns = {"GPT-.*"};
  a.compiled = {std::make_shared<re2::RE2>("GPT-.*", insensitive)};
  conf::Model b = makeModel("b", {"pb"}, {}, {"gpt-4.*", "other"});
  config.models = {a, b};
  std::vector<std::string> seen;
  Resolver r(config, [&](std::string_view n, std::string_view w, std::string_view o) {
    seen.push_back(std::string(n) + ":" + std::string(w) + ">" + std::string(o));
  });
  EXPECT_EQ(r.resolve("gpt-3").model_index, 0u);
  EXPECT_EQ(r.resolve("other").model_index, 1u);
  EXPECT_EQ(r.resolve("gpt-4o").model_index, 0u);
  EXPECT_EQ(r.resolve("xgpt-4o").method, Method::kNotFound);
  EXPECT_EQ(seen, (std::vector<std::string>{"gpt-4o:a>b"}));
}

// Many models, several patterns each: the winner is the first model in config
// order and the conflict names the second, whatever the pattern order inside the set.
TEST(ResolverManyPatterns, FirstModelWinsAndSecondIsReported) {
  conf::Config config;
  for (int i = 0; i < 30; ++i) {
    config.models.push_back(
        makeModel("m" + std::to_string(i), {"p" + std::to_string(i)}, {},
                  {"x" + std::to_string(i) + "-.*", "shared-" + std::to_string(i % 3) + "-.*"}));
  }
  std::vector<std::string> seen;
  Resolver r(config, [&](std::string_view n, std::string_view w, std::string_view o) {
    seen.push_back(std::string(n) + ":" + std::string(w) + ">" + std::string(o));
  });
  EXPECT_EQ(r.resolve("x17-a").model_index, 17u);
  EXPECT_EQ(r.resolve("shared-2-z").model_index, 2u);
  EXPECT_EQ(r.resolve("shared-0-z").model_index, 0u);
  EXPECT_EQ(r.resolve("shared-3-z").method, Method::kNotFound);
  EXPECT_EQ(seen, (std::vector<std::string>{"shared-2-z:m2>m5", "shared-0-z:m0>m3"}));
}

}  // namespace
}  // namespace slotgate::alias
