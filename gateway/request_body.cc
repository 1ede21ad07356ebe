#include "gateway/request_body.h"

#include <simdjson.h>

#include "metrics/log.h"

namespace slotgate::gateway {

BodyFields readBodyFields(std::string_view body) {
  BodyFields out;
  // One parser per thread: reusing its buffers keeps parsing allocation-free.
  thread_local simdjson::ondemand::parser parser;
  simdjson::padded_string padded(body);
  simdjson::ondemand::document doc;
  if (parser.iterate(padded).get(doc) != simdjson::SUCCESS) {
    out.error = "request body is not valid JSON";
    return out;
  }
  simdjson::ondemand::object obj;
  if (doc.get_object().get(obj) != simdjson::SUCCESS) {
    out.error = "request body must be a JSON object";
    return out;
  }
  bool have_model = false;
  for (auto field : obj) {
    std::string_view key;
    if (field.unescaped_key().get(key) != simdjson::SUCCESS) {
      out.error = "request body is not valid JSON";
      return out;
    }
    simdjson::ondemand::value value;
    if (field.value().get(value) != simdjson::SUCCESS) {
      out.error = "request body is not valid JSON";
      return out;
    }
    if (key == "model" && !have_model) {
      std::string_view raw = value.raw_json_token();
      std::string_view model;
      if (value.get_string().get(model) != simdjson::SUCCESS) {
        out.error = "`model` must be a string";
        return out;
      }
      out.model.assign(model);
      // raw_json_token points into `padded`, whose bytes match `body`.
      out.model_offset = static_cast<size_t>(raw.data() - padded.data());
      // The token may carry trailing whitespace; keep just the string.
      size_t end = raw.size();
      while (end > 0 && raw[end - 1] != '"') {
        --end;
      }
      out.model_length = end;
      have_model = true;
    } else if (key == "stream") {
      bool b = false;
      if (value.get_bool().get(b) == simdjson::SUCCESS) {
        out.stream = b;
      }
    }
    // Other values are skipped by the iterator; their brackets are still
    // checked by simdjson's structural pass.
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
  std::string out;
  out.reserve(body.size() + new_model.size() + 8);
  out.append(body.substr(0, fields.model_offset));
  out += '"';
  metrics::appendJsonEscaped(out, new_model);
  out += '"';
  out.append(body.substr(fields.model_offset + fields.model_length));
  return out;
}

}  // namespace slotgate::gateway
