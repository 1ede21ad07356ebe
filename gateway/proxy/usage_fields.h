// The members of a provider's usage object that carry token counts, in both APIs' spellings:
// one table for every reader of usage (the simdjson parser, the plain reader of
// plain_usage.h, and the sse_usage fuzz target's reference reader), so that they cannot come
// to disagree on which member means what.
#pragma once

#include <cstdint>
#include <string_view>

#include "metrics/token_usage.h"

namespace slotgate::gateway {

// The count `key` names in `u`, or nullptr for any other member: prompt_tokens (OpenAI) and
// input_tokens (Anthropic, Responses), completion_tokens and output_tokens, Anthropic's
// cache_read_input_tokens and cache_creation_input_tokens.
inline uint64_t* usageCountOf(metrics::TokenUsage& u, std::string_view key) {
  if (key == "prompt_tokens" || key == "input_tokens") {
    return &u.input_tokens;
  }
  if (key == "completion_tokens" || key == "output_tokens") {
    return &u.output_tokens;
  }
  if (key == "cache_read_input_tokens") {
    return &u.cache_read_tokens;
  }
  if (key == "cache_creation_input_tokens") {
    return &u.cache_creation_tokens;
  }
  return nullptr;
}

// OpenAI's prompt_tokens_details (Chat Completions) and input_tokens_details (Responses): an
// object whose kUsageCachedTokens member is the cache read.
inline bool isUsageDetails(std::string_view key) {
  return key == "prompt_tokens_details" || key == "input_tokens_details";
}
inline constexpr std::string_view kUsageCachedTokens = "cached_tokens";

}  // namespace slotgate::gateway
