#include "conf/alias_conflicts.h"

#include <re2/re2.h>

#include <unordered_map>
#include <unordered_set>

namespace slotgate::conf {
namespace {

// Appends a conflict for every model after the first among claims (which are
// in model order).
void addConflicts(const std::string& name, const std::vector<NameClaim>& claims,
                  std::vector<NameConflict>& out) {
  if (claims.empty()) {
    return;
  }
  size_t last_model = claims.front().model;
  for (const auto& claim : claims) {
    if (claim.model != last_model) {
      out.push_back({name, claims.front(), claim});
      last_model = claim.model;
    }
  }
}

}  // namespace

std::vector<NameConflict> findNameConflicts(const Config& config) {
  std::vector<NameConflict> out;
  std::unordered_set<std::string> model_names;
  for (const auto& m : config.models) {
    model_names.insert(m.name);
  }

  // Level 2: provider model names of targets.
  std::vector<std::string> order;
  std::unordered_map<std::string, std::vector<NameClaim>> level2;
  for (size_t i = 0; i < config.models.size(); ++i) {
    const auto& targets = config.models[i].targets;
    for (size_t t = 0; t < targets.size(); ++t) {
      const std::string& name = targets[t].model;
      auto [it, inserted] = level2.try_emplace(name);
      if (inserted) {
        order.push_back(name);
      }
      if (it->second.empty() || it->second.back().model != i) {
        it->second.push_back({i, ClaimKind::kTargetModel, t});
      }
    }
  }
  for (const auto& name : order) {
    if (!model_names.contains(name)) {
      addConflicts(name, level2[name], out);
    }
  }

  // Level 3: every written alias, claimed by models that list it or whose
  // pattern matches it fully. Pattern-vs-pattern overlaps cannot be found
  // statically; the resolver counts those when a name first hits them.
  std::unordered_set<std::string> seen;
  for (const auto& model : config.models) {
    for (const auto& name : model.aliases) {
      if (!seen.insert(name).second || model_names.contains(name) || level2.contains(name)) {
        continue;
      }
      std::vector<NameClaim> claims;
      for (size_t i = 0; i < config.models.size(); ++i) {
        const auto& m = config.models[i];
        bool claimed = false;
        for (size_t k = 0; k < m.aliases.size() && !claimed; ++k) {
          if (m.aliases[k] == name) {
            claims.push_back({i, ClaimKind::kAlias, k});
            claimed = true;
          }
        }
        for (size_t k = 0; k < m.compiled.size() && !claimed; ++k) {
          if (m.compiled[k] && re2::RE2::FullMatch(name, *m.compiled[k])) {
            claims.push_back({i, ClaimKind::kPattern, k});
            claimed = true;
          }
        }
      }
      addConflicts(name, claims, out);
    }
  }
  return out;
}

}  // namespace slotgate::conf
