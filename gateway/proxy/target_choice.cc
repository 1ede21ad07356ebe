#include "gateway/proxy/target_choice.h"

#include <algorithm>

namespace slotgate::gateway {

TargetChoice::TargetChoice(const ConfigSnapshot& snapshot, const conf::Model& model,
                           const routing::Endpoint& endpoint)
    : config_(snapshot.config()), model_(model), type_(endpoint.provider_type) {
  const ConfigSnapshot* rt = &snapshot;
  const bool holds_slots = endpoint.holds_slots;
  probe_ = [rt, holds_slots](size_t p, size_t k) {
    const ProviderKeyState& state = rt->providerKey(p, k);
    // Without a slot to take, a full key serves as well as any: config order decides.
    const uint32_t available = holds_slots ? state.slots->available() : UINT32_MAX;
    return routing::KeyView{available, state.breaker->admits()};
  };
}

std::vector<routing::Candidate> TargetChoice::rank(
    const routing::RetryState& retry, const std::vector<routing::Candidate>& cluster_full) const {
  std::vector<routing::Candidate> out;
  rank(retry, cluster_full, out);
  return out;
}

void TargetChoice::rank(const routing::RetryState& retry,
                        const std::vector<routing::Candidate>& cluster_full,
                        std::vector<routing::Candidate>& out) const {
  if (cluster_full.empty()) {  // the usual case: nothing to add to what the retries tried
    routing::rankCandidates(config_, model_, type_, probe_, retry.tried(), out);
    return;
  }
  std::vector<routing::Candidate> excluded = retry.tried();
  excluded.insert(excluded.end(), cluster_full.begin(), cluster_full.end());
  routing::rankCandidates(config_, model_, type_, probe_, excluded, out);
}

bool TargetChoice::retry(routing::RetryState& retry, routing::AttemptFailure failure,
                         const routing::Candidate& failed,
                         const std::vector<routing::Candidate>& cluster_full,
                         std::vector<routing::Candidate>& next) const {
  const routing::ChoiceInputs inputs{config_, model_, type_, probe_};
  if (!retry.shouldRetry(failure, failed, inputs, &next)) {
    return false;
  }
  std::erase_if(next, [&cluster_full](const routing::Candidate& c) {
    return std::ranges::find(cluster_full, c) != cluster_full.end();
  });
  return true;
}

}  // namespace slotgate::gateway
