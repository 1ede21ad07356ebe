// GET /v1/models and GET /v1/models/{id} (SPEC section 3): the names a client may use, which
// are every global model its `models` globs allow and that model's aliases, in OpenAI's list
// and model-object formats. Both answers list exactly the same names, so a name the list shows
// is one retrieve() finds and nothing else is. Pure; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "conf/config.h"

namespace slotgate::gateway {

// {"object":"list","data":[<model object>...]} in config order.
std::string modelListBody(const conf::Config& config, const conf::Client& client);

// {"id","object":"model","created":0,"owned_by":"slotgate"} when `id` is a name the client
// may use; nullopt otherwise (the caller answers 404 model_not_found).
std::optional<std::string> modelObjectBody(const conf::Config& config, const conf::Client& client,
                                           std::string_view id);

// The {id} of a /v1/models/{id} path, percent-decoded (SDKs encode ids that hold '/' or ':');
// nullopt when the rest of the path is empty or not valid percent-encoding.
std::optional<std::string> modelIdFromPath(std::string_view path);

}  // namespace slotgate::gateway
