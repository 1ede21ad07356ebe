// The data-plane routes of SPEC section 3.
#pragma once

#include <string_view>

#include "conf/config.h"
#include "gateway/api_error.h"

namespace slotgate::gateway {

enum class EndpointKind { kProxy, kListModels, kUnknownPath };

struct Endpoint {
  EndpointKind kind = EndpointKind::kUnknownPath;
  ApiFormat format = ApiFormat::kOpenAI;
  conf::ProviderType provider_type = conf::ProviderType::kOpenAI;
  std::string_view method;  // the one method the path accepts
};

// The endpoint for a path, regardless of method. Pure.
Endpoint findEndpoint(std::string_view path);

}  // namespace slotgate::gateway
