#include "gateway/http1/chunked_decoder.h"

#include <algorithm>

#include "gateway/http1/http1_chars.h"

namespace slotgate::gateway {

using http1::is;

namespace {

// Larger chunks are refused as overflowing: no body the gateway accepts comes
// near, and the check keeps every size arithmetic far from wrapping.
constexpr uint64_t kMaxChunkSize = uint64_t{1} << 60;

}  // namespace

void ChunkedDecoder::reset() { *this = ChunkedDecoder(limits_); }

ChunkedDecoder::Step ChunkedDecoder::fail(Http1Error error, size_t consumed) {
  state_ = State::kError;
  error_ = error;
  error_offset_ = offset_ + consumed;
  offset_ += consumed;
  return Step{Status::kError, consumed, {}};
}

// Where a chunk size or an extension item (name, token or quoted value) may end: CR ends
// the size line, ';' opens the next extension, whitespace may come before either (then the
// state is `after_ows`, which accepts no CR: RFC 9112 has no whitespace before the CRLF).
inline bool ChunkedDecoder::endOfItem(unsigned char c, State after_ows) {
  if (c == '\r') {
    state_ = State::kSizeLf;
  } else if (c == ';') {
    state_ = State::kExtNameStart;
  } else if (is(c, http1::kOws)) {
    state_ = after_ows;
  } else {
    return false;
  }
  return true;
}

ChunkedDecoder::Step ChunkedDecoder::decode(std::string_view in) {
  if (state_ == State::kError) {
    return Step{Status::kError, 0, {}};
  }
  const auto* b = reinterpret_cast<const unsigned char*>(in.data());
  const size_t n = in.size();
  size_t i = 0;
  while (i < n && state_ != State::kDone) {
    const unsigned char c = b[i];
    if (state_ <= State::kExtAfterValue && c != '\r') {
      if (++line_bytes_ > limits_.max_chunk_line_bytes) {
        return fail(Http1Error::kChunkLineTooLong, i);
      }
    } else if (state_ >= State::kTrailerLineStart && state_ <= State::kEndLf) {
      if (++trailer_bytes_ > limits_.max_trailer_bytes) {
        return fail(Http1Error::kTrailersTooLarge, i);
      }
    }
    switch (state_) {
      case State::kSize:
        if (!is(c, http1::kHex)) {
          return fail(c == '\n' ? Http1Error::kBareLf : Http1Error::kBadChunkSize, i);
        }
        chunk_left_ = static_cast<uint64_t>(http1::hexValue(c));
        state_ = State::kSizeMore;
        break;
      case State::kSizeMore:
        if (is(c, http1::kHex)) {
          if (chunk_left_ > (kMaxChunkSize >> 4)) {
            return fail(Http1Error::kBadChunkSize, i);  // the shift below would pass the limit
          }
          chunk_left_ = (chunk_left_ << 4) | static_cast<uint64_t>(http1::hexValue(c));
          if (chunk_left_ > kMaxChunkSize) {
            return fail(Http1Error::kBadChunkSize, i);
          }
        } else if (!endOfItem(c, State::kSizeBws)) {
          return fail(c == '\n' ? Http1Error::kBareLf : Http1Error::kBadChunkSize, i);
        }
        break;
      case State::kSizeBws:
        if (c == ';') {
          state_ = State::kExtNameStart;
        } else if (!is(c, http1::kOws)) {
          return fail(Http1Error::kBadChunkSize, i);
        }
        break;
      case State::kExtNameStart:
        if (is(c, http1::kToken)) {
          state_ = State::kExtName;
        } else if (!is(c, http1::kOws)) {
          return fail(Http1Error::kBadChunkExtension, i);
        }
        break;
      case State::kExtName:
        if (c == '=') {
          state_ = State::kExtValueStart;
        } else if (!is(c, http1::kToken) && !endOfItem(c, State::kExtAfterName)) {
          return fail(Http1Error::kBadChunkExtension, i);
        }
        break;
      case State::kExtAfterName:
        if (c == '=') {
          state_ = State::kExtValueStart;
        } else if (c == ';') {
          state_ = State::kExtNameStart;
        } else if (!is(c, http1::kOws)) {
          return fail(Http1Error::kBadChunkExtension, i);
        }
        break;
      case State::kExtValueStart:
        if (c == '"') {
          state_ = State::kExtQuoted;
        } else if (is(c, http1::kToken)) {
          state_ = State::kExtToken;
        } else if (!is(c, http1::kOws)) {
          return fail(Http1Error::kBadChunkExtension, i);
        }
        break;
      case State::kExtToken:
        if (!is(c, http1::kToken) && !endOfItem(c, State::kExtAfterValue)) {
          return fail(Http1Error::kBadChunkExtension, i);
        }
        break;
      case State::kExtQuoted:
        if (c == '"') {
          state_ = State::kExtQuoteEnd;
        } else if (c == '\\') {
          state_ = State::kExtQuotedPair;
        } else if (!is(c, http1::kQdText)) {
          return fail(Http1Error::kBadChunkExtension, i);
        }
        break;
      case State::kExtQuotedPair:
        if (!is(c, http1::kValue)) {
          return fail(Http1Error::kBadChunkExtension, i);
        }
        state_ = State::kExtQuoted;
        break;
      case State::kExtQuoteEnd:
        if (!endOfItem(c, State::kExtAfterValue)) {
          return fail(Http1Error::kBadChunkExtension, i);
        }
        break;
      case State::kExtAfterValue:
        if (c == ';') {
          state_ = State::kExtNameStart;
        } else if (!is(c, http1::kOws)) {
          return fail(Http1Error::kBadChunkExtension, i);
        }
        break;
      case State::kSizeLf:
        if (c != '\n') {
          return fail(Http1Error::kBareCr, i);
        }
        line_bytes_ = 0;
        state_ = chunk_left_ == 0 ? State::kTrailerLineStart : State::kData;
        break;
      case State::kData: {
        const size_t take = static_cast<size_t>(std::min<uint64_t>(chunk_left_, n - i));
        const std::string_view data = in.substr(i, take);
        chunk_left_ -= take;
        i += take;
        if (chunk_left_ == 0) {
          state_ = State::kDataCr;
        }
        offset_ += i;
        return Step{Status::kNeedMore, i, data};
      }
      case State::kDataCr:
        if (c != '\r') {
          return fail(Http1Error::kBadChunkEnd, i);
        }
        state_ = State::kDataLf;
        break;
      case State::kDataLf:
        if (c != '\n') {
          return fail(Http1Error::kBadChunkEnd, i);
        }
        state_ = State::kSize;
        break;
      case State::kTrailerLineStart:
        if (c == '\r') {
          state_ = State::kEndLf;
        } else if (is(c, http1::kToken)) {
          if (++trailer_fields_ > limits_.max_trailer_fields) {
            return fail(Http1Error::kTrailersTooLarge, i);
          }
          state_ = State::kTrailerName;
        } else if (is(c, http1::kOws)) {
          return fail(Http1Error::kObsFold, i);
        } else {
          return fail(c == '\n' ? Http1Error::kBareLf : Http1Error::kBadTrailer, i);
        }
        break;
      case State::kTrailerName:
        if (c == ':') {
          state_ = State::kTrailerValue;
        } else if (is(c, http1::kOws)) {
          return fail(Http1Error::kSpaceBeforeColon, i);
        } else if (!is(c, http1::kToken)) {
          return fail(Http1Error::kBadTrailer, i);
        }
        break;
      case State::kTrailerValue:
        if (c == '\r') {
          state_ = State::kTrailerLf;
        } else if (!is(c, http1::kValue)) {
          return fail(c == '\n' ? Http1Error::kBareLf : Http1Error::kBadFieldValue, i);
        }
        break;
      case State::kTrailerLf:
        if (c != '\n') {
          return fail(Http1Error::kBareCr, i);
        }
        state_ = State::kTrailerLineStart;
        break;
      case State::kEndLf:
        if (c != '\n') {
          return fail(Http1Error::kBareCr, i);
        }
        state_ = State::kDone;
        break;
      case State::kDone:
      case State::kError:
        break;
    }
    ++i;
  }
  offset_ += i;
  return Step{state_ == State::kDone ? Status::kDone : Status::kNeedMore, i, {}};
}

}  // namespace slotgate::gateway
