// Fuzzes the request body reader (gateway/request_body). Besides "no crash, no sanitizer
// report": a body it accepts is rewritten with another model, and the rewritten body must be
// accepted again with exactly that model and the same stream flag (the rewrite never makes a
// body ambiguous or invalid).
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "gateway/proxy/request_body.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using slotgate::gateway::BodyFields;
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  const BodyFields fields = slotgate::gateway::readBodyFields(body);
  if (!fields.ok) {
    return 0;
  }
  static const std::string kNewModel = "fuzz/\"model\"\\\n\xc3\xa9";
  const std::string rewritten = slotgate::gateway::rewriteModel(body, fields, kNewModel);
  const BodyFields again = slotgate::gateway::readBodyFields(rewritten);
  if (!again.ok || again.model != kNewModel || again.stream != fields.stream) {
    std::abort();
  }
  return 0;
}
