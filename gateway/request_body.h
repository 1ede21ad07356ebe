// Reading and rewriting an LLM API request body (SPEC section 3): `model` and
// `stream` are read without building a DOM, and only `model` is replaced.
#pragma once

#include <string>
#include <string_view>

namespace slotgate::gateway {

struct BodyFields {
  bool ok = false;          // JSON object with a string `model`
  std::string error;        // why not, for the 400 message (no body content in it)
  std::string model;        // unescaped
  bool stream = false;      // `stream: true`
  size_t model_offset = 0;  // byte range of the model's JSON string token (quotes included)
  size_t model_length = 0;
};

// Parses `body` (any size; simdjson needs a padded copy, made here). Thread-safe.
BodyFields readBodyFields(std::string_view body);

// `body` with the model token replaced by `new_model` as a JSON string.
std::string rewriteModel(std::string_view body, const BodyFields& fields,
                         std::string_view new_model);

}  // namespace slotgate::gateway
