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
// the ones slotgate sets itself.
bool isHopByHop(std::string_view lower_name);

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
