#include "gateway/proxy/request_id.h"

#include <random>

namespace slotgate::gateway {
namespace {

bool saneId(const std::string& id) {
  static_assert(metrics::RequestId::kMaxSize == 128);
  if (id.empty() || id.size() > metrics::RequestId::kMaxSize) {
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

metrics::RequestId requestIdFor(const Headers& headers) {
  if (const std::string* given = findHeader(headers, "x-request-id"); given && saneId(*given)) {
    return metrics::RequestId(*given);
  }
  thread_local std::mt19937_64 rng{std::random_device{}()};
  static constexpr char kHex[] = "0123456789abcdef";
  char id[36] = {'r', 'e', 'q', '_'};
  size_t n = 4;
  for (int word = 0; word < 2; ++word) {
    uint64_t v = rng();
    for (int i = 0; i < 16; ++i) {
      id[n++] = kHex[v & 0xf];
      v >>= 4;
    }
  }
  return metrics::RequestId(std::string_view(id, n));
}

}  // namespace slotgate::gateway
