// Token usage read from upstream responses (SPEC section 3, "Token usage"), in the API format
// of the provider (conf::ProviderType).
// Neither parser throws; malformed input leaves usage.seen == false.
// Thread-safety: none; one parser per response, used on the request's worker.
// The simdjson parser is reused per thread (see usage_parser.cc).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "conf/config.h"
#include "gateway/proxy/sse_parser.h"
#include "metrics/token_usage.h"

namespace slotgate::gateway {

// Usage from a text/event-stream response.
// OpenAI: the `usage` object of any event (chat/completions chunks with
// stream_options.include_usage), or `response.usage` (Responses API
// response.completed); a later usage replaces the earlier one.
// Anthropic: message_start's `message.usage`, then message_delta's `usage`
// (output_tokens is cumulative; every field present overwrites).
// Events whose data has no "usage" member other than `"usage": null` (the content chunks of an
// OpenAI stream that asked for usage) are not JSON-parsed.
// feed() also counts the content events (gateway/proxy/content_event.h) completed by these bytes,
// for time to first token and chunk gaps.
class StreamUsageParser {
 public:
  explicit StreamUsageParser(conf::ProviderType format,
                             size_t max_event_bytes = SseParser::kDefaultMaxEventBytes);

  // Returns how many content events these bytes completed.
  size_t feed(std::string_view bytes);
  const metrics::TokenUsage& usage() const { return usage_; }
  size_t droppedEvents() const { return sse_.droppedEvents(); }

 private:
  void onEvent(std::string_view event, std::string_view data);

  conf::ProviderType format_;
  SseParser sse_;
  metrics::TokenUsage usage_;
  size_t content_events_ = 0;  // completed by the current feed()
  std::string scratch_;        // padded copy of one event's data for simdjson
};

// Usage from a non-streaming JSON body fed in chunks: the top-level `usage`
// object (chat, completions, embeddings, responses, messages). Keeps at most
// max_bytes of the body; past that it keeps only the last kTailBytes and
// finish() reads the last `"usage": {...}` object found there (usage comes at
// the end of every provider's response body).
class JsonUsageParser {
 public:
  static constexpr size_t kDefaultMaxBytes = 4 << 20;
  static constexpr size_t kTailBytes = 256 << 10;

  explicit JsonUsageParser(conf::ProviderType format, size_t max_bytes = kDefaultMaxBytes);
  ~JsonUsageParser();
  JsonUsageParser(JsonUsageParser&&) = default;
  JsonUsageParser& operator=(JsonUsageParser&&) = default;

  void feed(std::string_view bytes);
  // Parses what was kept. Call once, after the last feed().
  [[nodiscard]] metrics::TokenUsage finish();
  bool truncated() const { return overflowed_; }

 private:
  conf::ProviderType format_;
  size_t max_bytes_;
  std::string body_;  // in a spare buffer of the thread (spare_strings.h), given back when done
  bool overflowed_ = false;
};

}  // namespace slotgate::gateway
