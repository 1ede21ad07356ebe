// Names claimed by two or more global models within one resolution level
// (SPEC section 5): level 2 = targets' provider model names, level 3 = aliases
// and full pattern matches. Model names are unique (a plain validation error
// otherwise), so level 1 has no conflicts. A name answered at a lower level is
// never resolved at a higher one, so it is not a conflict there. The first
// model in config order wins. Pure function over a loaded Config; thread-safe.
#pragma once

#include <string>
#include <vector>

#include "conf/config.h"

namespace slotgate::conf {

enum class ClaimKind { kTargetModel, kAlias, kPattern };

// Where a model claims a name: models[model].targets[index].model,
// models[model].aliases[index] or models[model].patterns[index].
struct NameClaim {
  size_t model = 0;
  ClaimKind kind = ClaimKind::kAlias;
  size_t index = 0;
};

struct NameConflict {
  std::string name;
  NameClaim winner;  // first claim of the first model
  NameClaim loser;   // first claim of a later model
};

// One entry per (name, losing model), ordered by level, then by where the name
// first appears in the config.
[[nodiscard]] std::vector<NameConflict> findNameConflicts(const Config& config);

}  // namespace slotgate::conf
