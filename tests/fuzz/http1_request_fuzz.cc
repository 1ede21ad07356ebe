// Fuzzes the strict HTTP/1.1 parser in request mode (gateway/downstream). The first input byte
// seeds where the message is cut into reads; the rest is the bytes a client sends. Besides "no
// crash, no sanitizer report":
// - the outcome (message, error and its offset) is the same whole and cut into reads;
// - what is accepted is sane: consumed and error offsets inside the input, field names tokens,
//   values without CR, LF or NUL, a body no longer than the input;
// - round trip: an accepted request, re-serialised, parses to the same message.
#include <cstdint>
#include <cstdlib>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "tests/unit/http1/http1_driver.h"

namespace {

using slotgate::gateway::Http1Parser;
using slotgate::gateway::testing::driveParser;
using slotgate::gateway::testing::ParsedMessage;

std::vector<size_t> cutsFor(uint8_t seed, size_t size) {
  std::minstd_rand rng(seed + 1u);
  std::vector<size_t> cuts;
  for (size_t at = 1 + rng() % 32; at < size; at += 1 + rng() % 32) {
    cuts.push_back(at);
  }
  return cuts;
}

void check(bool ok) {
  if (!ok) {
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) {
    return 0;
  }
  const std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);
  slotgate::gateway::testing::DriveOptions options;
  options.limits.max_head_bytes = 4096;  // small limits so the fuzzer reaches them
  options.limits.max_fields = 20;
  options.limits.chunked.max_trailer_bytes = 512;
  options.limits.chunked.max_chunk_line_bytes = 128;
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
