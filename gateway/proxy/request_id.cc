#include "gateway/proxy/request_id.h"

#include <random>

namespace slotgate::gateway {
namespace {

bool saneId(const std::string& id) {
  if (id.empty() || id.size() > 128) {
    return false;
  }
  for (char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == ':' || c == '-';
    if (!ok) {
      return false;
    }
  }
  return true;
}

}  // namespace

std::string requestIdFor(const Headers& headers) {
  if (const std::string* given = findHeader(headers, "x-request-id"); given && saneId(*given)) {
    return *given;
  }
  thread_local std::mt19937_64 rng{std::random_device{}()};
  static constexpr char kHex[] = "0123456789abcdef";
  // Built in place and copied once: appending a byte at a time to a string
  // reallocates twice past its small-string capacity.
  char id[36] = {'r', 'e', 'q', '_'};
  size_t n = 4;
  for (int word = 0; word < 2; ++word) {
    uint64_t v = rng();
    for (int i = 0; i < 16; ++i) {
      id[n++] = kHex[v & 0xf];
      v >>= 4;
    }
  }
  return std::string(id, n);
}

}  // namespace slotgate::gateway
