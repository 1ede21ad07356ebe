#include "gateway/downstream/http2_stream.h"

#include <charconv>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gateway/downstream/ascii.h"
#include "gateway/downstream/drain_watchdog.h"
#include "gateway/downstream/http2_connection.h"
#include "gateway/downstream/request_recycler.h"
#include "gateway/event/spare_strings.h"

namespace slotgate::gateway {
namespace {

// Connection-specific fields are forbidden in HTTP/2 (RFC 9113 8.2.2).
bool connectionSpecific(std::string_view name) {
  return name == "connection" || name == "keep-alive" || name == "proxy-connection" ||
         name == "transfer-encoding" || name == "upgrade" || name == "content-length";
}

// A field whose value is new in every response: slotgate's request id. Sent in HPACK's
// never-indexed form, so it does not take a dynamic-table entry per response. Indexed, each
// response's id evicted the fields that repeat (content-type, the route headers: indexed, they
// cost a byte), and nghttp2 compared it against every earlier id in the table (about 50 of them
// in its 4 KiB) before adding it: ~100 memcmp per response (issue 12).
bool uniquePerResponse(std::string_view name) {
  return name == "x-request-id" || name == "request-id";
}

// nghttp2 reads every name and value in place: the names are static or lower-cased already
// (nghttp2 lower-cases only what it copies), the bytes outlive the HEADERS frame's
// serialization (head_bytes_ in http2_stream.h).
constexpr uint8_t kNoCopy = NGHTTP2_NV_FLAG_NO_COPY_NAME | NGHTTP2_NV_FLAG_NO_COPY_VALUE;

nghttp2_nv makeNv(std::string_view name, std::string_view value, uint8_t flags = kNoCopy) {
  return nghttp2_nv{reinterpret_cast<uint8_t*>(const_cast<char*>(name.data())),
                    reinterpret_cast<uint8_t*>(const_cast<char*>(value.data())), name.size(),
                    value.size(), flags};
}

}  // namespace

Http2Stream::Http2Stream(Http2Connection& connection, int32_t id)
    : connection_(connection), id_(id), out_(evbuffer_new()) {}

Http2Stream::~Http2Stream() {
  // The handler goes first: its destructor cancels upstream work and must
  // not see a half-destroyed sink.
  handler_.reset();
  giveSpareString(std::move(head_bytes_));
}

void Http2Stream::beginRequest() {
  Headers entries;
  request_ = takeSpareRequest(entries);
  request_->headers.swap(entries);  // cleared entries with their buffers, assigned in order
  fields_ = 0;
}

void Http2Stream::addField(std::string_view name, std::string_view value) {
  Headers& headers = request_->headers;
  if (fields_ < headers.size()) {
    headers[fields_].name.assign(name);
    headers[fields_].value.assign(value);
  } else {
    headers.push_back({std::string(name), std::string(value)});
  }
  ++fields_;
}

void Http2Stream::endFields() { request_->headers.resize(fields_); }

void Http2Stream::countHeader(size_t bytes, size_t max_header_bytes, size_t max_header_fields) {
  max_header_bytes_ = max_header_bytes;
  max_header_fields_ = max_header_fields;
  header_bytes_ += bytes;
  ++header_fields_;
}

void Http2Stream::setHandler(RequestHandlerPtr handler) {
  dispatched_ = true;
  handler_ = std::move(handler);
}

void Http2Stream::releaseHandler() {
  // The handler may be on the stack (it called finish/abort): defer.
  if (handler_) {
    connection_.worker().deferredDelete(std::move(handler_));
  }
}

void Http2Stream::sendHeaders(int status, const Headers& headers,
                              std::optional<uint64_t> content_length) {
  if (detached_ || headers_sent_ || responseEnded()) {
    return;
  }
  headers_sent_ = true;
  // The thread's field list, reused for every response (nghttp2 copies the list itself), and
  // the bytes it points to in head_bytes_, sized once: nghttp2 reads them in place until the
  // HEADERS frame is serialized.
  thread_local std::vector<nghttp2_nv> nva;
  if (nva.size() < headers.size() + 2) {
    nva.resize(headers.size() + 2);
  }
  nghttp2_nv* nv = nva.data();
  constexpr size_t kNumberRoom = 20;  // a status or a Content-Length: at most 20 digits
  size_t bytes = 2 * kNumberRoom;
  for (const auto& h : headers) {
    bytes += h.name.size() + h.value.size();
  }
  head_bytes_ = takeSpareString();
  head_bytes_.resize(bytes);
  char* p = head_bytes_.data();
  char* const end = p + bytes;
  const auto number = [&p, end](auto n) {
    char* const at = p;
    p = std::to_chars(p, end, n).ptr;
    return std::string_view(at, static_cast<size_t>(p - at));
  };
  *nv++ = makeNv(":status", number(status));
  for (const auto& h : headers) {
    copyAsciiLower(p, h.name);
    const std::string_view name(p, h.name.size());
    if (connectionSpecific(name)) {
      continue;
    }
    p += name.size();
    std::memcpy(p, h.value.data(), h.value.size());
    const std::string_view value(p, h.value.size());
    p += value.size();
    *nv++ =
        makeNv(name, value, uniquePerResponse(name) ? kNoCopy | NGHTTP2_NV_FLAG_NO_INDEX : kNoCopy);
  }
  if (content_length) {
    *nv++ = makeNv("content-length", number(*content_length));
  }
  nghttp2_data_provider provider{};
  provider.source.ptr = this;
  provider.read_callback = [](nghttp2_session*, int32_t, uint8_t* buf, size_t length,
                              uint32_t* data_flags, nghttp2_data_source* source, void*) -> ssize_t {
    return static_cast<Http2Stream*>(source->ptr)->readData(buf, length, data_flags);
  };
  const size_t count = static_cast<size_t>(nv - nva.data());
  if (nghttp2_submit_response(connection_.session(), id_, nva.data(), count, &provider) != 0) {
    abort();
    return;
  }
  connection_.scheduleFlush();
}

void Http2Stream::sendData(std::string_view bytes) {
  if (detached_ || responseEnded() || bytes.empty()) {
    return;
  }
  evbuffer_add(out_.get(), bytes.data(), bytes.size());
  if (pendingBytes() > kLowWater) {
    want_drained_ = true;
  }
  if (headers_sent_) {
    nghttp2_session_resume_data(connection_.session(), id_);  // no-op unless deferred
  }
  connection_.scheduleFlush();
}

void Http2Stream::finish() {
  if (detached_ || responseEnded()) {
    return;
  }
  finished_ = true;
  releaseHandler();
  if (!headers_sent_) {
    // A handler ending without a head: the client must not take it as complete.
    nghttp2_submit_rst_stream(connection_.session(), NGHTTP2_FLAG_NONE, id_,
                              NGHTTP2_INTERNAL_ERROR);
  } else {
    nghttp2_session_resume_data(connection_.session(), id_);
  }
  connection_.scheduleFlush();
}

void Http2Stream::abort() {
  if (detached_ || responseEnded()) {
    return;
  }
  aborted_ = true;
  releaseHandler();
  evbuffer_drain(out_.get(), evbuffer_get_length(out_.get()));
  // RST_STREAM, not END_STREAM: the client sees a broken response.
  nghttp2_submit_rst_stream(connection_.session(), NGHTTP2_FLAG_NONE, id_, NGHTTP2_INTERNAL_ERROR);
  connection_.scheduleFlush();
}

size_t Http2Stream::pendingBytes() const {
  // The stream's unsent bytes plus the connection's unwritten output: a
  // client that reads slowly (or keeps its window shut) makes this grow, and
  // the handler then pauses its upstream.
  return evbuffer_get_length(out_.get()) + (detached_ ? 0 : connection_.outputBytes());
}

ssize_t Http2Stream::readData(uint8_t* buf, size_t length, uint32_t* data_flags) {
  if (!head_bytes_.empty()) {
    // nghttp2 asks for DATA once the HEADERS frame before it went out (it submits the DATA
    // item after that frame's on_frame_send): the head's bytes are read no more.
    giveSpareString(std::move(head_bytes_));
  }
  if (aborted_) {
    return NGHTTP2_ERR_DEFERRED;  // the RST_STREAM already queued closes it
  }
  const int n = evbuffer_remove(out_.get(), buf, length);
  const size_t taken = n > 0 ? static_cast<size_t>(n) : 0;
  taken_ += taken;
  if (evbuffer_get_length(out_.get()) == 0) {
    if (finished_) {
      *data_flags |= NGHTTP2_DATA_FLAG_EOF;
      return static_cast<ssize_t>(taken);
    }
    if (taken == 0) {
      return NGHTTP2_ERR_DEFERRED;  // resumed by sendData/finish
    }
  }
  return static_cast<ssize_t>(taken);
}

bool Http2Stream::tooSlowSinceLastCheck() {
  const size_t waiting = detached_ || aborted_ ? 0 : evbuffer_get_length(out_.get());
  // A window starts at the first check that finds bytes waiting: bytes that arrived just
  // before one check are not judged until the next.
  const bool too_slow =
      waiting > 0 && DrainWatchdog::tooSlow(taken_ - taken_at_check_, waiting_at_check_);
  taken_at_check_ = taken_;
  waiting_at_check_ = waiting;
  return too_slow;
}

void Http2Stream::notifyIfDrained() {
  if (!want_drained_ || detached_ || pendingBytes() >= kLowWater) {
    return;
  }
  want_drained_ = false;
  if (handler_) {
    handler_->onSinkDrained();
  }
}

}  // namespace slotgate::gateway
