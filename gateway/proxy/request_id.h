// x-request-id: kept when the client sent a sane one, else generated.
#pragma once

#include "gateway/downstream/http_message.h"
#include "metrics/request_id.h"

namespace slotgate::gateway {

// The client's x-request-id if it is 1..128 characters of [A-Za-z0-9._:-]
// (safe for logs and headers), else a new random id ("req_" and 32 hex digits). Thread-safe.
metrics::RequestId requestIdFor(const Headers& headers);

}  // namespace slotgate::gateway
