// What a proxied request's model must pass before the request asks for a slot (SPEC section 3,
// after auth and the body): it resolves (404 model_not_found; each resolution counted and
// timed by method), the client's model globs allow it (403 model_not_allowed), and one of its
// targets speaks the path's API (400 invalid_request). Loop-thread only (the resolver is
// thread-safe; the metrics are the snapshot's).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "alias/resolution.h"
#include "gateway/config_snapshot.h"
#include "metrics/error_type.h"
#include "routing/endpoints.h"

namespace slotgate::gateway {

// Why a request is answered by slotgate itself: its error and the message for the client
// (config names only, never a secret).
struct Refusal {
  metrics::ErrorType error;
  std::string message;
};

// Resolves `model` through the snapshot's aliases, recording the resolution's metrics.
alias::Resolution resolveModel(const ConfigSnapshot& snapshot, const std::string& model);

// Whether `client` may send `resolution`'s model on `endpoint` (the request's `path`): nullopt,
// or why not, the checks in the order above.
std::optional<Refusal> checkModel(const conf::Config& config, const conf::Client& client,
                                  const std::string& model, const alias::Resolution& resolution,
                                  const routing::Endpoint& endpoint, std::string_view path);

}  // namespace slotgate::gateway
