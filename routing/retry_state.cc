#include "routing/retry_state.h"

namespace slotgate::routing {

bool RetryState::shouldRetry(AttemptFailure failure, const Candidate& failed,
                             const ChoiceInputs& inputs, std::vector<Candidate>* next) {
  if (!retriable(failure)) {
    return false;
  }
  if (tried_.size() >= inputs.config.routing.retries) {
    return false;
  }
  tried_.push_back(failed);
  std::vector<Candidate> ranked =
      rankCandidates(inputs.config, inputs.model, inputs.type, inputs.probe, tried_);
  if (ranked.empty()) {
    tried_.pop_back();  // nothing else would serve: the failure is the answer
    return false;
  }
  if (next != nullptr) {
    *next = std::move(ranked);
  }
  return true;
}

}  // namespace slotgate::routing
