// The data-plane routes of SPEC section 3.
#pragma once

#include <string_view>

#include "conf/config.h"
#include "gateway/proxy/api_error.h"

namespace slotgate::gateway {

enum class EndpointKind { kProxy, kListModels, kModelObject, kUnknownPath };

struct Endpoint {
  EndpointKind kind = EndpointKind::kUnknownPath;
  ApiFormat format = ApiFormat::kOpenAI;
  conf::ProviderType provider_type = conf::ProviderType::kOpenAI;
  std::string_view method;  // the one method the path accepts
  // Whether a request holds a client and a provider concurrency slot. count_tokens does not:
  // it generates nothing, so it is not what a concurrency limit protects.
  bool holds_slots = true;
  // OpenAI chat/completions and completions: streams send usage only when
  // stream_options.include_usage asks for it (gateway/proxy/stream_options.h).
  bool usage_on_request = false;
};

// The endpoint for a path, regardless of method. Pure.
Endpoint findEndpoint(std::string_view path);

// The prefix of GET /v1/models/{id}.
inline constexpr std::string_view kModelObjectPrefix = "/v1/models/";

}  // namespace slotgate::gateway
