// The data-plane routes of SPEC section 3: the route table every request is looked up in once,
// at the end of its headers.
#pragma once

#include <cstdint>
#include <string_view>

#include "conf/config.h"

namespace slotgate::routing {

enum class EndpointKind : uint8_t { kProxy, kListModels, kModelObject, kUnknownPath };

// One row of the route table. Requests keep a pointer to their row, not a copy (ProxyRequest's
// size is budgeted).
struct Endpoint {
  EndpointKind kind = EndpointKind::kUnknownPath;
  // Its number in the route table (1..): a request carries its route from the head to the
  // complete request in one byte (IncomingRequest::note). 0 for an unknown path.
  uint8_t id = 0;
  conf::ProviderType format = conf::ProviderType::kOpenAI;
  conf::ProviderType provider_type = conf::ProviderType::kOpenAI;
  // Whether a request holds a client and a provider concurrency slot. count_tokens does not:
  // it generates nothing, so it is not what a concurrency limit protects.
  bool holds_slots = true;
  // OpenAI chat/completions and completions: streams send usage only when
  // stream_options.include_usage asks for it (gateway/proxy/stream_options.h).
  bool usage_on_request = false;
  std::string_view method;  // the one method the path accepts
};

// The endpoint for a path, regardless of method: a row of the route table that lives as long
// as the process. Pure.
const Endpoint& findEndpoint(std::string_view path);
// The row numbered `id` by findEndpoint (Endpoint::id), or null for an id no row has. Pure.
const Endpoint* endpointById(uint8_t id);

// The API a path speaks, for the error format of any answer to it, routed or not:
// /v1/messages and every path under it (/v1/messages/count_tokens, and unknown ones such as
// /v1/messages/batches, whose 404 an Anthropic SDK must be able to read) speak Anthropic;
// everything else OpenAI. Pure.
conf::ProviderType apiFormatForPath(std::string_view path);

// The prefix of GET /v1/models/{id}.
inline constexpr std::string_view kModelObjectPrefix = "/v1/models/";

}  // namespace slotgate::routing
