// Strict decoder of the chunked transfer coding (RFC 9112 section 7.1), used
// by Http1Parser for request and response bodies.
//
//   chunk       = chunk-size [ chunk-ext ] CRLF chunk-data CRLF
//   chunk-size  = 1*HEXDIG                        (no "0x", sign or space)
//   chunk-ext   = *( BWS ";" BWS name [ BWS "=" BWS ( token / quoted-string ) ] )
//   last-chunk  = 1*"0" [ chunk-ext ] CRLF, then trailer fields, then CRLF
//
// Sizes are checked for overflow; the size line with its extensions is
// bounded; after chunk data exactly CRLF must follow. Extensions are parsed by
// their grammar and dropped. Trailer fields are parsed like header fields
// (token name, colon right after it, no control bytes, no obs-fold), bounded in
// bytes and count, and dropped: nothing of them is ever surfaced.
//
// Streaming: decode() takes any span of input (an evbuffer segment) and
// resumes where the previous call stopped; every byte is looked at once. One
// call consumes framing bytes and returns at most one piece of chunk data, a
// view into the input: call it again with the rest of the input.
//
// One per message (reset() for the next). Not thread-safe; pure, no I/O.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "gateway/http1/http1_error.h"

namespace slotgate::gateway {

struct ChunkedLimits {
  size_t max_chunk_line_bytes = 4096;  // chunk-size and its extensions, without CRLF
  size_t max_trailer_bytes = 16 << 10;
  size_t max_trailer_fields = 100;
};

class ChunkedDecoder {
 public:
  enum class Status {
    kNeedMore,  // all of the step's input is used (or data was returned): call again
    kDone,      // the last chunk and the trailer section ended; bytes after it are not consumed
    kError,     // error() says why; the decoder stays in error
  };
  struct Step {
    Status status = Status::kNeedMore;
    size_t consumed = 0;    // input bytes used, including framing and `data`
    std::string_view data;  // chunk data within the consumed bytes; may be empty
  };

  explicit ChunkedDecoder(const ChunkedLimits& limits = {}) : limits_(limits) {}

  [[nodiscard]] Step decode(std::string_view in);
  void reset();

  [[nodiscard]] bool done() const { return state_ == State::kDone; }
  [[nodiscard]] Http1Error error() const { return error_; }
  // Offset of the offending byte, counted from the first byte of the body.
  [[nodiscard]] uint64_t errorOffset() const { return error_offset_; }

 private:
  enum class State : uint8_t {
    kSize,          // first hex digit expected
    kSizeMore,      // more hex digits, BWS+";", or CR
    kSizeBws,       // BWS after the size: only more BWS or ";"
    kExtNameStart,  // after ";": BWS, then the name
    kExtName,
    kExtAfterName,   // BWS after a name: more BWS, "=" or ";"
    kExtValueStart,  // after "=": BWS, then a token or DQUOTE
    kExtToken,
    kExtQuoted,
    kExtQuotedPair,  // after a backslash in a quoted string
    kExtQuoteEnd,    // after the closing DQUOTE: BWS, ";" or CR
    kExtAfterValue,  // BWS after a value: only more BWS or ";"
    kSizeLf,
    kData,
    kDataCr,
    kDataLf,
    kTrailerLineStart,
    kTrailerName,
    kTrailerValue,
    kTrailerLf,
    kEndLf,
    kDone,
    kError,
  };

  Step fail(Http1Error error, size_t consumed);
  bool endOfItem(unsigned char c, State after_ows);

  ChunkedLimits limits_;
  State state_ = State::kSize;
  Http1Error error_ = Http1Error::kNone;
  uint64_t chunk_left_ = 0;  // size being read, then data still to come
  size_t line_bytes_ = 0;    // bytes of the current size line
  size_t trailer_bytes_ = 0;
  size_t trailer_fields_ = 0;
  uint64_t offset_ = 0;  // body bytes consumed before the current call
  uint64_t error_offset_ = 0;
};

}  // namespace slotgate::gateway
