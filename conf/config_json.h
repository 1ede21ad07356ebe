// The running config as JSON for GET /admin/config (SPEC section 6), with
// every secret left out: provider key secrets, the admin token, client key
// digests and any password in a URL (the loader refuses one in redis.url;
// redacted anyway). The *_env names and all ids stay,
// so an operator can see where each secret comes from.
// Pure function over an immutable Config; thread-safe.
#pragma once

#include <string>

#include "conf/config.h"

namespace slotgate::conf {

// {"version", "loaded_at" (ISO 8601 UTC), "source_path", "server", "admin",
//  "redis" (or null), "providers", "models", "clients", "routing", "strict_aliases"}.
[[nodiscard]] std::string configJson(const Config& config);

// url with any userinfo password replaced by "REDACTED" ("redis://:REDACTED@h:6379/0").
[[nodiscard]] std::string redactUrlPassword(const std::string& url);

}  // namespace slotgate::conf
