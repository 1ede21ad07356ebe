// Response bodies and SSE events in the official OpenAI / Anthropic shapes.
//
// Deterministic usage (the integration tests assert these exact numbers):
//   input tokens                      = kInputTokens (10)
//   cached input tokens / cache_read  = kCachedTokens (2)
//   cache_creation_input_tokens       = kCacheCreationTokens (1, Anthropic only)
//   output tokens                     = number of content chunks (streams),
//                                       kNonStreamOutputTokens (5) otherwise, 0 for embeddings
// The Anthropic message_start event carries output_tokens 1 like the real API; the final,
// cumulative count is in message_delta.
//
// All functions append to `out` so a caller can reuse one buffer; pure and thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "tests/mock_provider/api.h"

namespace slotgate::mock {

inline constexpr int kInputTokens = 10;
inline constexpr int kCachedTokens = 2;
inline constexpr int kCacheCreationTokens = 1;
inline constexpr int kNonStreamOutputTokens = 5;

struct ResponseContext {
  ApiPath path = ApiPath::kChatCompletions;
  std::string_view model;
  uint64_t id = 0;
  int64_t created = 0;
  bool includeUsage = false;  // OpenAI stream_options.include_usage
  int embeddingInputs = 1;
};

// Appends `text` JSON-escaped (without quotes).
void appendJsonEscaped(std::string& out, std::string_view text);

// A complete non-stream body; the message text is padded with `padBytes` extra characters.
void appendNonStreamBody(std::string& out, const ResponseContext& ctx, size_t padBytes);

// The error body for `status` in the format of `path` (OpenAI or Anthropic).
void appendErrorBody(std::string& out, ApiPath path, int status, std::string_view message);

// Events sent with the response headers (role chunk; message_start + content_block_start +
// ping; response.created).
void appendStreamHead(std::string& out, const ResponseContext& ctx);
// Content chunk number `index` (0-based).
void appendStreamChunk(std::string& out, const ResponseContext& ctx, int index);
// Events after the last content chunk, ending with [DONE] / message_stop / response.completed.
void appendStreamTail(std::string& out, const ResponseContext& ctx, int chunks);

}  // namespace slotgate::mock
