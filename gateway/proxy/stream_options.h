// Asking an OpenAI stream for its usage (issue 14): OpenAI sends the final usage chunk of a
// chat/completions or completions stream only when the body sets
// `stream_options.include_usage`, which the SDKs do not by default. slotgate sets it upstream
// when the client did not, and removes the resulting usage-only chunk from the client's stream
// (gateway/proxy/usage_chunk_filter.h), so token counts are never missing and the client gets the
// stream it asked for.
//
// readStreamOptions records where `stream_options` is in the body during readBodyFields' one
// pass; rewriteUpstreamBody then applies the model rewrite and, when asked, the one edit that
// sets include_usage, leaving every other byte as the client sent it.
#pragma once

#include <simdjson.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace slotgate::gateway {

struct BodyFields;

// 12 bytes: it sits in BodyFields, which ProxyRequest holds (its size is budgeted).
struct StreamOptionsField {
  enum class Kind : uint8_t {
    kAbsent,  // no top-level stream_options
    kObject,  // an object: include_usage is set (or inserted) inside it
    kNull,    // `null`: replaced by an object
    kOther,   // anything slotgate does not edit: not an object, stream_options or include_usage
              // twice, an include_usage that is an object, an array or over 255 bytes, a body
              // over 4 GiB (the upstream judges such a body as sent)
  };
  Kind kind = Kind::kAbsent;
  bool asks_usage = false;    // include_usage is `true`: the client wants the usage chunk
  bool has_members = false;   // kObject: not `{}`
  uint8_t usage_length = 0;   // include_usage's value token; 0 when the object has none
  uint32_t value_offset = 0;  // kObject: its '{'; kNull: the `null` token
  uint32_t usage_offset = 0;  // kObject: include_usage's value token, when present
};

// Reads the top-level `stream_options` value; `base` is the start of the padded body the value
// points into (offsets are relative to it). A second top-level stream_options makes it kOther.
void readStreamOptions(simdjson::ondemand::value& value, const char* base, StreamOptionsField& out);

// True when asking for usage changes the body: a stream that does not already ask for it and
// whose stream_options slotgate can edit.
bool canAskForUsage(const BodyFields& fields);

// The body sent upstream: the `model` member replaced by `"model":` and `new_model` as a JSON
// string; with `ask_usage` (only when
// canAskForUsage) also `stream_options.include_usage` set to true: merged into an existing
// object (inserted first, or its value replaced), an object for `null`, or a new
// `"stream_options":{"include_usage":true}` member appended last. Every other byte is kept.
// Into `out`, replacing what it held (its buffer is kept: the caller passes a spare one).
void rewriteUpstreamBody(std::string_view body, const BodyFields& fields,
                         std::string_view new_model, bool ask_usage, std::string& out);
inline std::string rewriteUpstreamBody(std::string_view body, const BodyFields& fields,
                                       std::string_view new_model, bool ask_usage) {
  std::string out;
  rewriteUpstreamBody(body, fields, new_model, ask_usage, out);
  return out;
}

}  // namespace slotgate::gateway
