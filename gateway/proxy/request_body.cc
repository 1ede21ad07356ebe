#include "gateway/proxy/request_body.h"

#include <simdjson.h>

#include <algorithm>
#include <utility>
#include <vector>

namespace slotgate::gateway {
namespace {

// Top-level keys of one body, unescaped. The views point into the parser's
// string buffer, which holds every string unescaped since iterate() until the
// next iterate(). Request bodies have a handful of keys, kept on the stack and
// compared linearly as they arrive; past kLinearKeys a hostile body with 10^5
// keys would make that quadratic, so all of them move to the heap and are
// checked once, sorted, at the end.
class TopLevelKeys {
 public:
  // False if `key` was seen before (for bodies with up to kLinearKeys keys;
  // larger ones are checked by anyDuplicate()).
  bool add(std::string_view key) {
    if (count_ < kLinearKeys) {
      for (size_t i = 0; i < count_; ++i) {
        if (std::string_view(linear_[i].data, linear_[i].size) == key) {
          return false;
        }
      }
      linear_[count_++] = {key.data(), key.size()};
      return true;
    }
    if (many_.empty()) {
      for (const Key& k : linear_) {
        many_.emplace_back(k.data, k.size);
      }
    }
    many_.push_back(key);
    return true;
  }

  bool anyDuplicate() {
    if (many_.empty()) {
      return false;  // add() compared every pair
    }
    std::sort(many_.begin(), many_.end());
    return std::adjacent_find(many_.begin(), many_.end()) != many_.end();
  }

 private:
  static constexpr size_t kLinearKeys = 16;
  // Left uninitialised (only [0, count_) is read): zeroing 16 views would
  // cost more than comparing the few keys a real body has.
  struct Key {
    const char* data;
    size_t size;
  };
  Key linear_[kLinearKeys];
  size_t count_ = 0;
  std::vector<std::string_view> many_;
};

}  // namespace

BodyFields readBodyFields(std::string_view body) {
  BodyFields out;
  // One parser per thread: reusing its buffers keeps parsing allocation-free.
  thread_local simdjson::ondemand::parser parser;
  // The padded copy simdjson reads (up to SIMDJSON_PADDING bytes past the end) goes into one
  // buffer per thread, reused (issue 12: no allocation per request); a buffer grown past 1 MiB
  // by a large body is given back at the next smaller one.
  thread_local std::string copy;
  constexpr size_t kKeepCapacity = 1 << 20;
  if (copy.capacity() > kKeepCapacity &&
      body.size() + simdjson::SIMDJSON_PADDING <= kKeepCapacity) {
    std::string().swap(copy);
  }
  copy.reserve(body.size() + simdjson::SIMDJSON_PADDING);
  copy.assign(body);
  const simdjson::padded_string_view padded(copy.data(), copy.size(), copy.capacity());
  simdjson::ondemand::document doc;
  if (parser.iterate(padded).get(doc) != simdjson::SUCCESS) {
    out.error = "request body is not valid JSON";
    return out;
  }
  simdjson::ondemand::object obj;
  if (const auto error = doc.get_object().get(obj); error != simdjson::SUCCESS) {
    out.error = error == simdjson::INCORRECT_TYPE ? "request body must be a JSON object"
                                                  : "request body is not valid JSON";
    return out;
  }
  TopLevelKeys keys;
  bool have_model = false;
  for (auto field_or_error : obj) {
    simdjson::ondemand::field field;
    if (std::move(field_or_error).get(field) != simdjson::SUCCESS) {
      out.error = "request body is not valid JSON";
      return out;
    }
    // Points after the key's opening quote; taken before unescaped_key()
    // consumes the key.
    const char* raw_key = field.key().raw();
    std::string_view key;
    if (field.unescaped_key().get(key) != simdjson::SUCCESS) {
      out.error = "request body is not valid JSON";
      return out;
    }
    if (!keys.add(key)) {
      out.error = "request body has a top-level key twice";
      return out;
    }
    simdjson::ondemand::value& value = field.value();
    if (key == "model") {
      std::string_view raw = value.raw_json_token();
      std::string_view model;
      if (value.get_string().get(model) != simdjson::SUCCESS) {
        out.error = "`model` must be a string";
        return out;
      }
      out.model.assign(model);
      // Both point into `padded`, whose bytes match `body`.
      out.model_offset = static_cast<size_t>(raw_key - 1 - padded.data());
      // The token may carry trailing whitespace; keep just the string.
      size_t end = raw.size();
      while (end > 0 && raw[end - 1] != '"') {
        --end;
      }
      out.model_length = static_cast<size_t>(raw.data() + end - (raw_key - 1));
      have_model = true;
    } else if (key == "stream") {
      bool b = false;
      if (value.get_bool().get(b) == simdjson::SUCCESS) {
        out.stream = b;
      }
    } else if (key == "stream_options") {
      readStreamOptions(value, padded.data(), out.stream_options);
    }
    // Other values are skipped by the iterator; their brackets are still
    // checked by simdjson's structural pass.
  }
  // Past the object's closing brace the iterator must be out of tokens;
  // anything else ({...} {...}, {...} 1) is content a provider might read.
  if (doc.current_location().error() != simdjson::OUT_OF_BOUNDS) {
    out.error = "request body has content after its JSON object";
    return out;
  }
  if (keys.anyDuplicate()) {
    out.error = "request body has a top-level key twice";
    return out;
  }
  if (!have_model) {
    out.error = "request body has no string `model`";
    return out;
  }
  out.ok = true;
  return out;
}

std::string rewriteModel(std::string_view body, const BodyFields& fields,
                         std::string_view new_model) {
  return rewriteUpstreamBody(body, fields, new_model, /*ask_usage=*/false);
}

}  // namespace slotgate::gateway
