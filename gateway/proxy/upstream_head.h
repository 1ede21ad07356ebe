// Builds the request head slotgate sends to a provider (SPEC section 3): the
// caller's headers minus hop-by-hop and auth ones, the provider key's auth
// header, Host, x-request-id and the rewritten body's length.
#pragma once

#include <string>
#include <string_view>

#include "conf/config.h"
#include "gateway/downstream/http_message.h"

namespace slotgate::gateway {

// Headers never forwarded in either direction (RFC 9110 section 7.6.1), plus
// the ones slotgate sets itself. Inline: asked for every header of every request and response.
inline bool isHopByHop(std::string_view n) {
  // By length first: most names are ruled out without a byte compared, and a name of a known
  // length is compared as whole words, inline.
  switch (n.size()) {
    case 2:
      return n == "te";
    case 7:
      return n == "trailer" || n == "upgrade";
    case 10:
      return n == "connection" || n == "keep-alive";
    case 14:
      return n == "http2-settings";
    case 16:
      return n == "proxy-connection";
    case 17:
      return n == "transfer-encoding";
    case 18:
      return n == "proxy-authenticate";
    case 19:
      return n == "proxy-authorization";
    default:
      return false;
  }
}

// Into `head`, replacing what it held (its buffer is kept: the caller passes a spare one).
void buildUpstreamHead(const conf::Provider& provider, const conf::ProviderKey& key,
                       const IncomingRequest& request, std::string_view request_id,
                       size_t body_length, std::string& head);
inline std::string buildUpstreamHead(const conf::Provider& provider, const conf::ProviderKey& key,
                                     const IncomingRequest& request, std::string_view request_id,
                                     size_t body_length) {
  std::string head;
  buildUpstreamHead(provider, key, request, request_id, body_length, head);
  return head;
}

}  // namespace slotgate::gateway
