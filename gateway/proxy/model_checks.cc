#include "gateway/proxy/model_checks.h"

#include <chrono>

#include "gateway/proxy/auth.h"
#include "routing/target_chooser.h"

namespace slotgate::gateway {

alias::Resolution resolveModel(const ConfigSnapshot& snapshot, const std::string& model) {
  using Clock = std::chrono::steady_clock;
  const auto t0 = Clock::now();
  alias::Resolution resolution = snapshot.resolver().resolve(model);
  const std::chrono::nanoseconds took = Clock::now() - t0;
  auto& series = snapshot.series();
  const auto method = static_cast<size_t>(resolution.method);
  series.aliasResolution(method, resolution.cache_hit).Increment();
  series.aliasDuration(method).observe(took);
  return resolution;
}

std::optional<Refusal> checkModel(const conf::Config& config, const conf::Client& client,
                                  const std::string& model, const alias::Resolution& resolution,
                                  const routing::Endpoint& endpoint, std::string_view path) {
  using metrics::ErrorType;
  if (resolution.model == nullptr) {
    return Refusal{ErrorType::kModelNotFound, "model '" + model + "' not found"};
  }
  const std::string& name = resolution.model->name;
  if (!clientMayUse(client, name)) {
    return Refusal{ErrorType::kModelNotAllowed, "model '" + name + "' is not allowed for this key"};
  }
  if (!routing::modelSpeaks(config, *resolution.model, endpoint.provider_type)) {
    const std::string_view api =
        endpoint.provider_type == conf::ProviderType::kAnthropic ? "anthropic" : "openai";
    return Refusal{ErrorType::kInvalidRequest, "model '" + name + "' has no " + std::string(api) +
                                                   " target for path " + std::string(path)};
  }
  return std::nullopt;
}

}  // namespace slotgate::gateway
