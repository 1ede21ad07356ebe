#include "gateway/downstream/http1_connection.h"

#include <event2/buffer.h>
#include <event2/bufferevent_ssl.h>

#include <algorithm>
#include <cstring>

#include "gateway/downstream/ascii.h"
#include "gateway/downstream/connection_manager.h"
#include "gateway/downstream/connection_sniffer.h"
#include "gateway/downstream/h2c_upgrade.h"
#include "gateway/downstream/request_recycler.h"
#include "gateway/event/plain_socket_read.h"
#include "gateway/event/speculative_write.h"
#include "gateway/event/timeval.h"

namespace slotgate::gateway {
namespace {

// Output above this makes the handler pause its upstream; below the low mark it resumes.
constexpr size_t kWriteLowWater = 64 << 10;

}  // namespace

Http1Connection::Http1Connection(Dispatcher& worker, ConnectionManager& manager,
                                 RequestDispatcher& dispatcher, BufferEventPtr bev,
                                 const Http1Limits& limits)
    : worker_(worker),
      manager_(manager),
      dispatcher_(dispatcher),
      limits_(limits),
      bev_(std::move(bev)),
      timer_(worker.base(), [this] { onTimer(); }),
      resume_(worker.base(), [this] { onResume(); }),
      flush_(worker.base(), [this] { onFlush(); }),
      parser_(Http1Parser::Mode::kRequest,
              Http1ParserLimits{limits.max_header_bytes, limits.max_header_fields, {}}) {
  bufferevent_setcb(bev_.get(), &Http1Connection::onRead, &Http1Connection::onWrite,
                    &Http1Connection::onEvent, this);
  bufferevent_setwatermark(bev_.get(), EV_WRITE, kWriteLowWater, 0);
  setReadHighWater(bev_.get(), kReadHighWater);  // on a plain socket, without libevent's callback
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

  startRequest();
  // Slow clients: a new connection must send its head within header_timeout.
  armTimer(limits_.header_timeout);
  // The sniffer may have read the first bytes already; no read event will
  // announce them again.
  if (evbuffer_get_length(bufferevent_get_input(bev_.get())) > 0) {
    resume_.schedule();
  }
}

Http1Connection::~Http1Connection() {
  // The handler goes first: its destructor cancels upstream work and may not
  // see a half-destroyed sink.
  handler_.reset();
}

void Http1Connection::startRequest() {
  parser_.reset();
  // The next request comes from this thread's spares (one not handed on goes back there): no
  // allocation for a request like the ones before (issue 12).
  request_ = takeSpareRequest(header_store_);
  http10_ = false;
  keep_alive_ = true;
  response_chunked_ = false;
  response_bodyless_ = false;
  handler_paused_ = false;
}

void Http1Connection::armTimer(std::chrono::milliseconds timeout) { timer_.arm(timeout); }

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

void Http1Connection::onTimer() {
  switch (state_) {
    case State::kWaitingHead:
      closeNow("idle_timeout");
      break;
    case State::kReadingHead:
      manager_.countReject(CodecReject::kHeaderTimeout);
      closeNow("header_timeout");
      break;
    case State::kReadingBody:
      manager_.countReject(CodecReject::kBodyTimeout);
      closeNow("body_timeout");
      break;
    case State::kClosing:
      closeNow(close_reason_);
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
  timer_.cancel();
  resume_.cancel();
  flush_.cancel();
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
  timer_.cancel();
  resume_.cancel();
  flush_.cancel();
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
