// slotgate's own strict HTTP/1.1 parser (RFC 9110/9112), for downstream
// requests and upstream responses. One state machine over the bytes, in the
// manner of haproxy's h1.c: every byte is looked at once, the first byte RFC
// 9112 does not allow ends the message with an exact error and its position,
// and the framing is decided once, at the end of the head.
//
// Pure: no I/O, no allocation per message (the field index is reused), no
// copies. Not thread-safe; one parser per connection (or upstream call).
//
// Using it
// --------
// 1. Head: call parseHead(buffer) with ALL bytes received so far starting at
//    the message's first byte (an evbuffer_pullup of at most
//    limits.max_head_bytes + 1 bytes). The buffer may grow and move between
//    calls; the parser remembers offsets, resumes where it stopped and never
//    re-reads a byte. Returns kNeedMore, kHeadComplete or kError.
// 2. At kHeadComplete: headLength() bytes are the head. method(), target(),
//    status(), fieldCount()/field(i) are string_views into the buffer passed
//    to the last parseHead() call: valid until the caller drains or moves it,
//    so copy what you keep before evbuffer_drain(headLength()). Names are as
//    sent (not lower-cased); values have their surrounding OWS removed.
//    framing(), contentLength() and keepAlive() tell how the body is framed
//    and whether the connection may carry another message. messageComplete()
//    is already true when there is no body (no length, Content-Length: 0, 204,
//    304, an answer to HEAD).
// 3. Body: after draining the head, call readBody(span) with any span of the
//    following bytes (e.g. each evbuffer segment). Each call consumes framing
//    bytes and returns at most one piece of body data (a view into the span):
//    call again with the rest of the span while the status is kNeedMore.
//    Chunked bodies come out de-chunked; chunk extensions and trailer fields
//    are parsed, checked and dropped. Bytes after the message are not consumed
//    (pipelined requests; unsolicited bytes from an upstream).
// 4. Response bodies delimited by the connection close (framing kUntilClose):
//    call finishAtEof() when the peer closes; it says whether the message is
//    complete (kMessageComplete) or truncated (kError, kIncompleteAtEof).
// 5. Interim responses (1xx): parseHead() returns kHeadComplete with interim()
//    true. The caller drains headLength() and calls parseHead() again with
//    the bytes after it; the parser starts the next head by itself. A 101 is
//    an error (slotgate never asks an upstream to switch protocols), and so
//    is a 1xx with Content-Length or Transfer-Encoding.
// 6. reset() before the next request on a keep-alive connection (the mode,
//    limits and field index capacity are kept).
//
// What is refused (Http1Error names the rule): non-token method or field
// name; anything but one SP between the parts of a start line; a request
// target with bytes outside RFC 3986's URI characters ('#', SP, CTL, DEL,
// bytes >= 0x80); a version other than HTTP/1.0 or HTTP/1.1; a status outside
// 100..599 or a control byte in a reason phrase; CR not followed by LF and LF
// not preceded by CR; obs-fold (and SP/HTAB before the first field); SP/HTAB
// between a field name and its colon; NUL and other CTLs in values (HTAB is
// allowed); a request without Host in HTTP/1.1, with two Host fields or a Host
// value of non-host characters; Content-Length that is not 1*DIGIT (no sign,
// no list, not even "5, 5"), overflows, or appears twice; Content-Length with
// Transfer-Encoding; Transfer-Encoding that is not exactly one field "chunked"
// (case-insensitive), or in an HTTP/1.0 message; the chunk rules of
// ChunkedDecoder; heads over max_head_bytes or with more than max_fields
// fields (the limit errors, 431 for a request).
//
// Leniencies, deliberately: empty lines (CRLF) before a request line are
// skipped (RFC 9112 2.2); a status line may omit the SP and reason phrase
// after the code ("HTTP/1.1 200\r\n"), which carries no meaning anyway.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "gateway/http1/chunked_decoder.h"
#include "gateway/http1/http1_error.h"

namespace slotgate::gateway {

struct Http1ParserLimits {
  size_t max_head_bytes = 64 << 10;  // start line, fields and the final CRLF
  size_t max_fields = 100;
  ChunkedLimits chunked;
};

// How the body is delimited, decided once at the end of the head (haproxy's
// H1_MF_CLEN / H1_MF_CHNK / H1_MF_XFER_LEN).
enum class Http1Framing : uint8_t {
  kNone,           // no body: no length given in a request; 1xx/204/304/answer to HEAD
  kContentLength,  // exactly contentLength() bytes (possibly 0)
  kChunked,        // Transfer-Encoding: chunked
  kUntilClose,     // response without length: the body ends when the connection closes
};

struct Http1Field {
  std::string_view name;   // as sent
  std::string_view value;  // without leading and trailing SP/HTAB
};

// The origin-form part (path and query) of a request-target: the target itself
// when it starts with '/', the part after the authority of an absolute-form
// target ("http://host/v1/x?y" -> "/v1/x?y"; "/" when it has no path), and the
// target unchanged otherwise ("*", authority-form).
[[nodiscard]] std::string_view http1OriginForm(std::string_view target);

class Http1Parser {
 public:
  enum class Mode : uint8_t { kRequest, kResponse };
  enum class Status : uint8_t { kNeedMore, kHeadComplete, kMessageComplete, kError };
  struct BodyStep {
    Status status = Status::kNeedMore;  // kNeedMore, kMessageComplete or kError
    size_t consumed = 0;                // bytes of the span used (framing and data)
    std::string_view data;              // body bytes within the consumed ones; may be empty
  };

  Http1Parser(Mode mode, const Http1ParserLimits& limits);

  [[nodiscard]] Status parseHead(std::string_view buffer);
  [[nodiscard]] BodyStep readBody(std::string_view in);
  [[nodiscard]] Status finishAtEof();
  void reset();
  // Response mode: the request was HEAD, so the final response has no body.
  void setRequestWasHead(bool was_head) { request_was_head_ = was_head; }

  // The head (valid after kHeadComplete, views as described above).
  [[nodiscard]] size_t headLength() const { return head_length_; }
  [[nodiscard]] std::string_view method() const { return view(start_a_, start_a_len_); }
  [[nodiscard]] std::string_view target() const { return view(start_b_, start_b_len_); }
  [[nodiscard]] int versionMinor() const { return version_minor_; }  // 0 or 1
  [[nodiscard]] int status() const { return status_; }
  [[nodiscard]] std::string_view reason() const { return view(start_b_, start_b_len_); }
  [[nodiscard]] size_t fieldCount() const { return fields_.size(); }
  [[nodiscard]] Http1Field field(size_t i) const {
    const FieldSpan& f = fields_[i];
    return {view(f.name, f.name_len), view(f.value, f.value_len)};
  }
  [[nodiscard]] bool interim() const { return interim_; }
  [[nodiscard]] Http1Framing framing() const { return framing_; }
  [[nodiscard]] uint64_t contentLength() const { return content_length_; }
  [[nodiscard]] bool keepAlive() const { return keep_alive_; }
  [[nodiscard]] bool messageComplete() const { return state_ == State::kDone; }

  [[nodiscard]] Http1Error error() const { return error_; }
  // Offset of the offending byte from the message's first byte (head and body).
  [[nodiscard]] uint64_t errorOffset() const { return error_offset_; }

 private:
  enum class State : uint8_t {
    kLeadingLine,  // request: empty lines before the request line
    kLeadingLf,
    kMethod,
    kTarget,
    kVersion,        // request: "HTTP/1.x" CRLF
    kStatusVersion,  // response: "HTTP/1.x" SP
    kStatusCode,
    kAfterStatus,  // SP then reason, or CR
    kReason,
    kStartLf,
    kLineStart,
    kFieldName,
    kValueStart,
    kValue,
    kFieldLf,
    kHeadEndLf,
    kBodyLength,
    kBodyChunked,
    kBodyUntilClose,
    kDone,
    kError,
  };
  // Offsets into the head buffer: the buffer may move between parseHead() calls.
  struct FieldSpan {
    uint32_t name;
    uint32_t name_len;
    uint32_t value;
    uint32_t value_len;
  };

  std::string_view view(uint32_t offset, uint32_t len) const {
    return std::string_view(base_ + offset, len);
  }
  Status fail(Http1Error error, uint64_t offset);
  void startHead();
  [[nodiscard]] bool targetFormOk(std::string_view target) const;
  [[nodiscard]] bool onField(size_t name, size_t name_len, size_t value, size_t value_len);
  [[nodiscard]] Status finishHead(size_t end);

  Mode mode_;
  Http1ParserLimits limits_;
  State state_;
  Http1Error error_ = Http1Error::kNone;
  uint64_t error_offset_ = 0;
  const char* base_ = nullptr;
  size_t pos_ = 0;   // next head byte to read
  size_t mark_ = 0;  // start of the current token (method, target, reason, value)
  size_t name_start_ = 0;
  size_t name_end_ = 0;
  size_t value_end_ = 0;
  size_t literal_index_ = 0;                // position within "HTTP/1.x" or the status digits
  uint32_t start_a_ = 0, start_a_len_ = 0;  // method
  uint32_t start_b_ = 0, start_b_len_ = 0;  // target or reason phrase
  std::vector<FieldSpan> fields_;
  size_t head_length_ = 0;
  int version_minor_ = 1;
  int status_ = 0;
  bool interim_ = false;
  bool restart_pending_ = false;  // an interim head was returned: the next call starts anew
  bool request_was_head_ = false;

  // Framing, collected while the fields go by and decided in finishHead().
  bool has_content_length_ = false;
  bool has_transfer_encoding_ = false;
  bool connection_close_ = false;
  bool connection_keep_alive_ = false;
  int host_fields_ = 0;
  Http1Framing framing_ = Http1Framing::kNone;
  uint64_t content_length_ = 0;
  uint64_t body_left_ = 0;
  bool keep_alive_ = false;
  ChunkedDecoder chunked_;
};

}  // namespace slotgate::gateway
