#include "gateway/proxy/attempt_verdict.h"

namespace slotgate::gateway {

using metrics::ErrorType;
using routing::AttemptFailure;

AttemptVerdict verdictOnStatus(int status) {
  AttemptVerdict verdict;
  if (routing::RetryState::retriableStatus(status)) {
    verdict.breaker = BreakerVerdict::kFailure;
    verdict.retry = AttemptFailure::kRetriableStatus;
  } else if (status >= 400) {
    verdict.breaker = BreakerVerdict::kNeutral;
  }
  return verdict;
}

AttemptVerdict verdictOnError(UpstreamErrorKind kind, bool response_started) {
  AttemptVerdict verdict;
  verdict.breaker = BreakerVerdict::kFailure;
  verdict.error = ErrorType::kUpstreamError;
  switch (kind) {
    case UpstreamErrorKind::kTimeout:
      verdict.timeout = true;
      verdict.retry = AttemptFailure::kTimeout;
      verdict.error = ErrorType::kUpstreamTimeout;
      break;
    case UpstreamErrorKind::kLocal:
      // This host is out of descriptors (or memory, or ports): the provider was never reached
      // and is not at fault. Counting it would let anyone who can exhaust our descriptors open
      // circuits (in cluster mode, for every instance).
      verdict.breaker = BreakerVerdict::kNeutral;
      verdict.retry = AttemptFailure::kLocal;
      if (!response_started) {
        // 503 with Retry-After, as for any capacity the gateway lacks for the moment.
        verdict.error = ErrorType::kNoUpstreamAvailable;
        verdict.retry_after_s = 1;
      }
      break;
    case UpstreamErrorKind::kConnect:
    case UpstreamErrorKind::kTls:
    case UpstreamErrorKind::kProtocol:
    case UpstreamErrorKind::kClosed:
      verdict.retry = AttemptFailure::kConnection;
      break;
  }
  if (response_started) {
    verdict.retry.reset();  // the client has the head: another attempt cannot answer it
  }
  return verdict;
}

std::string upstreamFailureMessage(UpstreamErrorKind kind, std::string_view provider) {
  switch (kind) {
    case UpstreamErrorKind::kTimeout:
      return "provider '" + std::string(provider) + "' did not answer within request_timeout";
    case UpstreamErrorKind::kLocal:
      return "the gateway is out of local resources (open files) and could not open an "
             "upstream connection; the provider was not contacted";
    default:
      return "provider '" + std::string(provider) +
             "' failed: " + std::string(upstreamErrorKindName(kind));
  }
}

}  // namespace slotgate::gateway
