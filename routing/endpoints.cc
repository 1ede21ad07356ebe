#include "routing/endpoints.h"

#include <array>

namespace slotgate::routing {
namespace {

using conf::ProviderType;

// The routes, row id - 1.
constexpr std::array<Endpoint, 6> kRoutes = {{
    {.kind = EndpointKind::kProxy,  // chat/completions, completions
     .id = 1,
     .format = ProviderType::kOpenAI,
     .provider_type = ProviderType::kOpenAI,
     .usage_on_request = true,
     .method = "POST"},
    {.kind = EndpointKind::kProxy,  // embeddings, responses
     .id = 2,
     .format = ProviderType::kOpenAI,
     .provider_type = ProviderType::kOpenAI,
     .method = "POST"},
    {.kind = EndpointKind::kProxy,  // messages
     .id = 3,
     .format = ProviderType::kAnthropic,
     .provider_type = ProviderType::kAnthropic,
     .method = "POST"},
    {.kind = EndpointKind::kProxy,  // messages/count_tokens
     .id = 4,
     .format = ProviderType::kAnthropic,
     .provider_type = ProviderType::kAnthropic,
     .holds_slots = false,
     .method = "POST"},
    {.kind = EndpointKind::kListModels,
     .id = 5,
     .format = ProviderType::kOpenAI,
     .provider_type = ProviderType::kOpenAI,
     .method = "GET"},
    {.kind = EndpointKind::kModelObject,
     .id = 6,
     .format = ProviderType::kOpenAI,
     .provider_type = ProviderType::kOpenAI,
     .method = "GET"},
}};

// Unknown paths: no route, but an error format (apiFormatForPath).
constexpr Endpoint kUnknownOpenAI{
    .kind = EndpointKind::kUnknownPath, .format = ProviderType::kOpenAI, .method = ""};
constexpr Endpoint kUnknownAnthropic{
    .kind = EndpointKind::kUnknownPath, .format = ProviderType::kAnthropic, .method = ""};

}  // namespace

conf::ProviderType apiFormatForPath(std::string_view path) {
  constexpr std::string_view kMessages = "/v1/messages";
  const bool anthropic = path.substr(0, kMessages.size()) == kMessages &&
                         (path.size() == kMessages.size() || path[kMessages.size()] == '/');
  return anthropic ? conf::ProviderType::kAnthropic : conf::ProviderType::kOpenAI;
}

const Endpoint& findEndpoint(std::string_view path) {
  if (path == "/v1/chat/completions" || path == "/v1/completions") {
    return kRoutes[0];
  }
  if (path == "/v1/embeddings" || path == "/v1/responses") {
    return kRoutes[1];
  }
  if (path == "/v1/messages") {
    return kRoutes[2];
  }
  if (path == "/v1/messages/count_tokens") {
    return kRoutes[3];
  }
  if (path == "/v1/models") {
    return kRoutes[4];
  }
  if (path.substr(0, kModelObjectPrefix.size()) == kModelObjectPrefix) {
    return kRoutes[5];
  }
  return apiFormatForPath(path) == ProviderType::kAnthropic ? kUnknownAnthropic : kUnknownOpenAI;
}

const Endpoint* endpointById(uint8_t id) {
  return id >= 1 && id <= kRoutes.size() ? &kRoutes[id - 1] : nullptr;
}

}  // namespace slotgate::routing
