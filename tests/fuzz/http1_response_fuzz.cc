// Fuzzes the strict HTTP/1.1 parser in response mode (upstream answers). The first input byte
// seeds where the response is cut into reads and says whether the request was HEAD and whether
// the upstream closes after the input; the rest is what the upstream sends. Besides "no crash,
// no sanitizer report":
// - the outcome is the same whole and cut into reads;
// - interim (1xx) heads never end as the final response, and a final 204, 304 or answer to
//   HEAD has no body; a body is never longer than the input.
#include <cstdint>
#include <string_view>

#include "tests/fuzz/http1_fuzz_support.h"

using slotgate::gateway::Http1Framing;
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
  auto options = slotgate::gateway::testing::smallLimits(Http1Parser::Mode::kResponse);
  options.request_was_head = (data[0] & 1) != 0;
  options.eof_at_end = (data[0] & 2) != 0;
  const ParsedMessage whole = driveParser(input, {}, options);
  check(driveParser(input, cutsFor(data[0], input.size()), options) == whole);
  check(whole.consumed <= input.size() && whole.body.size() <= input.size());
  if (whole.status == Http1Parser::Status::kMessageComplete) {
    check(whole.status_code >= 200 && whole.status_code <= 599);
    if (options.request_was_head || whole.status_code == 204 || whole.status_code == 304) {
      check(whole.framing == Http1Framing::kNone && whole.body.empty());
    }
    if (whole.framing == Http1Framing::kUntilClose) {
      check(!whole.keep_alive);
    }
  }
  return 0;
}
