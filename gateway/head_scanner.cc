#include "gateway/head_scanner.h"

namespace slotgate::gateway {

void HeadScanner::reset() { *this = HeadScanner(max_bytes_, max_fields_); }

HeadVerdict HeadScanner::scan(std::string_view data) {
  for (; pos_ < data.size(); ++pos_) {
    if (pos_ >= max_bytes_) {
      return HeadVerdict::kTooLarge;
    }
    const char c = data[pos_];
    if (in_leading_blank_lines_) {
      if (c == '\r' || c == '\n') {
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
    if (c != '\n') {
      continue;
    }
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
    line_start_ = pos_ + 1;
  }
  return HeadVerdict::kIncomplete;
}

}  // namespace slotgate::gateway
