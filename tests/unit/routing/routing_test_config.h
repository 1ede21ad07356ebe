// Shared by the routing unit tests (target choice, retry decisions): one model over three
// providers, its candidates, and key probes built from plain values.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <utility>

#include "conf/config.h"
#include "routing/target_chooser.h"

namespace slotgate::routing::testing {

// Model "x" with targets on provider a (OpenAI keys a1, a2), b (OpenAI key b1) and m
// (Anthropic key m1), in that order, and a retry budget of `retries` (routing.retries).
inline conf::Config threeProviders(uint32_t retries = 1) {
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

// The candidates of that model: {target, provider, key}.
inline constexpr Candidate kA1{0, 0, 0};
inline constexpr Candidate kA2{0, 0, 1};
inline constexpr Candidate kB1{1, 1, 0};
inline constexpr Candidate kM1{2, 2, 0};

// Every key seen the same way.
inline KeyProbe everyKey(KeyView view) {
  return [view](size_t, size_t) { return view; };
}

// Each key seen as listed ({provider, key} -> view); a key not listed throws (a test bug).
inline KeyProbe byKey(std::map<std::pair<size_t, size_t>, KeyView> views) {
  return [views = std::move(views)](size_t p, size_t k) { return views.at({p, k}); };
}

}  // namespace slotgate::routing::testing
