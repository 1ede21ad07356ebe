// Which events of a stream carry generated output (issue 14: time to first token and the gaps
// between content chunks are measured on these, not on the opening role chunk, pings or the
// closing usage and [DONE] events).
//
// OpenAI chat/completions and completions chunks (no event name): a chunk whose delta carries
// text (`content`, `text`, `refusal`, `reasoning_content` as a non-empty string) or a tool call
// (`tool_calls`, `function_call`). Events with a name (the Responses API): names ending in
// ".delta". Anthropic: `content_block_delta`. Byte-level checks, no JSON parse: a key name
// inside a content string is escaped (\"), so it cannot match.
// Pure functions; thread-safe.
#pragma once

#include <string_view>

#include "gateway/proxy/usage_parser.h"

namespace slotgate::gateway {

bool isContentEvent(conf::ProviderType format, std::string_view event, std::string_view data);

}  // namespace slotgate::gateway
