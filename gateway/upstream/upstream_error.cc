#include "gateway/upstream/upstream_error.h"

#include <cerrno>

namespace slotgate::gateway {

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
