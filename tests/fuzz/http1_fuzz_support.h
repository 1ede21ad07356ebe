// What the HTTP/1.1 parser's fuzz targets share (request and response mode): a failed
// property aborts (libFuzzer reports it with the input), reads are cut where a seed says, and
// the limits are small so the fuzzer reaches them.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <random>
#include <vector>

#include "tests/unit/http1/http1_driver.h"

namespace slotgate::gateway::testing {

inline void check(bool ok) {
  if (!ok) {
    std::abort();
  }
}

// Offsets inside an input of `size` bytes where reads end: 1 to 32 bytes apart, from `seed`.
inline std::vector<size_t> cutsFor(uint8_t seed, size_t size) {
  std::minstd_rand rng(seed + 1u);
  std::vector<size_t> cuts;
  for (size_t at = 1 + rng() % 32; at < size; at += 1 + rng() % 32) {
    cuts.push_back(at);
  }
  return cuts;
}

inline DriveOptions smallLimits(Http1Parser::Mode mode) {
  DriveOptions options;
  options.mode = mode;
  options.limits.max_head_bytes = 4096;
  options.limits.max_fields = 20;
  options.limits.chunked.max_trailer_bytes = 512;
  options.limits.chunked.max_chunk_line_bytes = 128;
  return options;
}

}  // namespace slotgate::gateway::testing
