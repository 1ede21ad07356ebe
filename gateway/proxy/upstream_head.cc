#include "gateway/proxy/upstream_head.h"

#include <algorithm>

#include "gateway/downstream/ascii.h"

namespace slotgate::gateway {

bool isHopByHop(std::string_view n) {
  return n == "connection" || n == "keep-alive" || n == "proxy-connection" ||
         n == "transfer-encoding" || n == "te" || n == "trailer" || n == "upgrade" ||
         n == "proxy-authorization" || n == "proxy-authenticate" || n == "http2-settings";
}

namespace {

// Replaced by slotgate: the caller's credentials, framing and identity headers.
bool isReplaced(std::string_view n) {
  return n == "authorization" || n == "x-api-key" || n == "host" || n == "content-length" ||
         n == "expect" || n == "x-request-id";
}

}  // namespace

void buildUpstreamHead(const conf::Provider& provider, const conf::ProviderKey& key,
                       const IncomingRequest& request, std::string_view request_id,
                       size_t body_length, std::string& head) {
  head.clear();
  head.reserve(512 + request.headers.size() * 48);
  head += request.method;
  head += ' ';
  head += provider.url.path_prefix;
  head += request.path;
  if (!request.query.empty()) {
    head += '?';
    head += request.query;
  }
  head += " HTTP/1.1\r\nhost: ";
  head += provider.url.host_header;
  head += "\r\n";
  bool has_anthropic_version = false;
  const std::string* connection = findHeader(request.headers, "connection");
  for (const auto& h : request.headers) {
    if (isHopByHop(h.name) || isReplaced(h.name) ||
        (connection != nullptr && listHasToken(*connection, h.name))) {
      continue;
    }
    has_anthropic_version |= h.name == "anthropic-version";
    head += h.name;
    head += ": ";
    head += h.value;
    head += "\r\n";
  }
  if (provider.type == conf::ProviderType::kAnthropic) {
    head += "x-api-key: ";
    head += key.secret;
    head += "\r\n";
    if (!has_anthropic_version) {
      // The API refuses requests without it; SDKs always send one, curl users may not.
      head += "anthropic-version: 2023-06-01\r\n";
    }
  } else {
    head += "authorization: Bearer ";
    head += key.secret;
    head += "\r\n";
  }
  head += "x-request-id: ";
  head += request_id;
  head += "\r\ncontent-length: ";
  head += std::to_string(body_length);
  head += "\r\n\r\n";
}

}  // namespace slotgate::gateway
