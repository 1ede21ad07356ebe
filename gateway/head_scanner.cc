#include "gateway/head_scanner.h"

#include <algorithm>
#include <cstring>

namespace slotgate::gateway {

void HeadScanner::reset() { *this = HeadScanner(max_bytes_, max_fields_); }

HeadVerdict HeadScanner::scan(std::string_view data) {
  while (pos_ < data.size()) {
    if (pos_ >= max_bytes_) {
      return HeadVerdict::kTooLarge;
    }
    if (in_leading_blank_lines_) {
      const char c = data[pos_];
      if (c == '\r' || c == '\n') {
        ++pos_;
        continue;  // checked for CRLF pairing below once the request line starts
      }
      // Leading bytes must be CRLF pairs.
      for (size_t i = 0; i < pos_; i += 2) {
        if (data[i] != '\r' || i + 1 >= pos_ || data[i + 1] != '\n') {
          return HeadVerdict::kBareLf;
        }
      }
      in_leading_blank_lines_ = false;
      line_start_ = pos_;
    }
    // Only line ends matter: jump to the next LF with memchr (vectorized)
    // rather than testing every byte, never looking past max_bytes_.
    const size_t limit = std::min(data.size(), max_bytes_);
    const void* lf = std::memchr(data.data() + pos_, '\n', limit - pos_);
    if (lf == nullptr) {
      pos_ = limit;
      continue;  // too large if data goes on past max_bytes_, else incomplete
    }
    pos_ = static_cast<size_t>(static_cast<const char*>(lf) - data.data());
    // pos_ > line_start_ here: the line started with a byte that is not LF.
    if (data[pos_ - 1] != '\r') {
      return HeadVerdict::kBareLf;
    }
    const size_t line_len = pos_ - 1 - line_start_;
    if (line_len == 0) {
      head_length_ = pos_ + 1;
      ++pos_;
      return HeadVerdict::kOk;
    }
    if (!first_line_) {
      const char lead = data[line_start_];
      if (lead == ' ' || lead == '\t') {
        return HeadVerdict::kObsFold;
      }
      if (++fields_ > max_fields_) {
        return HeadVerdict::kTooManyFields;
      }
    }
    first_line_ = false;
    ++pos_;
    line_start_ = pos_;
  }
  return HeadVerdict::kIncomplete;
}

}  // namespace slotgate::gateway
