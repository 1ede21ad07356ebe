#include "gateway/proxy/upstream_head.h"

#include <charconv>
#include <cstring>
#include <limits>

#include "gateway/downstream/ascii.h"

namespace slotgate::gateway {

namespace {

enum class CallerHeader { kForward, kDrop, kAnthropicVersion };

// What becomes of a caller's header (name lower-case): the ones slotgate replaces (the caller's
// credentials, framing and identity headers) and hop-by-hop ones (isHopByHop, the one list of
// those) are dropped. One switch on the length, each name compared as whole words inline: a
// std::string compared with a literal calls memcmp with the shorter length, and this runs for
// every header.
CallerHeader classifyCallerHeader(std::string_view n) {
  bool replaced = false;
  switch (n.size()) {
    case 4:
      replaced = n == "host";
      break;
    case 6:
      replaced = n == "expect";
      break;
    case 9:
      replaced = n == "x-api-key";
      break;
    case 12:
      replaced = n == "x-request-id";
      break;
    case 13:
      replaced = n == "authorization";
      break;
    case 14:
      replaced = n == "content-length";
      break;
    case 17:
      if (n == "anthropic-version") {
        return CallerHeader::kAnthropicVersion;
      }
      break;
    default:
      break;
  }
  return replaced || isHopByHop(n) ? CallerHeader::kDrop : CallerHeader::kForward;
}

// Copies `s` to `out` and returns the end of the copy.
char* put(char* out, std::string_view s) {
  std::memcpy(out, s.data(), s.size());
  return out + s.size();
}

constexpr std::string_view kAnthropicVersion = "anthropic-version: 2023-06-01\r\n";

}  // namespace

void buildUpstreamHead(const conf::Provider& provider, const conf::ProviderKey& key,
                       const IncomingRequest& request, std::string_view request_id,
                       size_t body_length, std::string& head) {
  // Written in place into a buffer sized for the longest head these inputs can give (every
  // caller header kept, an anthropic-version added), then cut to what was written: one
  // resize instead of a capacity check per piece.
  const std::string* connection = nullptr;
  size_t caller_headers = 0;
  for (const auto& h : request.headers) {
    if (connection == nullptr && std::string_view(h.name) == "connection") {
      connection = &h.value;
    }
    caller_headers += h.name.size() + h.value.size() + 4;
  }
  const std::string_view auth_name = provider.type == conf::ProviderType::kAnthropic
                                         ? std::string_view("x-api-key: ")
                                         : std::string_view("authorization: Bearer ");
  const size_t longest = request.method.size() + 1 + provider.url.path_prefix.size() +
                         request.path.size() + 1 + request.query.size() + 17 +
                         provider.url.host_header.size() + 2 + caller_headers + auth_name.size() +
                         key.secret.size() + 2 + kAnthropicVersion.size() + 14 + request_id.size() +
                         18 + std::numeric_limits<size_t>::digits10 + 1 + 4;
  head.resize(longest);
  char* const begin = head.data();
  char* w = begin;
  w = put(w, request.method);
  *w++ = ' ';
  w = put(w, provider.url.path_prefix);
  w = put(w, request.path);
  if (!request.query.empty()) {
    *w++ = '?';
    w = put(w, request.query);
  }
  w = put(w, " HTTP/1.1\r\nhost: ");
  w = put(w, provider.url.host_header);
  w = put(w, "\r\n");
  bool has_anthropic_version = false;
  for (const auto& h : request.headers) {
    const CallerHeader kind = classifyCallerHeader(h.name);
    if (kind == CallerHeader::kDrop ||
        (connection != nullptr && listHasToken(*connection, h.name))) {
      continue;
    }
    has_anthropic_version |= kind == CallerHeader::kAnthropicVersion;
    w = put(w, h.name);
    w = put(w, ": ");
    w = put(w, h.value);
    w = put(w, "\r\n");
  }
  w = put(w, auth_name);
  w = put(w, key.secret);
  w = put(w, "\r\n");
  if (provider.type == conf::ProviderType::kAnthropic && !has_anthropic_version) {
    // The API refuses requests without it; SDKs always send one, curl users may not.
    w = put(w, kAnthropicVersion);
  }
  w = put(w, "x-request-id: ");
  w = put(w, request_id);
  w = put(w, "\r\ncontent-length: ");
  w = std::to_chars(w, begin + longest, body_length).ptr;
  w = put(w, "\r\n\r\n");
  head.resize(static_cast<size_t>(w - begin));
}

}  // namespace slotgate::gateway
