// What the end of one upstream attempt means, decided in one place (SPEC sections 3 and 4):
// for the key's circuit breaker, for the retry decision (routing::RetryState asks whether the
// failure is worth another attempt), for the provider's timeout counter and for the client's
// answer. ProxyRequest applies the verdict; it decides none of it. Pure.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "gateway/upstream/upstream_error.h"
#include "metrics/error_type.h"
#include "routing/retry_state.h"

namespace slotgate::gateway {

// The attempt's verdict for its key's circuit breaker (Admission::judge applies it).
enum class BreakerVerdict : uint8_t {
  kNone,     // not known yet: a 2xx or 3xx head, whose body decides
  kSuccess,  // the answer reached the client whole
  kFailure,  // counts toward failure_threshold: connect error, timeout, 5xx, 429
  kNeutral,  // neither: a 4xx is the caller's fault, a local shortage this host's
};

struct AttemptVerdict {
  BreakerVerdict breaker = BreakerVerdict::kNone;
  // The failure RetryState is asked about; none when nothing can be retried (the head went to
  // the client) or nothing failed.
  std::optional<routing::AttemptFailure> retry;
  bool timeout = false;  // counts in upstream_timeouts_total
  // The client's answer when the attempt is not retried: an error answer of this type (status
  // errorTypeStatus), or, when the response had started, the stream aborted and recorded with
  // it. None: the provider's own answer passes through.
  std::optional<metrics::ErrorType> error;
  int retry_after_s = 0;  // of the error answer; 0: no Retry-After
};

// A response head's status: 5xx and 429 are failures worth a retry (the status passes through
// when none is left), another 4xx is neutral, 2xx and 3xx wait for the body.
AttemptVerdict verdictOnStatus(int status);

// An attempt that ended in `kind`, before its head went to the client or (`response_started`)
// while its body streamed.
AttemptVerdict verdictOnError(UpstreamErrorKind kind, bool response_started);

// The error answer's message for `kind` before the response started; names `provider` (a
// config name), never a secret or the upstream's own words.
std::string upstreamFailureMessage(UpstreamErrorKind kind, std::string_view provider);

}  // namespace slotgate::gateway
