#include "gateway/upstream/upstream_origin.h"

#include <charconv>

namespace slotgate::gateway {

std::string UpstreamOrigin::poolKey() const {
  std::string key;
  appendPoolKey(key);
  return key;
}

void UpstreamOrigin::appendPoolKey(std::string& out) const {
  out += tls ? "https://" : "http://";
  const bool ipv6_literal = host.find(':') != std::string::npos;
  if (ipv6_literal) {
    out += '[';
  }
  out += host;
  if (ipv6_literal) {
    out += ']';
  }
  out += ':';
  char digits[8];
  const auto end = std::to_chars(digits, digits + sizeof digits, port).ptr;
  out.append(digits, end);
}

}  // namespace slotgate::gateway
