#include "gateway/proxy/endpoints.h"

namespace slotgate::gateway {

Endpoint findEndpoint(std::string_view path) {
  using conf::ProviderType;
  if (path == "/v1/chat/completions" || path == "/v1/completions" || path == "/v1/embeddings" ||
      path == "/v1/responses") {
    return {EndpointKind::kProxy, ApiFormat::kOpenAI, ProviderType::kOpenAI, "POST"};
  }
  if (path == "/v1/messages") {
    return {EndpointKind::kProxy, ApiFormat::kAnthropic, ProviderType::kAnthropic, "POST"};
  }
  if (path == "/v1/messages/count_tokens") {
    return {EndpointKind::kProxy, ApiFormat::kAnthropic, ProviderType::kAnthropic, "POST",
            /*holds_slots=*/false};
  }
  if (path == "/v1/models") {
    return {EndpointKind::kListModels, ApiFormat::kOpenAI, ProviderType::kOpenAI, "GET"};
  }
  if (path.substr(0, kModelObjectPrefix.size()) == kModelObjectPrefix) {
    return {EndpointKind::kModelObject, ApiFormat::kOpenAI, ProviderType::kOpenAI, "GET"};
  }
  return {EndpointKind::kUnknownPath, apiFormatForPath(path), ProviderType::kOpenAI, ""};
}

}  // namespace slotgate::gateway
