#include "gateway/downstream/http1_connection.h"

#include <event2/buffer.h>
#include <event2/bufferevent_ssl.h>

#include <algorithm>
#include <cstring>

#include "gateway/downstream/ascii.h"
#include "gateway/downstream/connection_manager.h"
#include "gateway/downstream/connection_sniffer.h"
#include "gateway/downstream/h2c_upgrade.h"
#include "gateway/event/speculative_write.h"

namespace slotgate::gateway {
namespace {

// Output above this makes the handler pause its upstream; below the low mark it resumes.
constexpr size_t kWriteLowWater = 64 << 10;
// Unparsed input kept while a request is being answered (pipelined bytes); the
// socket is still read so that a client leaving is seen at once.
constexpr size_t kReadHighWater = 256 << 10;

const char* reasonPhrase(int status) {
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

timeval toTimeval(std::chrono::milliseconds ms) {
  return timeval{static_cast<time_t>(ms.count() / 1000),
                 static_cast<suseconds_t>((ms.count() % 1000) * 1000)};
}

}  // namespace

Http1Connection::Http1Connection(Dispatcher& worker, ConnectionManager& manager,
                                 RequestDispatcher& dispatcher, BufferEventPtr bev,
                                 const Http1Limits& limits)
    : worker_(worker),
      manager_(manager),
      dispatcher_(dispatcher),
      limits_(limits),
      bev_(std::move(bev)),
      parser_(Http1Parser::Mode::kRequest,
              Http1ParserLimits{limits.max_header_bytes, limits.max_header_fields, {}}) {
  bufferevent_setcb(bev_.get(), &Http1Connection::onRead, &Http1Connection::onWrite,
                    &Http1Connection::onEvent, this);
  bufferevent_setwatermark(bev_.get(), EV_WRITE, kWriteLowWater, 0);
  bufferevent_setwatermark(bev_.get(), EV_READ, 0, kReadHighWater);
  // A client that stops reading our response cannot hold the connection forever, nor one
  // that reads it a byte at a time (the write timeout restarts on every byte written).
  timeval write_tv = toTimeval(limits_.idle_timeout);
  bufferevent_set_timeouts(bev_.get(), nullptr, &write_tv);
  drain_watchdog_ =
      std::make_unique<DrainWatchdog>(worker.base(), bufferevent_get_output(bev_.get()),
                                      limits_.idle_timeout, &Http1Connection::onSlowReader, this);
  plain_socket_ = bufferevent_openssl_get_ssl(bev_.get()) == nullptr;
  if (plain_socket_) {
    bufferevent_disable(bev_.get(), EV_WRITE);  // the sniffer may have left it on
  }
  bufferevent_enable(bev_.get(), plain_socket_ ? EV_READ : EV_READ | EV_WRITE);
  timer_.reset(evtimer_new(worker.base(), &Http1Connection::onTimer, this));
  resume_.reset(event_new(worker.base(), -1, 0, &Http1Connection::onResume, this));
  flush_.reset(event_new(worker.base(), -1, 0, &Http1Connection::onFlush, this));

  startRequest();
  // Slow clients: a new connection must send its head within header_timeout.
  armTimer(limits_.header_timeout);
  // The sniffer may have read the first bytes already; no read event will
  // announce them again.
  if (evbuffer_get_length(bufferevent_get_input(bev_.get())) > 0) {
    event_active(resume_.get(), EV_READ, 0);
  }
}

Http1Connection::~Http1Connection() {
  // The handler goes first: its destructor cancels upstream work and may not
  // see a half-destroyed sink.
  handler_.reset();
}

void Http1Connection::startRequest() {
  parser_.reset();
  request_ = IncomingRequest{};
  http10_ = false;
  keep_alive_ = true;
  response_chunked_ = false;
  response_bodyless_ = false;
  handler_paused_ = false;
}

void Http1Connection::armTimer(std::chrono::milliseconds timeout) {
  timeval tv = toTimeval(timeout);
  evtimer_add(timer_.get(), &tv);
}

// ---- input ----

void Http1Connection::onRead(bufferevent*, void* arg) {
  static_cast<Http1Connection*>(arg)->processInput();
}

void Http1Connection::onResume(evutil_socket_t, short, void* arg) {
  static_cast<Http1Connection*>(arg)->processInput();
}

void Http1Connection::processInput() {
  evbuffer* input = bufferevent_get_input(bev_.get());
  while (true) {
    const size_t available = evbuffer_get_length(input);
    if (state_ == State::kWaitingHead || state_ == State::kReadingHead) {
      if (available == 0) {
        return;
      }
      if (state_ == State::kWaitingHead) {
        state_ = State::kReadingHead;
        armTimer(limits_.header_timeout);
      }
      // One byte past the limit lets the parser tell "too large" from "incomplete".
      const size_t n = std::min(available, limits_.max_header_bytes + 1);
      const char* data = reinterpret_cast<const char*>(evbuffer_pullup(input, n));
      switch (parser_.parseHead(std::string_view(data, n))) {
        case Http1Parser::Status::kNeedMore:
          return;
        case Http1Parser::Status::kHeadComplete:
          break;
        default:
          refuseMalformed();
          return;
      }
      if (!onHead()) {
        return;  // answered at the head (e.g. 401, 413)
      }
      evbuffer_drain(input, parser_.headLength());
      if (!parser_.messageComplete()) {
        state_ = State::kReadingBody;
        // One deadline for the whole body, armed once: body bytes do not move it.
        armTimer(limits_.body_timeout);
        continue;
      }
    } else if (state_ == State::kReadingBody) {
      if (available == 0) {
        return;
      }
      size_t total = 0;
      const int n_vec = std::max(evbuffer_peek(input, -1, nullptr, nullptr, 0), 0);
      // A body usually sits in one or two chunks: those go on the stack, not the heap.
      constexpr int kStackChunks = 8;
      evbuffer_iovec stack_vec[kStackChunks];
      std::vector<evbuffer_iovec> heap_vec;
      evbuffer_iovec* vec = stack_vec;
      if (n_vec > kStackChunks) {
        heap_vec.resize(static_cast<size_t>(n_vec));
        vec = heap_vec.data();
      }
      evbuffer_peek(input, -1, nullptr, vec, n_vec);
      for (int i = 0; i < n_vec && !parser_.messageComplete(); ++i) {
        size_t consumed = 0;
        if (!readBody(std::string_view(static_cast<const char*>(vec[i].iov_base), vec[i].iov_len),
                      &consumed)) {
          return;
        }
        total += consumed;
      }
      evbuffer_drain(input, total);
      if (!parser_.messageComplete()) {
        return;  // body_timeout, armed at the end of the head, still runs
      }
    } else {
      return;  // answering, or closing: pipelined bytes wait
    }
    // A complete request.
    evtimer_del(timer_.get());
    if (upgradeToHttp2()) {
      return;  // this object is now inert, deleted on the next loop turn
    }
    state_ = State::kDispatched;
    handler_ = dispatcher_.dispatch(std::move(request_), *this);
    // start() may end the response at once (then handler_ is already handed
    // to deferDelete), so nothing here touches the handler afterwards.
    handler_->start();
    return;
  }
}

bool Http1Connection::onHead() {
  IncomingRequest& r = request_;
  r.method = parser_.method();
  const std::string_view target = http1OriginForm(parser_.target());
  const size_t q = target.find('?');
  r.path = target.substr(0, q);
  r.query = q == std::string_view::npos ? std::string_view() : target.substr(q + 1);
  // The pipeline keeps the headers beyond the input buffer: one copy, names lower-cased.
  const size_t fields = parser_.fieldCount();
  r.headers.resize(fields);
  for (size_t i = 0; i < fields; ++i) {
    const Http1Field f = parser_.field(i);
    appendAsciiLower(r.headers[i].name, f.name);
    r.headers[i].value = f.value;
  }
  http10_ = parser_.versionMinor() == 0;
  // A head refused here leaves its body unread, so its answer must close the
  // connection: the answer is written with keep-alive off.
  keep_alive_ = false;
  if (!dispatcher_.admitHead(r, *this, memo_)) {
    closeAfterFlush("refused_at_head");
    return false;
  }
  keep_alive_ = parser_.keepAlive();
  const bool has_body = !parser_.messageComplete();
  if (parser_.framing() == Http1Framing::kContentLength &&
      parser_.contentLength() > limits_.max_request_body) {
    refuse(CodecReject::kBodyTooLarge);
    return false;
  }
  if (has_body) {
    const std::string* expect = findHeader(r.headers, "expect");
    if (expect != nullptr && iequalsAscii(*expect, "100-continue")) {
      static constexpr char kContinue[] = "HTTP/1.1 100 Continue\r\n\r\n";
      bufferevent_write(bev_.get(), kContinue, sizeof kContinue - 1);
      scheduleFlush();
    }
    if (parser_.framing() == Http1Framing::kContentLength) {
      // Up to 1 MiB ahead of the bytes: a Content-Length alone (up to
      // max_request_body, 1 GiB at most) must not reserve memory the client
      // never sends; larger bodies grow geometrically as they arrive.
      r.body.reserve(std::min<uint64_t>(parser_.contentLength(), 1u << 20));
    }
  }
  return true;
}

bool Http1Connection::readBody(std::string_view span, size_t* consumed) {
  *consumed = 0;
  while (!span.empty()) {
    const Http1Parser::BodyStep step = parser_.readBody(span);
    if (step.status == Http1Parser::Status::kError) {
      refuseMalformed();
      return false;
    }
    if (request_.body.size() + step.data.size() > limits_.max_request_body) {
      refuse(CodecReject::kBodyTooLarge);
      return false;
    }
    request_.body.append(step.data);
    *consumed += step.consumed;
    span.remove_prefix(step.consumed);
    if (step.status == Http1Parser::Status::kMessageComplete) {
      break;  // what follows is the next (pipelined) request
    }
  }
  return true;
}

void Http1Connection::refuseMalformed() {
  // The error format follows the path when the request line was read.
  if (request_.path.empty() && !parser_.target().empty()) {
    request_.method = parser_.method();
    const std::string_view target = http1OriginForm(parser_.target());
    request_.path = target.substr(0, target.find('?'));
  }
  refuse(isHttp1LimitError(parser_.error()) ? CodecReject::kHeadersTooLarge
                                            : CodecReject::kMalformed);
}

bool Http1Connection::upgradeToHttp2() {
  // TLS connections negotiate h2 with ALPN only (RFC 9113 3.2); HTTP/1.0 has
  // no 101. A draining server takes no new HTTP/2 connection.
  if (!plain_socket_ || http10_ || draining_ || pipelined_) {
    return false;
  }
  std::optional<std::string> settings = h2cUpgradeSettings(request_.headers);
  if (!settings) {
    return false;
  }
  // Bytes after the request must be the start of the HTTP/2 preface (a client
  // that did not wait for the 101); an HTTP/1.1 request pipelined behind this
  // one would be lost in the switch.
  evbuffer* input = bufferevent_get_input(bev_.get());
  const size_t n = std::min(evbuffer_get_length(input), kHttp2Preface.size());
  if (n > 0 &&
      matchPreface(std::string_view(reinterpret_cast<const char*>(evbuffer_pullup(input, n)), n)) ==
          PrefaceMatch::kOther) {
    return false;
  }
  bufferevent_write(bev_.get(), kSwitchingToH2c.data(), kSwitchingToH2c.size());
  // Nothing of this object may run again: the bufferevent, its buffered
  // output (a 100 Continue, the 101) and input go to the HTTP/2 connection.
  state_ = State::kClosing;
  evtimer_del(timer_.get());
  event_del(resume_.get());
  event_del(flush_.get());
  drain_watchdog_->stop();
  bufferevent_setcb(bev_.get(), nullptr, nullptr, nullptr, nullptr);
  stripUpgradeHopHeaders(request_.headers);
  H2cUpgrade upgrade{std::move(*settings), std::move(request_)};
  manager_.upgradeToHttp2(*this, std::move(bev_), std::move(upgrade));
  return true;
}

void Http1Connection::refuse(CodecReject reason) {
  evtimer_del(timer_.get());
  keep_alive_ = false;
  state_ = State::kResponding;
  dispatcher_.reject(reason, request_, *this);
  if (state_ != State::kClosing) {
    closeAfterFlush("refused");
  }
}

// ---- output (ResponseSink) ----

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
  head.clear();
  head += "HTTP/1.1 ";
  head += std::to_string(status);
  head += ' ';
  head += reasonPhrase(status);
  head += "\r\n";
  for (const auto& h : headers) {
    head += h.name;
    head += ": ";
    head += h.value;
    head += "\r\n";
  }
  response_bodyless_ = status < 200 || status == 204 || status == 304;
  if (response_bodyless_) {
    // 1xx, 204 and 304 have no content (RFC 9110 6.4.1, 8.6): no framing fields, and
    // sendData() drops whatever a handler might pass.
  } else if (content_length) {
    head += "content-length: ";
    head += std::to_string(*content_length);
    head += "\r\n";
  } else if (http10) {
    keep_alive_ = false;  // close-delimited body
  } else {
    response_chunked_ = true;
    head += "transfer-encoding: chunked\r\n";
  }
  if (!keep_alive_) {
    head += "connection: close\r\n";
  } else if (http10) {
    head += "connection: keep-alive\r\n";
  }
  head += "\r\n";
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
  pipelined_ = evbuffer_get_length(bufferevent_get_input(bev_.get())) > 0;
  armTimer(limits_.idle_timeout);
  // Pipelined bytes may already be buffered; parse them on the next loop turn.
  event_active(resume_.get(), EV_READ, 0);
}

void Http1Connection::scheduleFlush() {
  if (plain_socket_ && bev_ != nullptr) {
    event_active(flush_.get(), EV_WRITE, 0);  // no-op when already scheduled
  }
}

void Http1Connection::onFlush(evutil_socket_t, short, void* arg) {
  auto* c = static_cast<Http1Connection*>(arg);
  if (c->bev_ == nullptr) {
    return;
  }
  evbuffer* out = bufferevent_get_output(c->bev_.get());
  if (evbuffer_get_length(out) > 0) {
    writeNow(c->bev_.get());
  }
  if (evbuffer_get_length(out) > 0) {
    // The socket is full: the bufferevent writes the rest when it can, with
    // the write timeout and the drain callback.
    bufferevent_enable(c->bev_.get(), EV_WRITE);
    return;
  }
  if (c->state_ == State::kClosing) {
    c->closeFlushed();
  } else if (c->handler_) {
    c->handler_->onSinkDrained();  // a handler paused at the high mark resumes
  }
}

void Http1Connection::onWrite(bufferevent*, void* arg) {
  auto* c = static_cast<Http1Connection*>(arg);
  if (c->plain_socket_ && c->pendingBytes() == 0) {
    bufferevent_disable(c->bev_.get(), EV_WRITE);  // back to writing at the end of loop turns
  }
  if (c->state_ == State::kClosing) {
    if (c->pendingBytes() == 0) {
      c->closeFlushed();
    }
    return;
  }
  if (c->handler_) {
    c->handler_->onSinkDrained();
  }
}

void Http1Connection::onEvent(bufferevent*, short what, void* arg) {
  auto* c = static_cast<Http1Connection*>(arg);
  if (what & BEV_EVENT_TIMEOUT) {
    c->closeNow("write_timeout");
  } else if (what & BEV_EVENT_EOF) {
    c->closeNow(c->state_ == State::kClosing ? c->close_reason_ : "client_closed");
  } else if (what & BEV_EVENT_ERROR) {
    c->closeNow("client_error");
  }
}

void Http1Connection::onTimer(evutil_socket_t, short, void* arg) {
  auto* c = static_cast<Http1Connection*>(arg);
  switch (c->state_) {
    case State::kWaitingHead:
      c->closeNow("idle_timeout");
      break;
    case State::kReadingHead:
      c->manager_.countReject(CodecReject::kHeaderTimeout);
      c->closeNow("header_timeout");
      break;
    case State::kReadingBody:
      c->manager_.countReject(CodecReject::kBodyTimeout);
      c->closeNow("body_timeout");
      break;
    case State::kClosing:
      c->closeNow(c->close_reason_);
      break;
    default:
      break;
  }
}

void Http1Connection::onSlowReader(void* arg) {
  // The handler (if any) goes with the connection: its upstream is cancelled and both slots
  // are freed.
  static_cast<Http1Connection*>(arg)->closeNow("slow_reader");
}

void Http1Connection::closeAfterFlush(const char* reason) {
  if (bev_ == nullptr) {
    return;
  }
  state_ = State::kClosing;
  close_reason_ = reason;
  bufferevent_disable(bev_.get(), EV_READ);
  if (pendingBytes() == 0) {
    closeFlushed();
    return;
  }
  bufferevent_setwatermark(bev_.get(), EV_WRITE, 0, 0);
  scheduleFlush();
  // Bound the flush: a client that never reads is dropped after idle_timeout.
  armTimer(limits_.idle_timeout);
}

void Http1Connection::closeFlushed() {
  if (bev_ == nullptr) {
    return;
  }
  if (parser_.messageComplete()) {
    closeNow(close_reason_);
    return;
  }
  // The answer went out before the request was read to its end: the rest of it may still
  // be arriving, and a close now would reset the connection under the client's upload.
  state_ = State::kClosing;
  evtimer_del(timer_.get());
  event_del(resume_.get());
  event_del(flush_.get());
  drain_watchdog_->stop();  // the buffer it watches goes with bev_
  handler_.reset();
  manager_.lingerThenClose(*this, std::move(bev_),
                           close_reason_ == nullptr ? "closed" : close_reason_);
}

void Http1Connection::closeNow(const char* reason) {
  if (bev_ == nullptr) {
    return;
  }
  state_ = State::kClosing;
  evtimer_del(timer_.get());
  event_del(resume_.get());
  event_del(flush_.get());
  drain_watchdog_->stop();  // before the buffer it watches goes
  bev_.reset();             // closes the socket
  // The client left before its response completed: cancel now. (Sink calls
  // that end a response hand the handler to deferDelete first, so a handler
  // still here is never on the stack.)
  handler_.reset();
  manager_.onClosed(*this, reason == nullptr ? "closed" : reason);
}

void Http1Connection::drain() {
  draining_ = true;
  if (state_ == State::kWaitingHead) {
    closeNow("draining");
  }
}

}  // namespace slotgate::gateway
