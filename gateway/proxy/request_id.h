// x-request-id: kept when the client sent a sane one, else generated.
#pragma once

#include <string>

#include "gateway/downstream/http_message.h"

namespace slotgate::gateway {

// The client's x-request-id if it is 1..128 characters of [A-Za-z0-9._:-]
// (safe for logs and headers), else a new random id. Thread-safe.
std::string requestIdFor(const Headers& headers);

}  // namespace slotgate::gateway
