// Reads a non-streaming body's closing usage object by hand when it has the plain shape every
// provider sends: an object of unsigned integer counts and of flat objects of such counts
// (OpenAI's prompt_tokens_details), closing the body's outermost object. simdjson costs ~3k
// instructions for the same ~200 bytes (its stage 1 setup, on-demand iteration); this is one
// pass over them. Anything outside that shape (in usage: strings, floats, signs, nulls, arrays,
// deeper nesting; anywhere: escapes, non-ASCII, a count over 19 digits; after usage: members
// with other than a plain string, count, null or boolean value) is left to the simdjson path,
// which judges it as before, so the two agree wherever this one answers (the sse_usage fuzz
// target holds it to that). Pure, thread-safe.
#pragma once

#include <string_view>

#include "metrics/token_usage.h"

namespace slotgate::gateway {

// `tail` runs from the '{' opening the usage value (usage_candidate.h's lastUsageValueOffset)
// to the body's end. True, with `out` set as readUsageObject would (usage_parser.cc: every
// count present overwrites; seen), when the object has the plain shape, holds at least one
// count and is followed only by plain members, the closing '}' of the body and space. False,
// `out` untouched, otherwise.
[[nodiscard]] bool readPlainUsage(std::string_view tail, metrics::TokenUsage& out);

}  // namespace slotgate::gateway
