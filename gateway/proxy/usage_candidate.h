// Finds, by text alone, where the top-level `"usage"` member of a JSON object
// body probably is, so the usage parser can hand simdjson only the body's tail
// instead of the whole body (SPEC section 3, "Token usage").
//
// Every provider ends its non-streaming body with usage (at most a few short
// members follow it), so looking from the end finds it after a few bytes. The
// answer is a candidate, not a proof: the caller confirms it with a real
// parse of the tail (see usage_parser.cc) and falls back to a full parse when
// this returns npos or the confirmation fails. Pure functions, thread-safe.
#pragma once

#include <cstddef>
#include <string_view>

namespace slotgate::gateway {

// Offset of the '{' opening the value of the last `"usage"` key in `body`, or
// npos when the tail scan cannot vouch for it. Returns npos unless:
//  - the body's first and last non-space bytes are '{' and '}' (an object);
//  - `"usage"` appears in it, the last occurrence is not preceded by a
//    backslash (else it may be text inside a string) and is followed by
//    optional space, ':', optional space and '{';
//  - it is the only occurrence of `"usage"` (with a duplicate key the full
//    parse reads the first one).
// In valid JSON a `"usage"` whose first quote is not escaped is a string
// token, and followed by ':' it is a key; whether that key is a member of
// the top-level object is left to the caller's parse of the tail.
size_t lastUsageValueOffset(std::string_view body);

}  // namespace slotgate::gateway
