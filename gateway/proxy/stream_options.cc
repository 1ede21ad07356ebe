#include "gateway/proxy/stream_options.h"

#include <array>
#include <cstdint>
#include <utility>

#include "conf/json_escape.h"
#include "gateway/proxy/request_body.h"

namespace slotgate::gateway {
namespace {

namespace od = simdjson::ondemand;
using Kind = StreamOptionsField::Kind;

bool isJsonSpace(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

// A scalar's raw token may carry the whitespace before the next structural character.
size_t tokenLength(std::string_view raw) {
  size_t end = raw.size();
  while (end > 0 && isJsonSpace(raw[end - 1])) {
    --end;
  }
  return end;
}

// One replacement of body[offset, offset + length): a fixed text, or the model as a JSON string.
struct Edit {
  size_t offset = 0;
  size_t length = 0;
  std::string_view text;
  bool model = false;
};

}  // namespace

void readStreamOptions(od::value& value, const char* base, StreamOptionsField& out) {
  if (out.kind != Kind::kAbsent) {
    out = StreamOptionsField{};
    out.kind = Kind::kOther;  // stream_options twice: the upstream decides what it means
    return;
  }
  const std::string_view raw = value.raw_json_token();
  const size_t offset = static_cast<size_t>(raw.data() - base);
  if (offset > UINT32_MAX - 1) {
    out.kind = Kind::kOther;
    return;
  }
  od::json_type type;
  if (value.type().get(type) != simdjson::SUCCESS) {
    out.kind = Kind::kOther;
    return;
  }
  if (type == od::json_type::null) {
    out.kind = Kind::kNull;
    out.value_offset = static_cast<uint32_t>(offset);
    return;
  }
  od::object object;
  if (type != od::json_type::object || value.get_object().get(object) != simdjson::SUCCESS) {
    out.kind = Kind::kOther;
    return;
  }
  StreamOptionsField field;
  field.kind = Kind::kObject;
  field.value_offset = static_cast<uint32_t>(offset);
  for (auto member : object) {
    field.has_members = true;
    std::string_view key;
    od::value v;
    if (member.unescaped_key().get(key) != simdjson::SUCCESS ||
        member.value().get(v) != simdjson::SUCCESS) {
      out.kind = Kind::kOther;
      return;
    }
    if (key != "include_usage") {
      continue;  // skipped by the iterator, brackets still checked
    }
    od::json_type vtype;
    if (field.usage_length != 0 || v.type().get(vtype) != simdjson::SUCCESS ||
        vtype == od::json_type::object || vtype == od::json_type::array) {
      out.kind = Kind::kOther;
      return;
    }
    const std::string_view token = v.raw_json_token();
    const size_t usage_offset = static_cast<size_t>(token.data() - base);
    const size_t usage_length = tokenLength(token);
    if (usage_offset > UINT32_MAX || usage_length == 0 || usage_length > UINT8_MAX) {
      out.kind = Kind::kOther;
      return;
    }
    field.usage_offset = static_cast<uint32_t>(usage_offset);
    field.usage_length = static_cast<uint8_t>(usage_length);
    bool b = false;
    field.asks_usage =
        vtype == od::json_type::boolean && v.get_bool().get(b) == simdjson::SUCCESS && b;
  }
  out = field;
}

bool canAskForUsage(const BodyFields& fields) {
  const StreamOptionsField& so = fields.stream_options;
  return fields.ok && fields.stream && !so.asks_usage && so.kind != Kind::kOther;
}

void rewriteUpstreamBody(std::string_view body, const BodyFields& fields,
                         std::string_view new_model, bool ask_usage, std::string& out) {
  std::array<Edit, 2> edits;
  size_t count = 0;
  edits[count++] = Edit{fields.model_offset, fields.model_length, {}, true};
  if (ask_usage && canAskForUsage(fields)) {
    const StreamOptionsField& so = fields.stream_options;
    Edit usage;
    switch (so.kind) {
      case Kind::kAbsent: {
        // Appended as the last member: just before the root object's closing brace, which is
        // the body's last non-space byte (readBodyFields accepted it as one JSON object).
        size_t close = body.size();
        while (close > 0 && body[close - 1] != '}') {
          --close;
        }
        usage.offset = close > 0 ? close - 1 : 0;
        usage.text = R"(,"stream_options":{"include_usage":true})";
        break;
      }
      case Kind::kNull:
        usage.offset = so.value_offset;
        usage.length = 4;
        usage.text = R"({"include_usage":true})";
        break;
      case Kind::kObject:
        if (so.usage_length != 0) {
          usage.offset = so.usage_offset;
          usage.length = so.usage_length;
          usage.text = "true";
        } else {
          usage.offset = so.value_offset + 1;  // the first member, right after the '{'
          usage.text = so.has_members ? R"("include_usage":true,)" : R"("include_usage":true)";
        }
        break;
      case Kind::kOther:
        break;
    }
    if (!usage.text.empty()) {
      edits[count++] = usage;
    }
  }
  if (count == 2 && edits[1].offset < edits[0].offset) {
    std::swap(edits[0], edits[1]);
  }
  out.clear();
  out.reserve(body.size() + new_model.size() + 56);
  size_t at = 0;
  for (size_t i = 0; i < count; ++i) {
    const Edit& e = edits[i];
    out.append(body.substr(at, e.offset - at));
    if (e.model) {
      // The whole `model` member, key included (readBodyFields' model range): written plain.
      out += "\"model\":\"";
      conf::appendJsonEscaped(out, new_model);
      out += '"';
    } else {
      out.append(e.text);
    }
    at = e.offset + e.length;
  }
  out.append(body.substr(at));
}

}  // namespace slotgate::gateway
