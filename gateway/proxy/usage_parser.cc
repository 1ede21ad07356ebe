#include "gateway/proxy/usage_parser.h"

#include <simdjson.h>

#include <algorithm>
#include <utility>

#include "gateway/event/spare_strings.h"
#include "gateway/proxy/content_event.h"
#include "gateway/proxy/plain_usage.h"
#include "gateway/proxy/usage_candidate.h"
#include "gateway/proxy/usage_fields.h"

namespace slotgate::gateway {
namespace {

namespace od = simdjson::ondemand;

// One parser per thread: a worker parses one document at a time and reuses the
// parser's buffers across requests. A parser that grew for a big body is
// replaced so a worker does not keep its high-water mark.
constexpr size_t kKeepParserCapacity = 1 << 20;

od::parser& threadParser() {
  thread_local od::parser parser;
  return parser;
}

void releaseIfLarge(size_t doc_bytes) {
  if (doc_bytes > kKeepParserCapacity) {
    threadParser() = od::parser{};
  }
}

// Makes buf usable as a simdjson padded input without copying when it already has room.
simdjson::padded_string_view padded(std::string& buf) {
  if (buf.capacity() < buf.size() + simdjson::SIMDJSON_PADDING) {
    buf.reserve(buf.size() + simdjson::SIMDJSON_PADDING);
  }
  return simdjson::padded_string_view(buf.data(), buf.size(), buf.capacity());
}

bool readCachedTokens(od::value& value, uint64_t& cache_read) {
  od::object details;
  if (value.get_object().get(details) != simdjson::SUCCESS) {
    return false;  // null or not an object
  }
  bool found = false;
  for (auto field_result : details) {
    od::field field;
    std::string_view key;
    if (std::move(field_result).get(field) != simdjson::SUCCESS ||
        field.unescaped_key().get(key) != simdjson::SUCCESS) {
      return false;
    }
    uint64_t n = 0;
    if (key == kUsageCachedTokens && field.value().get_uint64().get(n) == simdjson::SUCCESS) {
      cache_read = n;
      found = true;
    }
  }
  return found;
}

// Applies the token counts of one usage object to `out`. Every field present
// overwrites (Anthropic's cumulative message_delta, OpenAI's single final
// usage). `out` changes only when the whole object read cleanly.
bool readUsageObject(od::object usage_object, metrics::TokenUsage& out) {
  metrics::TokenUsage u = out;
  bool any = false;
  for (auto field_result : usage_object) {
    od::field field;
    std::string_view key;
    if (std::move(field_result).get(field) != simdjson::SUCCESS ||
        field.unescaped_key().get(key) != simdjson::SUCCESS) {
      return false;
    }
    od::value& value = field.value();
    if (isUsageDetails(key)) {
      any = readCachedTokens(value, u.cache_read_tokens) || any;
      continue;
    }
    uint64_t* target = usageCountOf(u, key);
    uint64_t n = 0;
    if (target != nullptr && value.get_uint64().get(n) == simdjson::SUCCESS) {
      *target = n;
      any = true;
    }
  }
  if (!any) {
    return false;
  }
  u.seen = true;
  out = u;
  return true;
}

// If `value` is an object, applies its `usage` member (when an object).
bool readNestedUsage(od::value& value, metrics::TokenUsage& out) {
  od::object object;
  if (value.get_object().get(object) != simdjson::SUCCESS) {
    return false;
  }
  for (auto field_result : object) {
    od::field field;
    std::string_view key;
    if (std::move(field_result).get(field) != simdjson::SUCCESS ||
        field.unescaped_key().get(key) != simdjson::SUCCESS) {
      return false;
    }
    od::object usage_object;
    if (key == "usage" && field.value().get_object().get(usage_object) == simdjson::SUCCESS) {
      return readUsageObject(usage_object, out);
    }
  }
  return false;
}

// Reads the top-level `usage` object of the JSON document in buf and, when
// nested_key is not empty, the `usage` of the top-level nested_key object
// (OpenAI Responses' "response", Anthropic message_start's "message").
bool applyDocumentUsage(std::string& buf, std::string_view nested_key, metrics::TokenUsage& out) {
  od::parser& parser = threadParser();
  bool applied = false;
  {
    od::document doc;
    od::object root;
    if (parser.iterate(padded(buf)).get(doc) != simdjson::SUCCESS ||
        doc.get_object().get(root) != simdjson::SUCCESS) {
      releaseIfLarge(buf.size());
      return false;
    }
    for (auto field_result : root) {
      od::field field;
      std::string_view key;
      if (std::move(field_result).get(field) != simdjson::SUCCESS ||
          field.unescaped_key().get(key) != simdjson::SUCCESS) {
        break;
      }
      if (key == "usage") {
        od::object usage_object;
        if (field.value().get_object().get(usage_object) == simdjson::SUCCESS) {
          applied = readUsageObject(usage_object, out) || applied;
        }
        if (nested_key.empty()) {
          break;  // nothing else to look for: skip the rest of a big body
        }
      } else if (!nested_key.empty() && key == nested_key) {
        applied = readNestedUsage(field.value(), out) || applied;
      }
    }
  }
  releaseIfLarge(buf.size());
  return applied;
}

bool applyUsageObjectText(std::string& buf, metrics::TokenUsage& out) {
  od::document doc;
  od::object root;
  if (threadParser().iterate(padded(buf)).get(doc) != simdjson::SUCCESS ||
      doc.get_object().get(root) != simdjson::SUCCESS) {
    return false;
  }
  return readUsageObject(root, out);
}

// Fast path of JsonUsageParser::finish() for a whole body: simdjson reads
// only the body's tail, from the '{' at `value` (lastUsageValueOffset) on,
// rewritten as the document `{"":` + tail. That document is one object with
// nothing after it exactly when the usage value is a member of the body's
// outermost object: a usage nested deeper leaves closing brackets (and more)
// after the object that `{"":` opens. Cheaper than the full parse
// because usage closes every provider's body, so the tail is short.
// True with `out` set when confirmed; false, `out` untouched, when the caller
// must parse the whole body (also when the usage object has no counts).
bool applyTailUsage(std::string_view body, size_t value, metrics::TokenUsage& out) {
  thread_local std::string doc;  // reused: no allocation per response
  doc.assign("{\"\":");
  doc.append(body.substr(value));
  while (doc.back() == ' ' || doc.back() == '\n' || doc.back() == '\r' || doc.back() == '\t') {
    doc.pop_back();  // the body ends in '}' and space (checked by lastUsageValueOffset)
  }
  metrics::TokenUsage u;
  bool confirmed = false;
  {
    od::document d;
    od::object root;
    if (threadParser().iterate(padded(doc)).get(d) == simdjson::SUCCESS &&
        d.get_object().get(root) == simdjson::SUCCESS) {
      bool read = false;
      bool ok = true;
      for (auto field_result : root) {
        od::field field;
        if (std::move(field_result).get(field) != simdjson::SUCCESS) {
          ok = false;
          break;
        }
        if (!read) {  // the "" member: the usage object; the others are skipped
          read = true;
          od::object usage_object;
          if (field.value().get_object().get(usage_object) != simdjson::SUCCESS ||
              !readUsageObject(usage_object, u)) {
            ok = false;
            break;
          }
        }
      }
      // Once the root object is consumed, current_location() points at what
      // follows it, or is OUT_OF_BOUNDS when nothing does (simdjson 3.0 has no
      // document::at_end()).
      confirmed = ok && read && d.current_location().error() == simdjson::OUT_OF_BOUNDS;
    }
  }
  releaseIfLarge(doc.size());
  if (doc.capacity() > kKeepParserCapacity) {
    std::string().swap(doc);
  }
  if (confirmed) {
    out = u;
  }
  return confirmed;
}

// Index of the '}' closing the object that opens at text[open], or npos.
size_t matchingBrace(std::string_view text, size_t open) {
  int depth = 0;
  bool in_string = false;
  bool escaped = false;
  for (size_t i = open; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{') {
      ++depth;
    } else if (c == '}') {
      if (--depth == 0) {
        return i;
      }
    }
  }
  return std::string_view::npos;
}

size_t skipSpace(std::string_view text, size_t i) {
  while (i < text.size() &&
         (text[i] == ' ' || text[i] == '\n' || text[i] == '\r' || text[i] == '\t')) {
    ++i;
  }
  return i;
}

// The text of the last `"usage": {...}` object in a truncated body's tail.
std::string_view lastUsageObject(std::string_view text) {
  constexpr std::string_view kKey = "\"usage\"";
  size_t from = std::string_view::npos;
  while (true) {
    const size_t at = text.rfind(kKey, from);
    if (at == std::string_view::npos) {
      return {};
    }
    // An escaped quote means the key is text inside some string value.
    if (at == 0 || text[at - 1] != '\\') {
      size_t i = skipSpace(text, at + kKey.size());
      if (i < text.size() && text[i] == ':') {
        i = skipSpace(text, i + 1);
        if (i < text.size() && text[i] == '{') {
          if (const size_t close = matchingBrace(text, i); close != std::string_view::npos) {
            return text.substr(i, close - i + 1);
          }
        }
      }
    }
    if (at == 0) {
      return {};
    }
    from = at - 1;
  }
}

}  // namespace

StreamUsageParser::StreamUsageParser(conf::ProviderType format, size_t max_event_bytes)
    : format_(format), sse_(max_event_bytes) {}

size_t StreamUsageParser::feed(std::string_view bytes) {
  content_events_ = 0;
  sse_.feed(bytes, [this](std::string_view event, std::string_view data) { onEvent(event, data); });
  return content_events_;
}

namespace {

// True when some "usage" in data may carry counts: any occurrence but `"usage": null`.
bool mayCarryUsage(std::string_view data) {
  constexpr std::string_view kKey = "\"usage\"";
  for (size_t at = data.find("usage"); at != std::string_view::npos;
       at = data.find("usage", at + 1)) {
    if (at == 0 || data.compare(at - 1, kKey.size(), kKey) != 0) {
      return true;  // not the quoted key: let the parser judge
    }
    size_t i = skipSpace(data, at - 1 + kKey.size());
    if (i >= data.size() || data[i] != ':') {
      return true;
    }
    i = skipSpace(data, i + 1);
    if (data.compare(i, 4, "null") != 0) {
      return true;
    }
  }
  return false;
}

}  // namespace

void StreamUsageParser::onEvent(std::string_view event, std::string_view data) {
  if (isContentEvent(format_, event, data)) {
    ++content_events_;
  }
  // Most events (content deltas) carry no usage: skip them without parsing.
  if (data == "[DONE]" || !mayCarryUsage(data)) {
    return;
  }
  scratch_.assign(data);
  const std::string_view nested =
      format_ == conf::ProviderType::kAnthropic ? "message" : "response";
  applyDocumentUsage(scratch_, nested, usage_);
  if (scratch_.capacity() > (64 << 10)) {
    std::string().swap(scratch_);
  }
}

JsonUsageParser::JsonUsageParser(conf::ProviderType format, size_t max_bytes)
    : format_(format), max_bytes_(max_bytes), body_(takeSpareString()) {}

JsonUsageParser::~JsonUsageParser() { giveSpareString(std::move(body_)); }

void JsonUsageParser::feed(std::string_view bytes) {
  if (!overflowed_) {
    if (body_.size() + bytes.size() <= max_bytes_) {
      body_.append(bytes);
      return;
    }
    overflowed_ = true;
  }
  // Past max_bytes only the tail matters: usage closes every provider's body.
  const size_t tail = std::min(kTailBytes, max_bytes_);
  if (bytes.size() >= tail) {
    body_.assign(bytes.substr(bytes.size() - tail));
  } else {
    body_.append(bytes);
    if (body_.size() > 2 * tail) {
      body_.erase(0, body_.size() - tail);
    }
  }
  if (body_.capacity() > 4 * tail) {
    body_.shrink_to_fit();
  }
}

metrics::TokenUsage JsonUsageParser::finish() {
  metrics::TokenUsage usage;
  if (!overflowed_) {
    const size_t value = lastUsageValueOffset(body_);
    if (value == std::string_view::npos ||
        (!readPlainUsage(std::string_view(body_).substr(value), usage) &&
         !applyTailUsage(body_, value, usage))) {
      applyDocumentUsage(body_, {}, usage);
    }
  } else if (std::string_view object = lastUsageObject(body_); !object.empty()) {
    std::string text(object);
    applyUsageObjectText(text, usage);
  }
  giveSpareString(std::move(body_));
  (void)format_;  // both formats put usage at the top level of the body
  return usage;
}

}  // namespace slotgate::gateway
