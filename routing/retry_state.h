// The retry decision of one request (SPEC section 3): a failed attempt is tried again on
// another candidate while `routing.retries` allows and some candidate not tried yet would
// serve now; what counts as worth retrying is decided here too. Envoy's RetryStateImpl is the
// model: the request reports each failed attempt, the state answers retry or not, counts the
// retry and remembers the candidates tried, so the next choice excludes them.
// One per request; loop-thread only.
#pragma once

#include <cstdint>
#include <vector>

#include "conf/config.h"
#include "routing/target_chooser.h"

namespace slotgate::routing {

// How an attempt failed, as far as retrying is concerned.
enum class AttemptFailure {
  kRetriableStatus,  // the provider answered 5xx or 429, before any byte went to the client
  kConnection,       // refused, reset, TLS or a broken response before the head: try elsewhere
  kTimeout,          // request_timeout: a retry would stretch the wait the client was promised
  kLocal,            // this host lacks descriptors or memory: any target would meet the same
};

// What choosing another candidate needs to know.
struct ChoiceInputs {
  const conf::Config& config;
  const conf::Model& model;
  conf::ProviderType type;
  const KeyProbe& probe;
};

class RetryState {
 public:
  // An upstream status worth another attempt: 5xx and 429 (SPEC section 3). Others pass
  // through to the client as the provider sent them.
  static bool retriableStatus(int status) { return status >= 500 || status == 429; }
  // A failure of a kind worth another attempt at all (the enum says why the others are not).
  static bool retriable(AttemptFailure failure) {
    return failure == AttemptFailure::kRetriableStatus || failure == AttemptFailure::kConnection;
  }

  // Whether the attempt on `failed` is tried again. Yes when the failure is of a retriable
  // kind, a retry is left (of the config's routing.retries) and a candidate neither tried nor
  // `failed` is available now; then the retry is counted and `failed` is excluded from later
  // choices. No changes nothing. When yes and `next` is given, it receives those candidates,
  // best first (rankCandidates excluding every candidate tried): the ranking that answered the
  // question is the one the next attempt tries, not worked out a second time.
  bool shouldRetry(AttemptFailure failure, const Candidate& failed, const ChoiceInputs& inputs,
                   std::vector<Candidate>* next = nullptr);

  // The candidates of failed attempts that were retried: later choices exclude them.
  const std::vector<Candidate>& tried() const { return tried_; }
  // Every retry excluded exactly one candidate, so the count is the list's length.
  uint32_t retriesUsed() const { return static_cast<uint32_t>(tried_.size()); }

 private:
  // Nothing else: ProxyRequest holds one, and its size is budgeted (proxy_request.cc).
  std::vector<Candidate> tried_;
};

}  // namespace slotgate::routing
