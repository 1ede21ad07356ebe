#include "gateway/upstream/upstream_origin.h"

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

}  // namespace slotgate::gateway
