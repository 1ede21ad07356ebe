#include "gateway/proxy/response_header_filter.h"

#include <cstdlib>

#include "gateway/downstream/ascii.h"
#include "gateway/proxy/upstream_head.h"

namespace slotgate::gateway {

namespace {

// Entry `n` of `headers` set to (name, value), reusing an entry (and its strings' buffers) left
// from an earlier head.
Header& assignEntry(Headers& headers, size_t n, std::string_view name, std::string_view value) {
  if (n == headers.size()) {
    headers.emplace_back();
  }
  Header& h = headers[n];
  h.name.assign(name);
  h.value.assign(value);
  return h;
}

size_t assignRouteHeaders(Headers& headers, size_t n, const RouteNames& route) {
  assignEntry(headers, n++, "x-slotgate-provider", route.provider);
  assignEntry(headers, n++, "x-slotgate-model", route.provider_model);
  assignEntry(headers, n++, "x-slotgate-key", route.key_id);
  return n;
}

}  // namespace

void filterResponseHead(const std::vector<UpstreamHeader>& upstream, conf::ProviderType format,
                        std::string_view request_id, const RouteNames& route, ClientHead& head) {
  head.content_length.reset();
  head.event_stream = false;
  const bool anthropic = format == conf::ProviderType::kAnthropic;
  size_t n = 0;
  for (const auto& u : upstream) {
    // Copied into entry n first (names lower-cased there); kept by moving n on.
    Header& h = assignEntry(head.headers, n, u.name, u.value);
    toAsciiLower(h.name);
    if (isHopByHop(h.name) || h.name == "x-request-id" || h.name.rfind("x-slotgate-", 0) == 0 ||
        (anthropic && h.name == "request-id")) {
      continue;
    }
    if (h.name == "content-length") {
      char* end = nullptr;
      const unsigned long long v = std::strtoull(h.value.c_str(), &end, 10);
      if (end != h.value.c_str() && *end == '\0') {
        head.content_length = v;
      }
      continue;
    }
    if (h.name == "content-type" && h.value.rfind("text/event-stream", 0) == 0) {
      head.event_stream = true;
    }
    ++n;
  }
  assignEntry(head.headers, n++, "x-request-id", request_id);
  if (anthropic) {
    assignEntry(head.headers, n++, "request-id", request_id);
  }
  n = assignRouteHeaders(head.headers, n, route);
  head.headers.resize(n);
}

void appendRouteHeaders(Headers& headers, const RouteNames& route) {
  assignRouteHeaders(headers, headers.size(), route);
}

}  // namespace slotgate::gateway
