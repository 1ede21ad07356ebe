// Choosing which target and provider key serve a request (SPEC section 4).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

#include "conf/config.h"

namespace slotgate::routing {

// One (target, key) pair of a model: targets[target_index] on its provider's keys[key_index].
struct Candidate {
  size_t target_index = 0;
  size_t provider_index = 0;
  size_t key_index = 0;
  bool operator==(const Candidate&) const = default;
};

// What the chooser needs to know of a key right now; taken nothing.
struct KeyView {
  uint32_t available = 0;  // free slots, UINT32_MAX when unlimited
  bool admits = false;     // its circuit would admit a request
};

using KeyProbe = std::function<KeyView(size_t provider_index, size_t key_index)>;

// The model's candidates that speak `type`, that are not in `excluded`, whose
// circuit admits and that have a free slot, best first: most free capacity,
// config order (targets, then keys) among equals. The caller tries them in
// order, because a slot seen free here may be taken by another worker before
// it acquires it. Thread-safe (pure).
std::vector<Candidate> rankCandidates(const conf::Config& config, const conf::Model& model,
                                      conf::ProviderType type, const KeyProbe& probe,
                                      const std::vector<Candidate>& excluded);
// The same ranking into `out` (cleared first), whose capacity a caller may reuse from request
// to request (no allocation per request; issue 12).
void rankCandidates(const conf::Config& config, const conf::Model& model, conf::ProviderType type,
                    const KeyProbe& probe, const std::vector<Candidate>& excluded,
                    std::vector<Candidate>& out);

// Whether any target of the model speaks `type` (else: 400 invalid_request).
bool modelSpeaks(const conf::Config& config, const conf::Model& model, conf::ProviderType type);

}  // namespace slotgate::routing
