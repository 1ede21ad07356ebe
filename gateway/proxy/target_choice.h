// Where an attempt may go (SPEC sections 3 and 4): the model's targets for the endpoint's API,
// ranked by free capacity among closed circuits (routing::rankCandidates, reading the request's
// snapshot), without the candidates the retry decision tried (routing::RetryState) or found full
// across the cluster (Admission). After a failed attempt the retry decision is asked with the
// same view, and the ranking that answered it is the next attempt's. A view for one choice,
// built when needed; it refers to the request's state and holds none. Loop-thread only.
#pragma once

#include <vector>

#include "conf/config.h"
#include "gateway/config_snapshot.h"
#include "routing/endpoints.h"
#include "routing/retry_state.h"
#include "routing/target_chooser.h"

namespace slotgate::gateway {

class TargetChoice {
 public:
  TargetChoice(const ConfigSnapshot& snapshot, const conf::Model& model,
               const routing::Endpoint& endpoint);

  // The candidates for the next attempt, best first.
  std::vector<routing::Candidate> rank(const routing::RetryState& retry,
                                       const std::vector<routing::Candidate>& cluster_full) const;
  // The same into `out` (cleared first; its capacity is reused).
  void rank(const routing::RetryState& retry, const std::vector<routing::Candidate>& cluster_full,
            std::vector<routing::Candidate>& out) const;
  // Whether `retry` tries the attempt on `failed` again (RetryState::shouldRetry); if so `next`
  // holds where, best first.
  bool retry(routing::RetryState& retry, routing::AttemptFailure failure,
             const routing::Candidate& failed, const std::vector<routing::Candidate>& cluster_full,
             std::vector<routing::Candidate>& next) const;

 private:
  const conf::Config& config_;
  const conf::Model& model_;
  conf::ProviderType type_;
  routing::KeyProbe probe_;
};

}  // namespace slotgate::gateway
