// Http1Connection as the pipeline's ResponseSink: the status line and headers, plain or
// chunked bodies, and writing them out at the end of the loop turn.
#include <event2/buffer.h>

#include <algorithm>
#include <charconv>
#include <cstring>

#include "gateway/downstream/ascii.h"
#include "gateway/downstream/connection_manager.h"
#include "gateway/downstream/http1_connection.h"
#include "gateway/event/speculative_write.h"

namespace slotgate::gateway {
namespace {

std::string_view reasonPhrase(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 204:
      return "No Content";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 413:
      return "Content Too Large";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    default:
      return "Status";
  }
}

char* put(char* out, std::string_view s) {
  std::memcpy(out, s.data(), s.size());
  return out + s.size();
}

}  // namespace

void Http1Connection::sendHeaders(int status, const Headers& headers,
                                  std::optional<uint64_t> content_length) {
  if (bev_ == nullptr) {
    return;
  }
  if (state_ != State::kClosing) {
    state_ = State::kResponding;
  }
  const bool http10 = http10_;
  if (draining_) {
    keep_alive_ = false;
  }
  // Reused from one response to the next on this thread, so a head costs no allocation:
  // bufferevent_write below copies it before anything else can run here.
  constexpr size_t kMaxKeptHeadBytes = 16 << 10;
  thread_local std::string head;
  // Sized once for the worst case and written through a pointer: no capacity check per piece.
  constexpr size_t kStatusLineMax = 64;  // "HTTP/1.1 ", the code, the longest reason, CRLF
  constexpr size_t kFramingMax = 80;     // content-length or transfer-encoding, connection, CRLF
  size_t worst = kStatusLineMax + kFramingMax;
  for (const auto& h : headers) {
    worst += h.name.size() + h.value.size() + 4;
  }
  head.resize(worst);
  char* const begin = head.data();
  char* out = put(begin, "HTTP/1.1 ");
  out = std::to_chars(out, out + 11, status).ptr;
  *out++ = ' ';
  out = put(out, reasonPhrase(status));
  out = put(out, "\r\n");
  for (const auto& h : headers) {
    out = put(out, h.name);
    out = put(out, ": ");
    out = put(out, h.value);
    out = put(out, "\r\n");
  }
  response_bodyless_ = status < 200 || status == 204 || status == 304;
  if (response_bodyless_) {
    // 1xx, 204 and 304 have no content (RFC 9110 6.4.1, 8.6): no framing fields, and
    // sendData() drops whatever a handler might pass.
  } else if (content_length) {
    out = put(out, "content-length: ");
    out = std::to_chars(out, out + 20, *content_length).ptr;
    out = put(out, "\r\n");
  } else if (http10) {
    keep_alive_ = false;  // close-delimited body
  } else {
    response_chunked_ = true;
    out = put(out, "transfer-encoding: chunked\r\n");
  }
  if (!keep_alive_) {
    out = put(out, "connection: close\r\n");
  } else if (http10) {
    out = put(out, "connection: keep-alive\r\n");
  }
  out = put(out, "\r\n");
  head.resize(static_cast<size_t>(out - begin));
  bufferevent_write(bev_.get(), head.data(), head.size());
  if (head.capacity() > kMaxKeptHeadBytes) {
    std::string().swap(head);  // an unusually large head is not kept for the thread's life
  }
  scheduleFlush();
}

void Http1Connection::sendData(std::string_view bytes) {
  if (bev_ == nullptr || bytes.empty() || response_bodyless_) {
    return;
  }
  evbuffer* out = bufferevent_get_output(bev_.get());
  if (response_chunked_) {
    char size_line[24];
    const int n = std::snprintf(size_line, sizeof size_line, "%zx\r\n", bytes.size());
    evbuffer_add(out, size_line, static_cast<size_t>(n));
    evbuffer_add(out, bytes.data(), bytes.size());
    evbuffer_add(out, "\r\n", 2);
  } else {
    evbuffer_add(out, bytes.data(), bytes.size());
  }
  scheduleFlush();
}

void Http1Connection::finish() {
  if (bev_ == nullptr) {
    return;
  }
  if (response_chunked_) {
    bufferevent_write(bev_.get(), "0\r\n\r\n", 5);
    scheduleFlush();
  }
  responseDone();
}

void Http1Connection::abort() {
  if (bev_ == nullptr) {
    return;
  }
  // No terminating chunk: the client sees a broken response, not a clean end.
  keep_alive_ = false;
  if (handler_) {
    worker_.deferredDelete(std::move(handler_));
  }
  closeAfterFlush("response_aborted");
}

size_t Http1Connection::pendingBytes() const {
  return bev_ ? evbuffer_get_length(bufferevent_get_output(bev_.get())) : 0;
}

void Http1Connection::responseDone() {
  // Called from inside the handler: it may be on the stack, so defer its deletion.
  if (handler_) {
    worker_.deferredDelete(std::move(handler_));
  }
  if (state_ == State::kClosing) {
    return;
  }
  if (!keep_alive_ || draining_) {
    closeAfterFlush(draining_ ? "draining" : "not_keep_alive");
    return;
  }
  startRequest();
  state_ = State::kWaitingHead;
  if (read_parked_) {
    read_parked_ = false;
    bufferevent_enable(bev_.get(), EV_READ);
  }
  pipelined_ = evbuffer_get_length(bufferevent_get_input(bev_.get())) > 0;
  armTimer(limits_.idle_timeout);
  // Pipelined bytes may already be buffered; parse them on the next loop turn.
  resume_.schedule();
}

void Http1Connection::scheduleFlush() {
  if (plain_socket_ && bev_ != nullptr) {
    flush_.schedule();  // no-op when already scheduled
  }
}

void Http1Connection::onFlush() {
  if (bev_ == nullptr) {
    return;
  }
  evbuffer* out = bufferevent_get_output(bev_.get());
  if (evbuffer_get_length(out) > 0) {
    writeNow(bev_.get());
  }
  if (evbuffer_get_length(out) > 0) {
    // The socket is full: the bufferevent writes the rest when it can, with
    // the write timeout and the drain callback.
    bufferevent_enable(bev_.get(), EV_WRITE);
    return;
  }
  if (state_ == State::kClosing) {
    closeFlushed();
  } else if (handler_) {
    handler_->onSinkDrained();  // a handler paused at the high mark resumes
  }
}

}  // namespace slotgate::gateway
