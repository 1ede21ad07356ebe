// Builds the request head slotgate sends to a provider (SPEC section 3): the
// caller's headers minus hop-by-hop and auth ones, the provider key's auth
// header, Host, x-request-id and the rewritten body's length.
#pragma once

#include <string>

#include "conf/config.h"
#include "gateway/downstream/http_message.h"

namespace slotgate::gateway {

// Headers never forwarded in either direction (RFC 9110 section 7.6.1), plus
// the ones slotgate sets itself.
bool isHopByHop(std::string_view lower_name);

std::string buildUpstreamHead(const conf::Provider& provider, const conf::ProviderKey& key,
                              const IncomingRequest& request, const std::string& request_id,
                              size_t body_length);

}  // namespace slotgate::gateway
