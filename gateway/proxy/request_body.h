// Reading and rewriting an LLM API request body (SPEC section 3): `model` and
// `stream` are read without building a DOM; only `model` is replaced (and, for usage,
// `stream_options.include_usage`: gateway/proxy/stream_options.h).
//
// The body must be unambiguous, because the gateway decides policy on what it
// reads while the provider acts on what it parses: a top level that is not
// one object, content after it, or a top-level key given twice (compared
// after unescaping, so "mo\u0064el" is "model") is refused. Otherwise a
// caller could have the gateway check the first `model` while the provider
// takes the last.
#pragma once

#include <string>
#include <string_view>

#include "gateway/proxy/stream_options.h"

namespace slotgate::gateway {

struct BodyFields {
  bool ok = false;                    // JSON object with a string `model`
  std::string error;                  // why not, for the 400 message (no body content in it)
  std::string model;                  // unescaped
  bool stream = false;                // `stream: true`
  StreamOptionsField stream_options;  // where stream_options is (gateway/proxy/stream_options.h)
  // Byte range of the `model` member, from its key's opening quote to its
  // value's closing quote.
  size_t model_offset = 0;
  size_t model_length = 0;
};

// Parses `body` (any size; simdjson needs a padded copy, made here) in one
// pass over the top-level fields. Thread-safe.
BodyFields readBodyFields(std::string_view body);

// `body` with its `model` member replaced by `"model":` and `new_model` as a
// JSON string (a key written with escapes comes out plain). The body has
// exactly one `model` (readBodyFields refuses duplicates). rewriteUpstreamBody without
// asking for usage.
std::string rewriteModel(std::string_view body, const BodyFields& fields,
                         std::string_view new_model);

}  // namespace slotgate::gateway
