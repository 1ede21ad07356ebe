#include "alias/resolver.h"

#include <re2/re2.h>
#include <re2/set.h>

namespace slotgate::alias {

class Resolver::RE2Set {
 public:
  explicit RE2Set(const RE2::Options& options) : set(options, RE2::ANCHOR_BOTH) {}
  re2::RE2::Set set;
};

namespace {

bool sameMatchingOptions(const RE2::Options& a, const RE2::Options& b) {
  return a.encoding() == b.encoding() && a.posix_syntax() == b.posix_syntax() &&
         a.literal() == b.literal() && a.never_nl() == b.never_nl() && a.dot_nl() == b.dot_nl() &&
         a.case_sensitive() == b.case_sensitive() && a.perl_classes() == b.perl_classes() &&
         a.word_boundary() == b.word_boundary() && a.one_line() == b.one_line();
}

}  // namespace

std::string_view methodLabel(Method method) {
  switch (method) {
    case Method::kDirectMatch:
      return "direct_match";
    case Method::kProviderModelName:
      return "provider_model_name";
    case Method::kAlias:
      return "alias";
    case Method::kNotFound:
      return "not_found";
  }
  return "not_found";
}

Resolver::Resolver(const conf::Config& config, ConflictSink on_conflict, size_t cache_capacity)
    : config_(config), on_conflict_(std::move(on_conflict)), cache_(cache_capacity) {
  const auto& models = config_.models;
  // Levels are indexed in precedence order and try_emplace keeps the first
  // claim, so a name's entry is its highest-precedence, first-in-config answer.
  for (size_t i = 0; i < models.size(); ++i) {
    indexExact(models[i].name, static_cast<uint32_t>(i), Method::kDirectMatch);
  }
  for (size_t i = 0; i < models.size(); ++i) {
    for (const auto& target : models[i].targets) {
      indexExact(target.model, static_cast<uint32_t>(i), Method::kProviderModelName);
    }
  }
  for (size_t i = 0; i < models.size(); ++i) {
    for (const auto& alias : models[i].aliases) {
      indexExact(alias, static_cast<uint32_t>(i), Method::kAlias);
    }
  }
  for (size_t i = 0; i < models.size(); ++i) {
    const auto& model = models[i];
    for (size_t p = 0; p < model.patterns.size(); ++p) {
      const re2::RE2* re = p < model.compiled.size() ? model.compiled[p].get() : nullptr;
      if (re == nullptr) {
        // The loader compiles and validates patterns; this only covers configs
        // built by hand. An invalid pattern matches nothing.
        RE2::Options options;
        options.set_log_errors(false);
        owned_.push_back(std::make_unique<re2::RE2>(model.patterns[p], options));
        re = owned_.back().get();
      }
      if (re->ok()) {
        patterns_.push_back({static_cast<uint32_t>(i), re});
      }
    }
  }
  buildPatternSet();
  for (const auto& conflict : config_.load_conflicts) {
    if (rememberConflict(NameCache::hashName(conflict.name)) && on_conflict_) {
      on_conflict_(conflict.name, conflict.winner, conflict.other);
    }
  }
}

Resolver::~Resolver() = default;

void Resolver::indexExact(const std::string& name, uint32_t model_index, Method method) {
  exact_.try_emplace(name, CachedAnswer{model_index, method});
}

Resolution Resolver::resolve(std::string_view name) {
  const uint64_t hash = NameCache::hashName(name);
  const bool cacheable = name.size() <= kMaxCachedNameBytes;
  if (cacheable) {
    if (auto cached = cache_.find(name, hash)) {
      return toResolution(*cached, true);
    }
  }
  const CachedAnswer answer = resolveUncached(name, hash);
  if (cacheable) {
    cache_.insert(name, hash, answer);
  }
  return toResolution(answer, false);
}

CachedAnswer Resolver::resolveUncached(std::string_view name, uint64_t hash) {
  if (auto it = exact_.find(name); it != exact_.end()) {
    return it->second;
  }
  PatternMatch match;
  if (!matchWithSet(name, match)) {
    match = matchOneByOne(name);
  }
  const uint32_t winner = match.winner;
  const uint32_t other = match.other;
  if (winner == UINT32_MAX) {
    return {};
  }
  if (other != UINT32_MAX && rememberConflict(hash) && on_conflict_) {
    on_conflict_(name, config_.models[winner].name, config_.models[other].name);
  }
  return CachedAnswer{winner, Method::kAlias};
}

void Resolver::buildPatternSet() {
  if (patterns_.size() < 2) {
    return;
  }
  const RE2::Options& options = patterns_.front().re->options();
  for (const PatternRef& ref : patterns_) {
    if (!sameMatchingOptions(options, ref.re->options())) {
      return;
    }
  }
  auto set = std::make_unique<RE2Set>(options);
  for (const PatternRef& ref : patterns_) {
    // Indices returned by Match() are the Add() order, i.e. patterns_ order.
    if (set->set.Add(ref.re->pattern(), nullptr) < 0) {
      return;
    }
  }
  if (set->set.Compile()) {
    pattern_set_ = std::move(set);
  }
}

bool Resolver::matchWithSet(std::string_view name, PatternMatch& out) const {
  if (!pattern_set_) {
    return false;
  }
  std::vector<int> hits;
  RE2::Set::ErrorInfo error{};
  if (!pattern_set_->set.Match(name, &hits, &error)) {
    // No match, unless the DFA gave up (memory budget): then match one by one.
    return error.kind == RE2::Set::kNoError;
  }
  for (int hit : hits) {
    const uint32_t model = patterns_[static_cast<size_t>(hit)].model_index;
    if (model < out.winner) {
      if (out.winner != UINT32_MAX) {
        out.other = out.winner;
      }
      out.winner = model;
    } else if (model != out.winner && model < out.other) {
      out.other = model;
    }
  }
  return true;
}

// Models in config order; keeps going after the first match only to find a
// second model, which makes the name a conflict.
Resolver::PatternMatch Resolver::matchOneByOne(std::string_view name) const {
  PatternMatch out;
  for (const PatternRef& ref : patterns_) {
    if (ref.model_index == out.winner) {
      continue;  // this model already matched through an earlier pattern
    }
    if (!re2::RE2::FullMatch(name, *ref.re)) {
      continue;
    }
    if (out.winner == UINT32_MAX) {
      out.winner = ref.model_index;
    } else {
      out.other = ref.model_index;
      break;
    }
  }
  return out;
}

Resolution Resolver::toResolution(CachedAnswer answer, bool cache_hit) const {
  Resolution r;
  r.method = answer.method;
  r.cache_hit = cache_hit;
  if (answer.method != Method::kNotFound) {
    r.model_index = answer.model_index;
    r.model = &config_.models[answer.model_index];
  }
  return r;
}

bool Resolver::rememberConflict(uint64_t hash) {
  std::lock_guard lock(conflicts_mu_);
  if (reported_conflicts_.count(hash) != 0) {
    return false;
  }
  if (reported_conflicts_.size() >= kMaxRememberedConflicts) {
    suppressed_conflicts_.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  reported_conflicts_.insert(hash);
  return true;
}

}  // namespace slotgate::alias
