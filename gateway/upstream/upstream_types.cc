#include "gateway/upstream/upstream_types.h"

#include <cerrno>

namespace slotgate::gateway {

std::string UpstreamOrigin::poolKey() const {
  std::string key = tls ? "https://" : "http://";
  const bool ipv6_literal = host.find(':') != std::string::npos;
  if (ipv6_literal) {
    key += '[';
  }
  key += host;
  if (ipv6_literal) {
    key += ']';
  }
  key += ':';
  key += std::to_string(port);
  return key;
}

std::string_view upstreamErrorKindName(UpstreamErrorKind kind) {
  switch (kind) {
    case UpstreamErrorKind::kConnect:
      return "connect";
    case UpstreamErrorKind::kTls:
      return "tls";
    case UpstreamErrorKind::kTimeout:
      return "timeout";
    case UpstreamErrorKind::kProtocol:
      return "protocol";
    case UpstreamErrorKind::kClosed:
      return "closed";
    case UpstreamErrorKind::kLocal:
      return "local_resource";
  }
  return "unknown";
}

bool isLocalResourceError(int error) {
  return error == EMFILE || error == ENFILE || error == ENOBUFS || error == ENOMEM ||
         error == EADDRNOTAVAIL;
}

}  // namespace slotgate::gateway
