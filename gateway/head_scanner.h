// Strict checks on a raw HTTP/1.1 request head, before http-parser sees it.
//
// http-parser (non-strict build, as Debian ships it) accepts bare-LF line
// endings and obs-fold continuation lines; request smuggling lives in exactly
// those leniencies, so the gateway refuses them itself (SPEC section 3).
#pragma once

#include <cstddef>
#include <string_view>

namespace slotgate::gateway {

enum class HeadVerdict {
  kIncomplete,     // no end of head yet
  kOk,             // complete and acceptable; headLength() set
  kBareLf,         // a line ends in LF without CR → 400
  kObsFold,        // a header line starts with SP/HT → 400
  kTooManyFields,  // more than max_fields header fields → 431
  kTooLarge,       // head longer than max_bytes → 431
};

// Incremental: call scan() with the same growing buffer as bytes arrive; it
// resumes where it stopped, so a client trickling one byte at a time costs
// O(n), not O(n²). Leading empty lines before the request line are skipped,
// as RFC 9112 section 2.2 permits. One per connection, reset() per request.
class HeadScanner {
 public:
  HeadScanner(size_t max_bytes, size_t max_fields)
      : max_bytes_(max_bytes), max_fields_(max_fields) {}
  HeadVerdict scan(std::string_view data);
  size_t headLength() const { return head_length_; }
  // Header lines seen so far (all of them once scan() returned kOk).
  size_t fieldCount() const { return fields_; }
  void reset();

 private:
  size_t max_bytes_;
  size_t max_fields_;
  size_t pos_ = 0;
  size_t line_start_ = 0;
  size_t fields_ = 0;
  bool in_leading_blank_lines_ = true;
  bool first_line_ = true;
  size_t head_length_ = 0;
};

}  // namespace slotgate::gateway
