#include "routing/target_chooser.h"

#include <algorithm>

namespace slotgate::routing {

std::vector<Candidate> rankCandidates(const conf::Config& config, const conf::Model& model,
                                      conf::ProviderType type, const KeyProbe& probe,
                                      const std::vector<Candidate>& excluded) {
  std::vector<Candidate> out;
  rankCandidates(config, model, type, probe, excluded, out);
  return out;
}

void rankCandidates(const conf::Config& config, const conf::Model& model, conf::ProviderType type,
                    const KeyProbe& probe, const std::vector<Candidate>& excluded,
                    std::vector<Candidate>& out) {
  struct Ranked {
    Candidate candidate;
    uint32_t available;
  };
  // One list per thread, reused: no allocation per request for the ranking (issue 12).
  thread_local std::vector<Ranked> ranked;
  ranked.clear();
  for (size_t t = 0; t < model.targets.size(); ++t) {
    const size_t p = model.targets[t].provider_index;
    const conf::Provider& provider = config.providers[p];
    if (provider.type != type) {
      continue;
    }
    for (size_t k = 0; k < provider.keys.size(); ++k) {
      Candidate c{t, p, k};
      if (std::find(excluded.begin(), excluded.end(), c) != excluded.end()) {
        continue;
      }
      KeyView view = probe(p, k);
      if (!view.admits || view.available == 0) {
        continue;
      }
      // Inserted after every key with as much free capacity or more: most free first, config
      // order among equals. A model has a handful of keys, and unlike std::stable_sort this
      // needs no temporary buffer (one allocation per request).
      const auto at = std::find_if(ranked.begin(), ranked.end(),
                                   [&](const Ranked& r) { return r.available < view.available; });
      ranked.insert(at, Ranked{c, view.available});
    }
  }
  out.clear();
  for (const auto& r : ranked) {
    out.push_back(r.candidate);
  }
}

bool modelSpeaks(const conf::Config& config, const conf::Model& model, conf::ProviderType type) {
  return std::any_of(model.targets.begin(), model.targets.end(), [&](const conf::Target& t) {
    return config.providers[t.provider_index].type == type;
  });
}

}  // namespace slotgate::routing
