#include "gateway/proxy/sse_parser.h"

namespace slotgate::gateway {
namespace {

// Buffers that once held a big event are released so an idle stream does not
// keep its high-water mark.
constexpr size_t kShrinkAbove = 64 << 10;

void shrinkIfLarge(std::string& s) {
  if (s.capacity() > kShrinkAbove) {
    std::string().swap(s);
  }
}

}  // namespace

SseParser::SseParser(size_t max_event_bytes) : max_event_bytes_(max_event_bytes) {}

void SseParser::feedImpl(std::string_view bytes, RawCallback cb, void* ctx) {
  size_t pos = 0;
  if (pending_cr_ && !bytes.empty()) {
    pending_cr_ = false;
    if (bytes[0] == '\n') {
      pos = 1;  // second half of a CRLF split across reads
    }
  }
  while (pos < bytes.size()) {
    const size_t eol = bytes.find_first_of("\r\n", pos);
    if (eol == std::string_view::npos) {
      appendPartialLine(bytes.substr(pos));
      return;
    }
    const std::string_view piece = bytes.substr(pos, eol - pos);
    pos = eol + 1;
    if (bytes[eol] == '\r') {
      if (pos < bytes.size()) {
        if (bytes[pos] == '\n') {
          ++pos;
        }
      } else {
        pending_cr_ = true;
      }
    }
    endLine(piece, cb, ctx);
  }
}

void SseParser::appendPartialLine(std::string_view piece) {
  if (piece.empty()) {
    return;
  }
  if (discarding_) {
    discard_line_has_bytes_ = true;
    return;
  }
  if (bufferedBytes() + piece.size() > max_event_bytes_) {
    startDiscard();
    discard_line_has_bytes_ = true;
    return;
  }
  line_.append(piece);
}

void SseParser::endLine(std::string_view piece, RawCallback cb, void* ctx) {
  if (discarding_) {
    const bool blank = piece.empty() && !discard_line_has_bytes_;
    discard_line_has_bytes_ = false;
    if (blank) {
      discarding_ = false;  // the oversized event ended; parse the next one normally
    }
    return;
  }
  // Every line counts against the event's bound, whatever its field, and whether it came in
  // one read or several (appendPartialLine checks the same sum): the events dispatched must
  // not depend on where the network cut the stream.
  if (bufferedBytes() + piece.size() > max_event_bytes_) {
    startDiscard();  // the line ends here, so the next blank line ends the event
    return;
  }
  if (line_.empty()) {
    processLine(piece, cb, ctx);  // common case: the whole line is in this read, no copy
    return;
  }
  line_.append(piece);
  processLine(line_, cb, ctx);
  line_.clear();
  shrinkIfLarge(line_);
}

void SseParser::processLine(std::string_view line, RawCallback cb, void* ctx) {
  if (line.empty()) {
    dispatch(cb, ctx);
    return;
  }
  if (line[0] == ':') {
    return;  // comment, e.g. a keep-alive
  }
  std::string_view field = line;
  std::string_view value;
  if (const size_t colon = line.find(':'); colon != std::string_view::npos) {
    field = line.substr(0, colon);
    value = line.substr(colon + 1);
    if (!value.empty() && value[0] == ' ') {
      value.remove_prefix(1);
    }
  }
  if (field == "data") {
    if (data_.size() + event_.size() + value.size() + 1 > max_event_bytes_) {
      startDiscard();
      return;
    }
    if (has_data_) {
      data_.push_back('\n');
    }
    data_.append(value);
    has_data_ = true;
  } else if (field == "event") {
    if (data_.size() + value.size() > max_event_bytes_) {
      startDiscard();
      return;
    }
    event_.assign(value);
  }
  // id, retry and unknown fields carry nothing we need.
}

void SseParser::dispatch(RawCallback cb, void* ctx) {
  if (has_data_) {
    cb(ctx, event_, data_);
  }
  resetEvent();
}

void SseParser::startDiscard() {
  ++dropped_events_;
  discarding_ = true;
  discard_line_has_bytes_ = false;
  line_.clear();
  shrinkIfLarge(line_);
  resetEvent();
}

void SseParser::resetEvent() {
  data_.clear();
  event_.clear();
  has_data_ = false;
  shrinkIfLarge(data_);
}

}  // namespace slotgate::gateway
