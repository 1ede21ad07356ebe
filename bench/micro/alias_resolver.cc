// Resolver costs per request: a cached hit (the common case), the first
// lookup of an exact name, a pattern match miss-then-compute, and not_found.
#include <benchmark/benchmark.h>
#include <re2/re2.h>

#include <string>
#include <tuple>

#include "alias/resolver.h"

namespace slotgate::alias {
namespace {

conf::Config makeConfig() {
  conf::Config config;
  for (int i = 0; i < 50; ++i) {
    conf::Model m;
    m.name = "model-" + std::to_string(i);
    conf::Target t;
    t.model = "provider-model-" + std::to_string(i);
    m.targets.push_back(t);
    m.aliases = {"alias-" + std::to_string(i)};
    m.patterns = {"family" + std::to_string(i) + "-.*"};
    m.compiled = {std::make_shared<re2::RE2>(m.patterns[0])};
    config.models.push_back(std::move(m));
  }
  return config;
}

const conf::Config& config() {
  static const conf::Config c = makeConfig();
  return c;
}

void BM_CachedHit(benchmark::State& state) {
  Resolver r(config(), nullptr);
  std::ignore = r.resolve("alias-25");
  for (auto _ : state) {
    benchmark::DoNotOptimize(r.resolve("alias-25"));
  }
}
BENCHMARK(BM_CachedHit)->ThreadRange(1, 4);

// Cache disabled: every call takes the uncached path.
void BM_ExactNameMiss(benchmark::State& state) {
  Resolver r(config(), nullptr, 0);
  for (auto _ : state) {
    benchmark::DoNotOptimize(r.resolve("provider-model-40"));
  }
}
BENCHMARK(BM_ExactNameMiss);

void BM_PatternMiss(benchmark::State& state) {
  Resolver r(config(), nullptr, 0);
  for (auto _ : state) {
    benchmark::DoNotOptimize(r.resolve("family49-latest"));
  }
}
BENCHMARK(BM_PatternMiss);

void BM_NotFound(benchmark::State& state) {
  Resolver r(config(), nullptr, 0);
  for (auto _ : state) {
    benchmark::DoNotOptimize(r.resolve("no-such-model-anywhere"));
  }
}
BENCHMARK(BM_NotFound);

// Distinct random names through a bounded cache: miss + insert + eviction.
void BM_NotFoundFlood(benchmark::State& state) {
  Resolver r(config(), nullptr, 4096);
  uint64_t i = 0;
  std::string name;
  for (auto _ : state) {
    name = "random-" + std::to_string(i++);
    benchmark::DoNotOptimize(r.resolve(name));
  }
}
BENCHMARK(BM_NotFoundFlood);

}  // namespace
}  // namespace slotgate::alias
