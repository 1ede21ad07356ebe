// Fuzzes the strict HTTP/1.1 parser in request mode (gateway/http1). The first input byte
// seeds where the message is cut into reads; the rest is the bytes a client sends. Besides "no
// crash, no sanitizer report":
// - the outcome (message, error and its offset) is the same whole and cut into reads;
// - what is accepted is sane: consumed and error offsets inside the input, field names tokens,
//   values without CR, LF or NUL, a body no longer than the input;
// - round trip: an accepted request, re-serialised, parses to the same message.
#include <cstdint>
#include <string>
#include <string_view>

#include "tests/fuzz/http1_fuzz_support.h"

using slotgate::gateway::Http1Parser;
using slotgate::gateway::testing::check;
using slotgate::gateway::testing::cutsFor;
using slotgate::gateway::testing::driveParser;
using slotgate::gateway::testing::ParsedMessage;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) {
    return 0;
  }
  const std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);
  const auto options = slotgate::gateway::testing::smallLimits(Http1Parser::Mode::kRequest);
  ParsedMessage whole = driveParser(input, {}, options);
  check(driveParser(input, cutsFor(data[0], input.size()), options) == whole);
  check(whole.consumed <= input.size() && whole.error_offset <= input.size() &&
        whole.body.size() <= input.size());
  if (whole.status != Http1Parser::Status::kMessageComplete) {
    return 0;
  }
  for (const auto& [name, value] : whole.fields) {
    check(!name.empty() && name.find_first_of(" \t:\r\n") == std::string::npos);
    check(value.find_first_of(std::string_view("\r\n\0", 3)) == std::string::npos);
  }
  const std::string again = slotgate::gateway::testing::serialiseRequest(whole);
  // The canonical form adds at most a SP after each colon (and the final CRLFs).
  slotgate::gateway::testing::DriveOptions roomier = options;
  roomier.limits.max_head_bytes += 2 * options.limits.max_fields + 2;
  ParsedMessage second = driveParser(again, {}, roomier);
  whole.consumed = second.consumed = 0;
  check(second == whole);
  return 0;
}
