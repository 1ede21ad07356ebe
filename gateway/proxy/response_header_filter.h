// What of a provider's response head reaches the client (SPEC section 3): hop-by-hop fields,
// the provider's own request ids and any x-slotgate-* it sent are dropped; Content-Length is
// taken out to frame the body (the codec writes it, or chunks/frames when absent); slotgate's
// request id and the route taken (x-slotgate-provider/-model/-key) are added. Pure.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/downstream/http_message.h"
#include "gateway/proxy/api_error.h"
#include "gateway/upstream/upstream_exchange.h"

namespace slotgate::gateway {

// The (provider, provider model, key) a request went to: config names only, never a secret.
struct RouteNames {
  std::string_view provider;
  std::string_view provider_model;
  std::string_view key_id;
};

// The head as the client gets it.
struct ClientHead {
  Headers headers;
  std::optional<uint64_t> content_length;  // the provider's, when it sent a valid one
  bool event_stream = false;               // Content-Type text/event-stream: an SSE stream
};

// Sets `head` to what of `upstream` the client gets (names lower-cased). On Anthropic paths
// `request-id` is slotgate's request id too, not the provider's: the Anthropic SDKs read it.
// Entries of `head` are assigned in place, so a head reused from response to response keeps its
// strings' buffers and allocates nothing for a head like the ones before (issue 12).
void filterResponseHead(const std::vector<UpstreamHeader>& upstream, conf::ProviderType format,
                        std::string_view request_id, const RouteNames& route, ClientHead& head);

// x-slotgate-provider, -model and -key: on a proxied answer and on an error after a target
// was chosen.
void appendRouteHeaders(Headers& headers, const RouteNames& route);

}  // namespace slotgate::gateway
