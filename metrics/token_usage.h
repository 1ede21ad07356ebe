// The tokens of one request as its provider reported them (SPEC section 3, "Token usage"): what
// the tracker, the running totals and the access line record. gateway/proxy/usage_parser.h reads
// them from responses.
//
// Values are kept as the provider reports them: OpenAI's input_tokens (prompt_tokens) includes
// cache_read_tokens (cached_tokens), Anthropic's input_tokens excludes cache reads and cache
// creation. Thread-safety: a value type.
#pragma once

#include <cstdint>

namespace slotgate::metrics {

struct TokenUsage {
  uint64_t input_tokens = 0;
  uint64_t output_tokens = 0;
  uint64_t cache_read_tokens = 0;
  uint64_t cache_creation_tokens = 0;
  bool seen = false;  // a usage object with at least one token count was found
  bool operator==(const TokenUsage&) const = default;
};

}  // namespace slotgate::metrics
