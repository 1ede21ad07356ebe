// The request headers of an Anthropic client, shared by the integration tests of the
// /v1/messages surface.
#pragma once

#include <string>

#include "tests/integration/harness.h"

namespace slotgate::testing {

// JSON, anthropic-version and x-api-key `key` (none when `key` is empty), then `extra`.
inline Headers anthropicHeaders(const std::string& key, const Headers& extra = {}) {
  Headers headers = {{"Content-Type", "application/json"}, {"anthropic-version", "2023-06-01"}};
  if (!key.empty()) {
    headers.emplace_back("x-api-key", key);
  }
  headers.insert(headers.end(), extra.begin(), extra.end());
  return headers;
}

}  // namespace slotgate::testing
