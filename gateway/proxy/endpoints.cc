#include "gateway/proxy/endpoints.h"

namespace slotgate::gateway {

Endpoint findEndpoint(std::string_view path) {
  using conf::ProviderType;
  if (path == "/v1/chat/completions" || path == "/v1/completions") {
    return {.kind = EndpointKind::kProxy,
            .format = ApiFormat::kOpenAI,
            .provider_type = ProviderType::kOpenAI,
            .method = "POST",
            .usage_on_request = true};
  }
  if (path == "/v1/embeddings" || path == "/v1/responses") {
    return {.kind = EndpointKind::kProxy,
            .format = ApiFormat::kOpenAI,
            .provider_type = ProviderType::kOpenAI,
            .method = "POST"};
  }
  if (path == "/v1/messages") {
    return {.kind = EndpointKind::kProxy,
            .format = ApiFormat::kAnthropic,
            .provider_type = ProviderType::kAnthropic,
            .method = "POST"};
  }
  if (path == "/v1/messages/count_tokens") {
    return {.kind = EndpointKind::kProxy,
            .format = ApiFormat::kAnthropic,
            .provider_type = ProviderType::kAnthropic,
            .method = "POST",
            .holds_slots = false};
  }
  if (path == "/v1/models") {
    return {.kind = EndpointKind::kListModels,
            .format = ApiFormat::kOpenAI,
            .provider_type = ProviderType::kOpenAI,
            .method = "GET"};
  }
  if (path.substr(0, kModelObjectPrefix.size()) == kModelObjectPrefix) {
    return {.kind = EndpointKind::kModelObject,
            .format = ApiFormat::kOpenAI,
            .provider_type = ProviderType::kOpenAI,
            .method = "GET"};
  }
  return {.kind = EndpointKind::kUnknownPath,
          .format = apiFormatForPath(path),
          .provider_type = ProviderType::kOpenAI,
          .method = ""};
}

}  // namespace slotgate::gateway
