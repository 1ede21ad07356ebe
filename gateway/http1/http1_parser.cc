#include "gateway/http1/http1_parser.h"

#include <algorithm>
#include <cstring>

#include "gateway/http1/http1_chars.h"

namespace slotgate::gateway {

using http1::equalsLower;
using http1::is;
using http1::tokenEqualsLower;

namespace {

constexpr std::string_view kVersionPrefix = "HTTP/1.";

// Whether `s` starts with `prefix`, compared case-insensitively (`prefix` lower-case).
bool startsWithLower(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && equalsLower(s.substr(0, prefix.size()), prefix);
}

// The minor version (0 or 1) when `b` (`n` bytes) starts with the whole "HTTP/1.x" followed by
// `next`, else -1 (also when fewer bytes are there: the byte-by-byte path decides then).
int wholeVersion(const unsigned char* b, size_t n, unsigned char next) {
  if (n < kVersionPrefix.size() + 2 ||
      std::memcmp(b, kVersionPrefix.data(), kVersionPrefix.size()) != 0 ||
      (b[7] != '0' && b[7] != '1') || b[8] != next) {
    return -1;
  }
  return b[7] - '0';
}

// The status code when `b` starts with three digits making one in 100..599, else -1.
int wholeStatus(const unsigned char* b) {
  const auto digit = [](unsigned char c) { return c >= '0' && c <= '9'; };
  if (!digit(b[0]) || !digit(b[1]) || !digit(b[2])) {
    return -1;
  }
  const int status = (b[0] - '0') * 100 + (b[1] - '0') * 10 + (b[2] - '0');
  return status >= 100 && status <= 599 ? status : -1;
}

}  // namespace

std::string_view http1OriginForm(std::string_view target) {
  if (target.empty() || target.front() == '/') {
    return target;
  }
  if (!startsWithLower(target, "http://") && !startsWithLower(target, "https://")) {
    return target;
  }
  const size_t path = target.find_first_of("/?", target.find("://") + 3);
  if (path != std::string_view::npos && target[path] == '/') {
    return target.substr(path);
  }
  // An empty path is "/" in origin-form (RFC 9112 3.2.1); a query right after
  // the authority ("http://h?q") cannot be kept without a copy, and no route
  // of the gateway takes one on "/".
  return "/";
}

Http1Parser::Http1Parser(Mode mode, const Http1ParserLimits& limits)
    : mode_(mode), limits_(limits), chunked_(limits.chunked) {
  // Offsets are 32-bit; a head limit anywhere near 4 GiB is a config error anyway.
  limits_.max_head_bytes = std::min<size_t>(limits_.max_head_bytes, UINT32_MAX >> 1);
  startHead();
}

void Http1Parser::startHead() {
  state_ = mode_ == Mode::kRequest ? State::kLeadingLine : State::kStatusVersion;
  error_ = Http1Error::kNone;
  error_offset_ = 0;
  pos_ = 0;
  mark_ = 0;
  name_start_ = 0;
  name_end_ = 0;
  value_end_ = 0;
  literal_index_ = 0;
  start_a_ = start_a_len_ = start_b_ = start_b_len_ = 0;
  fields_.clear();
  head_length_ = 0;
  version_minor_ = 1;
  status_ = 0;
  interim_ = false;
  restart_pending_ = false;
  has_content_length_ = false;
  has_transfer_encoding_ = false;
  connection_close_ = false;
  connection_keep_alive_ = false;
  host_fields_ = 0;
  framing_ = Http1Framing::kNone;
  content_length_ = 0;
  body_left_ = 0;
  keep_alive_ = false;
}

void Http1Parser::reset() {
  startHead();
  chunked_.reset();
  request_was_head_ = false;
}

Http1Parser::Status Http1Parser::fail(Http1Error error, uint64_t offset) {
  state_ = State::kError;
  error_ = error;
  error_offset_ = offset;
  return Status::kError;
}

bool Http1Parser::targetFormOk(std::string_view target) const {
  if (target.front() == '/') {
    return true;  // origin-form
  }
  if (target == "*") {
    return method() == "OPTIONS";  // asterisk-form
  }
  if (method() == "CONNECT") {  // authority-form: host ":" port
    return std::all_of(target.begin(), target.end(),
                       [](char c) { return is(static_cast<unsigned char>(c), http1::kHost); });
  }
  // absolute-form, of the only schemes an HTTP gateway serves, with a non-empty authority.
  for (const std::string_view scheme :
       {std::string_view("http://"), std::string_view("https://")}) {
    if (startsWithLower(target, scheme)) {
      const size_t end = std::min(target.find_first_of("/?", scheme.size()), target.size());
      return end > scheme.size();
    }
  }
  return false;
}

Http1Parser::Status Http1Parser::parseHead(std::string_view buffer) {
  if (restart_pending_) {
    startHead();  // the head before was interim (1xx): this one starts at buffer[0]
  }
  if (state_ == State::kError) {
    return Status::kError;
  }
  if (state_ >= State::kBodyLength) {
    return Status::kHeadComplete;
  }
  base_ = buffer.data();
  const auto* b = reinterpret_cast<const unsigned char*>(buffer.data());
  const size_t limit = std::min(buffer.size(), limits_.max_head_bytes);
  size_t p = pos_;
  // Each state runs on into the next while bytes last (a whole field line is one pass through
  // kLineStart..kFieldLf), and leaves `state_` at the one to resume in when they run out: a
  // head that arrives whole costs one dispatch per line, one cut anywhere resumes exactly
  // where the bytes ended. The literal parts (version, status code) are checked in one step
  // when all their bytes are there, and byte by byte otherwise, which also finds the exact
  // offending byte of a head that does not match.
  while (p < limit) {
    const unsigned char c = b[p];
    switch (state_) {
      case State::kLeadingLine:
        if (c == '\r') {
          state_ = State::kLeadingLf;
          ++p;
        } else if (c == '\n') {
          return fail(Http1Error::kBareLf, p);
        } else {
          mark_ = p;
          state_ = State::kMethod;
        }
        break;
      case State::kLeadingLf:
        if (c != '\n') {
          return fail(Http1Error::kBareCr, p);
        }
        state_ = State::kLeadingLine;
        ++p;
        break;
      case State::kMethod:
        p = http1::skipClass(b, p, limit, http1::kToken);
        if (p == limit) {
          break;
        }
        if (b[p] != ' ' || p == mark_) {
          return fail(Http1Error::kBadMethod, p);
        }
        start_a_ = static_cast<uint32_t>(mark_);
        start_a_len_ = static_cast<uint32_t>(p - mark_);
        mark_ = ++p;
        state_ = State::kTarget;
        [[fallthrough]];
      case State::kTarget:
        p = http1::skipClass(b, p, limit, http1::kTarget);
        if (p == limit) {
          break;
        }
        if (b[p] != ' ' || p == mark_) {
          return fail(Http1Error::kBadTarget, p);
        }
        start_b_ = static_cast<uint32_t>(mark_);
        start_b_len_ = static_cast<uint32_t>(p - mark_);
        if (!targetFormOk(target())) {
          return fail(Http1Error::kBadTarget, mark_);
        }
        ++p;
        literal_index_ = 0;
        state_ = State::kVersion;
        if (const int minor = wholeVersion(b + p, limit - p, '\r'); minor >= 0) {
          version_minor_ = minor;  // "HTTP/1.x" CR; its LF is checked below as any other
          p += kVersionPrefix.size() + 2;
          state_ = State::kStartLf;
        }
        break;
      case State::kStatusVersion:
        if (literal_index_ == 0) {
          if (const int minor = wholeVersion(b + p, limit - p, ' '); minor >= 0) {
            version_minor_ = minor;
            p += kVersionPrefix.size() + 2;
            state_ = State::kStatusCode;
            if (const int status = limit - p >= 3 ? wholeStatus(b + p) : -1; status > 0) {
              status_ = status;
              p += 3;
              state_ = State::kAfterStatus;
            }
            break;
          }
        }
        [[fallthrough]];
      case State::kVersion:
        if (literal_index_ < kVersionPrefix.size()) {
          if (c != static_cast<unsigned char>(kVersionPrefix[literal_index_])) {
            return fail(Http1Error::kBadVersion, p);
          }
        } else if (literal_index_ == kVersionPrefix.size()) {
          if (c != '0' && c != '1') {
            return fail(Http1Error::kBadVersion, p);
          }
          version_minor_ = c - '0';
        } else if (state_ == State::kStatusVersion) {
          if (c != ' ') {
            return fail(Http1Error::kBadVersion, p);
          }
          literal_index_ = 0;
          state_ = State::kStatusCode;
          ++p;
          break;
        } else if (literal_index_ == kVersionPrefix.size() + 1) {
          if (c != '\r') {
            return fail(c == '\n' ? Http1Error::kBareLf : Http1Error::kBadVersion, p);
          }
        } else {
          if (c != '\n') {
            return fail(Http1Error::kBareCr, p);
          }
          state_ = State::kLineStart;
        }
        ++literal_index_;
        ++p;
        break;
      case State::kStatusCode:
        if (c < '0' || c > '9') {
          return fail(Http1Error::kBadStatus, p);
        }
        status_ = status_ * 10 + (c - '0');
        if (++literal_index_ == 3) {
          if (status_ < 100 || status_ > 599) {
            return fail(Http1Error::kBadStatus, p);
          }
          state_ = State::kAfterStatus;
        }
        ++p;
        break;
      case State::kAfterStatus:
        if (c == ' ') {
          mark_ = ++p;
          state_ = State::kReason;
        } else if (c == '\r') {
          start_b_ = static_cast<uint32_t>(p);
          start_b_len_ = 0;
          state_ = State::kStartLf;
          ++p;
          break;
        } else {
          return fail(c == '\n' ? Http1Error::kBareLf : Http1Error::kBadStatus, p);
        }
        [[fallthrough]];
      case State::kReason:
        p = http1::skipClass(b, p, limit, http1::kValue);
        if (p == limit) {
          break;
        }
        if (b[p] != '\r') {
          return fail(b[p] == '\n' ? Http1Error::kBareLf : Http1Error::kBadReason, p);
        }
        start_b_ = static_cast<uint32_t>(mark_);
        start_b_len_ = static_cast<uint32_t>(p - mark_);
        state_ = State::kStartLf;
        ++p;
        break;
      case State::kStartLf:
        if (c != '\n') {
          return fail(Http1Error::kBareCr, p);
        }
        state_ = State::kLineStart;
        ++p;
        break;
      case State::kLineStart:
        if (c == '\r') {
          if (++p == limit) {
            state_ = State::kHeadEndLf;
            break;
          }
          if (b[p] != '\n') {
            return fail(Http1Error::kBareCr, p);
          }
          return finishHead(p + 1);
        }
        if (!is(c, http1::kToken)) {
          if (is(c, http1::kOws)) {
            return fail(Http1Error::kObsFold, p);
          }
          return fail(c == '\n' ? Http1Error::kBareLf : Http1Error::kBadFieldName, p);
        }
        if (fields_.size() >= limits_.max_fields) {
          return fail(Http1Error::kTooManyFields, p);
        }
        name_start_ = p++;
        state_ = State::kFieldName;
        [[fallthrough]];
      case State::kFieldName:
        p = http1::skipClass(b, p, limit, http1::kToken);
        if (p == limit) {
          break;
        }
        if (b[p] != ':') {
          return fail(
              is(b[p], http1::kOws) ? Http1Error::kSpaceBeforeColon : Http1Error::kBadFieldName, p);
        }
        name_end_ = p++;
        state_ = State::kValueStart;
        [[fallthrough]];
      case State::kValueStart:
        while (p < limit && is(b[p], http1::kOws)) {
          ++p;
        }
        if (p == limit) {
          break;
        }
        mark_ = p;
        state_ = State::kValue;
        [[fallthrough]];
      case State::kValue:
        p = http1::skipClass(b, p, limit, http1::kValue);
        if (p == limit) {
          break;
        }
        if (b[p] != '\r') {
          return fail(b[p] == '\n' ? Http1Error::kBareLf : Http1Error::kBadFieldValue, p);
        }
        value_end_ = p;
        while (value_end_ > mark_ && is(b[value_end_ - 1], http1::kOws)) {
          --value_end_;
        }
        state_ = State::kFieldLf;
        if (++p == limit) {
          break;
        }
        [[fallthrough]];
      case State::kFieldLf:
        if (b[p] != '\n') {
          return fail(Http1Error::kBareCr, p);
        }
        if (!onField(name_start_, name_end_ - name_start_, mark_, value_end_ - mark_)) {
          return Status::kError;
        }
        state_ = State::kLineStart;
        ++p;
        break;
      case State::kHeadEndLf:
        if (c != '\n') {
          return fail(Http1Error::kBareCr, p);
        }
        return finishHead(p + 1);
      default:
        return Status::kError;  // not reached: body states return above
    }
  }
  pos_ = p;
  if (buffer.size() > limits_.max_head_bytes) {
    return fail(Http1Error::kHeadTooLarge, limits_.max_head_bytes);
  }
  return Status::kNeedMore;
}

bool Http1Parser::onField(size_t name, size_t name_len, size_t value, size_t value_len) {
  fields_.push_back(FieldSpan{static_cast<uint32_t>(name), static_cast<uint32_t>(name_len),
                              static_cast<uint32_t>(value), static_cast<uint32_t>(value_len)});
  const std::string_view n(base_ + name, name_len);
  const std::string_view v(base_ + value, value_len);
  // Only the fields that decide framing or connection reuse are looked at;
  // a switch on the length keeps the rest at one comparison.
  switch (name_len) {
    case 14:
      if (tokenEqualsLower(n, "content-length")) {
        if (has_content_length_) {
          fail(Http1Error::kDuplicateContentLength, name);
          return false;
        }
        has_content_length_ = true;
        if (v.empty()) {
          fail(Http1Error::kBadContentLength, value);
          return false;
        }
        uint64_t length = 0;
        for (size_t i = 0; i < v.size(); ++i) {
          const auto c = static_cast<unsigned char>(v[i]);
          const auto digit = static_cast<uint64_t>(c - '0');
          if (c < '0' || c > '9' || length > (UINT64_MAX - digit) / 10) {
            fail(Http1Error::kBadContentLength, value + i);
            return false;
          }
          length = length * 10 + digit;
        }
        content_length_ = length;
      }
      break;
    case 17:
      if (tokenEqualsLower(n, "transfer-encoding")) {
        if (has_transfer_encoding_ || !equalsLower(v, "chunked")) {
          fail(Http1Error::kBadTransferEncoding, has_transfer_encoding_ ? name : value);
          return false;
        }
        has_transfer_encoding_ = true;
      }
      break;
    case 10:
      if (tokenEqualsLower(n, "connection")) {
        std::string_view list = v;
        while (!list.empty()) {
          const size_t comma = std::min(list.find(','), list.size());
          std::string_view token = list.substr(0, comma);
          while (!token.empty() && is(static_cast<unsigned char>(token.back()), http1::kOws)) {
            token.remove_suffix(1);
          }
          while (!token.empty() && is(static_cast<unsigned char>(token.front()), http1::kOws)) {
            token.remove_prefix(1);
          }
          connection_close_ |= equalsLower(token, "close");
          connection_keep_alive_ |= equalsLower(token, "keep-alive");
          list.remove_prefix(std::min(comma + 1, list.size()));
        }
      }
      break;
    case 4:
      if (mode_ == Mode::kRequest && tokenEqualsLower(n, "host")) {
        if (++host_fields_ > 1) {
          fail(Http1Error::kBadHost, name);
          return false;
        }
        const size_t host_end = http1::skipClass(reinterpret_cast<const unsigned char*>(base_),
                                                 value, value + value_len, http1::kHost);
        if (host_end != value + value_len) {
          fail(Http1Error::kBadHost, host_end);
          return false;
        }
      }
      break;
    default:
      break;
  }
  return true;
}

Http1Parser::Status Http1Parser::finishHead(size_t end) {
  head_length_ = end;
  pos_ = end;
  if (mode_ == Mode::kRequest && version_minor_ == 1 && host_fields_ == 0) {
    return fail(Http1Error::kBadHost, end);  // RFC 9112 3.2: MUST respond with 400
  }
  if (has_transfer_encoding_ && has_content_length_) {
    return fail(Http1Error::kContentLengthWithTransferEncoding, end);
  }
  if (has_transfer_encoding_ && version_minor_ == 0) {
    return fail(Http1Error::kBadTransferEncoding, end);  // RFC 9112 6.1: faulty framing
  }
  keep_alive_ =
      version_minor_ == 1 ? !connection_close_ : connection_keep_alive_ && !connection_close_;
  if (mode_ == Mode::kResponse) {
    if (status_ == 101) {
      return fail(Http1Error::kSwitchingProtocols, end);
    }
    if (status_ < 200) {
      if (has_transfer_encoding_ || has_content_length_) {
        return fail(Http1Error::kInterimWithBody, end);
      }
      interim_ = true;
      restart_pending_ = true;
      framing_ = Http1Framing::kNone;
      state_ = State::kDone;
      return Status::kHeadComplete;
    }
    if (request_was_head_ || status_ == 204 || status_ == 304) {
      framing_ = Http1Framing::kNone;  // RFC 9112 6.3 rule 1, whatever the fields say
      state_ = State::kDone;
      return Status::kHeadComplete;
    }
  }
  if (has_transfer_encoding_) {
    framing_ = Http1Framing::kChunked;
    state_ = State::kBodyChunked;
  } else if (has_content_length_) {
    framing_ = Http1Framing::kContentLength;
    body_left_ = content_length_;
    state_ = content_length_ == 0 ? State::kDone : State::kBodyLength;
  } else if (mode_ == Mode::kResponse) {
    framing_ = Http1Framing::kUntilClose;
    keep_alive_ = false;
    state_ = State::kBodyUntilClose;
  } else {
    framing_ = Http1Framing::kNone;  // a request without a length has no body (RFC 9112 6.3)
    state_ = State::kDone;
  }
  return Status::kHeadComplete;
}

Http1Parser::BodyStep Http1Parser::readBody(std::string_view in) {
  switch (state_) {
    case State::kBodyLength: {
      const size_t take = static_cast<size_t>(std::min<uint64_t>(body_left_, in.size()));
      body_left_ -= take;
      if (body_left_ == 0) {
        state_ = State::kDone;
        return BodyStep{Status::kMessageComplete, take, in.substr(0, take)};
      }
      return BodyStep{Status::kNeedMore, take, in.substr(0, take)};
    }
    case State::kBodyChunked: {
      const ChunkedDecoder::Step step = chunked_.decode(in);
      switch (step.status) {
        case ChunkedDecoder::Status::kNeedMore:
          return BodyStep{Status::kNeedMore, step.consumed, step.data};
        case ChunkedDecoder::Status::kDone:
          state_ = State::kDone;
          return BodyStep{Status::kMessageComplete, step.consumed, step.data};
        case ChunkedDecoder::Status::kError:
          fail(chunked_.error(), head_length_ + chunked_.errorOffset());
          return BodyStep{Status::kError, step.consumed, {}};
      }
      return BodyStep{Status::kError, 0, {}};
    }
    case State::kBodyUntilClose:
      return BodyStep{Status::kNeedMore, in.size(), in};
    case State::kDone:
      return BodyStep{Status::kMessageComplete, 0, {}};
    default:
      return BodyStep{Status::kError, 0, {}};  // in error, or the head is not complete
  }
}

Http1Parser::Status Http1Parser::finishAtEof() {
  if (state_ == State::kBodyUntilClose || state_ == State::kDone) {
    state_ = State::kDone;
    return Status::kMessageComplete;
  }
  if (state_ == State::kError) {
    return Status::kError;
  }
  return fail(Http1Error::kIncompleteAtEof, head_length_);
}

}  // namespace slotgate::gateway
