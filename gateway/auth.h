// Client authentication (SPEC section 3): the key from `Authorization: Bearer`
// or `x-api-key`, hashed with SHA-256 and compared in constant time against
// every client's digest. Keys are never stored or compared in plain text.
#pragma once

#include <cstddef>
#include <cstdint>

#include "conf/config.h"
#include "gateway/http_message.h"

namespace slotgate::gateway {

inline constexpr size_t kNoClient = SIZE_MAX;

// The index of the client whose key the request presents, or kNoClient.
// Thread-safe. Time does not depend on which client (if any) matched.
size_t authenticate(const conf::Config& config, const Headers& headers);

// Whether `model_name` is in the client's `models` globs.
bool clientMayUse(const conf::Client& client, const std::string& model_name);

}  // namespace slotgate::gateway
