#include "gateway/proxy/response_header_filter.h"

#include <cstdint>
#include <cstdlib>
#include <optional>

#include "gateway/downstream/ascii.h"
#include "gateway/proxy/upstream_head.h"

namespace slotgate::gateway {

namespace {

// Entry `n` of `headers`, appended when the list is that short: an entry left from an earlier
// head keeps its strings' buffers.
inline Header& entryAt(Headers& headers, size_t n) {
  if (n == headers.size()) {
    headers.emplace_back();
  }
  return headers[n];
}

// Entry `n` of `headers` set to (name, value). The names set here are slotgate's own and come
// at the same places response after response: a name already there is not assigned again.
inline void assignEntry(Headers& headers, size_t n, std::string_view name, std::string_view value) {
  Header& h = entryAt(headers, n);
  if (std::string_view(h.name) != name) {
    h.name.assign(name);
  }
  h.value.assign(value);
}

size_t assignRouteHeaders(Headers& headers, size_t n, const RouteNames& route) {
  assignEntry(headers, n++, "x-slotgate-provider", route.provider);
  assignEntry(headers, n++, "x-slotgate-model", route.provider_model);
  assignEntry(headers, n++, "x-slotgate-key", route.key_id);
  return n;
}

enum class ProviderHeader { kForward, kDrop, kContentLength, kContentType };

// What becomes of a provider's header (name lower-case): by length first, names of a known
// length compared as whole words inline.
ProviderHeader classifyProviderHeader(std::string_view n, bool anthropic) {
  constexpr std::string_view kSlotgatePrefix = "x-slotgate-";
  if (n.size() >= kSlotgatePrefix.size() &&
      n.substr(0, kSlotgatePrefix.size()) == kSlotgatePrefix) {
    return ProviderHeader::kDrop;
  }
  switch (n.size()) {
    case 10:
      if (n == "request-id") {
        return anthropic ? ProviderHeader::kDrop : ProviderHeader::kForward;
      }
      break;
    case 12:
      if (n == "content-type") {
        return ProviderHeader::kContentType;
      }
      if (n == "x-request-id") {
        return ProviderHeader::kDrop;
      }
      break;
    case 14:
      if (n == "content-length") {
        return ProviderHeader::kContentLength;
      }
      break;
    default:
      break;
  }
  return isHopByHop(n) ? ProviderHeader::kDrop : ProviderHeader::kForward;
}

// strtoull's reading of `value` (base 10, the whole string), when it is a number at all.
std::optional<uint64_t> contentLengthOf(const std::string& value) {
  // 1 to 19 digits (the upstream parser lets no other Content-Length through): read here,
  // without strtoull's locale and sign handling. Anything else goes to strtoull as before.
  const size_t size = value.size();
  if (size > 0 && size < 20) {
    uint64_t v = 0;
    size_t i = 0;
    for (; i < size; ++i) {
      const unsigned d = static_cast<unsigned char>(value[i]) - '0';
      if (d > 9) {
        break;
      }
      v = v * 10 + d;
    }
    if (i == size) {
      return v;
    }
  }
  char* end = nullptr;
  const unsigned long long v = std::strtoull(value.c_str(), &end, 10);
  if (end != value.c_str() && *end == '\0') {
    return v;
  }
  return std::nullopt;
}

}  // namespace

void filterResponseHead(const std::vector<UpstreamHeader>& upstream, conf::ProviderType format,
                        std::string_view request_id, const RouteNames& route, ClientHead& head) {
  head.content_length.reset();
  head.event_stream = false;
  const bool anthropic = format == conf::ProviderType::kAnthropic;
  size_t n = 0;
  for (const auto& u : upstream) {
    // The name goes into entry n lower-cased and is judged there; the value is copied only
    // when the field is kept (kept by moving n on).
    Header& h = entryAt(head.headers, n);
    h.name.clear();
    appendAsciiLower(h.name, u.name);
    switch (classifyProviderHeader(h.name, anthropic)) {
      case ProviderHeader::kDrop:
        continue;
      case ProviderHeader::kContentLength:
        if (const std::optional<uint64_t> v = contentLengthOf(u.value)) {
          head.content_length = v;
        }
        continue;
      case ProviderHeader::kContentType:
        if (u.value.rfind("text/event-stream", 0) == 0) {
          head.event_stream = true;
        }
        break;
      case ProviderHeader::kForward:
        break;
    }
    h.value.assign(u.value);
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
