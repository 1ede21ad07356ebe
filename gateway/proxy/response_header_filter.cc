#include "gateway/proxy/response_header_filter.h"

#include <cstdlib>

#include "gateway/downstream/ascii.h"
#include "gateway/proxy/upstream_head.h"

namespace slotgate::gateway {

ClientHead filterResponseHead(std::vector<UpstreamHeader>&& upstream, conf::ProviderType format,
                              const std::string& request_id, const RouteNames& route) {
  ClientHead head;
  head.headers.reserve(upstream.size() + 5);
  const bool anthropic = format == conf::ProviderType::kAnthropic;
  for (auto& h : upstream) {
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
    head.headers.push_back({std::move(h.name), std::move(h.value)});
  }
  head.headers.push_back({"x-request-id", request_id});
  if (anthropic) {
    head.headers.push_back({"request-id", request_id});
  }
  appendRouteHeaders(head.headers, route);
  return head;
}

void appendRouteHeaders(Headers& headers, const RouteNames& route) {
  headers.push_back({"x-slotgate-provider", std::string(route.provider)});
  headers.push_back({"x-slotgate-model", std::string(route.provider_model)});
  headers.push_back({"x-slotgate-key", std::string(route.key_id)});
}

}  // namespace slotgate::gateway
