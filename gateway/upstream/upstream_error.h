// How an upstream (gateway -> provider) exchange failed: the kind decides retries, breaker
// counting and the error answered to the client.
//
// Thread-safety: value types and pure functions.
#pragma once

#include <string>
#include <string_view>

namespace slotgate::gateway {

enum class UpstreamErrorKind {
  kConnect,   // DNS failure, refused, unreachable, connect (or TLS handshake) timeout
  kTls,       // handshake or certificate verification failure
  kTimeout,   // UpstreamRequest::timeout passed (whole request or between chunks)
  kProtocol,  // unparseable or ambiguous response (bad framing, 1xx with a body, 101, ...)
  kClosed,    // connection closed or reset before/while the response
  // The gateway itself ran out of something (descriptors, memory, local ports) before the
  // upstream was reached: never the provider's fault, so no breaker counts it.
  kLocal,
};

[[nodiscard]] std::string_view upstreamErrorKindName(UpstreamErrorKind kind);

// errno values of socket()/connect() that say this host is out of a resource (EMFILE, ENFILE,
// ENOBUFS, ENOMEM, EADDRNOTAVAIL: no local port left), not that the peer failed.
[[nodiscard]] bool isLocalResourceError(int error);

struct UpstreamError {
  UpstreamErrorKind kind = UpstreamErrorKind::kClosed;
  std::string detail;             // human readable; never holds request headers (auth) or bodies
  bool response_started = false;  // some response byte was received
};

}  // namespace slotgate::gateway
