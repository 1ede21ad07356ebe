// Removes the usage-only chunk from an OpenAI stream whose usage slotgate asked for on the
// client's behalf (gateway/proxy/stream_options.h): the event whose JSON has `"choices": []` and a
// `usage` object. Every other byte reaches the client unchanged and in order.
//
// Chunk timing is kept: a complete event goes out in the same call that completes it; only the
// bytes of a trailing incomplete event are held, until the read that completes it (they are
// not a chunk the client could use yet). An incomplete event that cannot be the usage-only
// chunk (its `choices` array has an element) or that passes kMaxHeldBytes is passed on at once.
// Line ends may be LF, CRLF or CR, split anywhere across reads.
//
// Thread-safety: none; one filter per stream, used on the stream's worker.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace slotgate::gateway {

class UsageChunkFilter {
 public:
  static constexpr size_t kMaxHeldBytes = 64 << 10;

  // The bytes of `in` the client gets now. The view is into `in` or into this filter, valid
  // until the next call.
  std::string_view filter(std::string_view in);
  // At the stream's clean end: the held bytes of an unterminated last event, as they came.
  std::string_view finish();

  size_t removedChunks() const { return removed_; }

  // True when `event` (the raw lines of one event, without its blank line) is a usage-only
  // chunk: data whose JSON object has an empty `choices` array and a `usage` object.
  static bool isUsageOnlyChunk(std::string_view event);

 private:
  std::string held_;  // the incomplete event being held, from its first byte
  std::string out_;   // the bytes to send when they are not one piece of the input
  size_t removed_ = 0;
  bool line_has_bytes_ = false;    // the line being scanned has bytes from an earlier read
  bool prev_cr_ = false;           // the last byte scanned was a CR: an LF next is its CRLF's
  bool cr_ended_removed_ = false;  // ... and that CR ended a removed event: so is the LF
  bool passing_ = false;  // the current event was judged to stay: pass its bytes until its end
};

}  // namespace slotgate::gateway
