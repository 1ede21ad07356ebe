// Http1Connection, reading requests: the input loop, the head and the body through the
// strict parser, refusals, and the h2c upgrade.
#include <event2/buffer.h>
#include <event2/bufferevent_ssl.h>

#include <algorithm>
#include <cstring>

#include "gateway/downstream/ascii.h"
#include "gateway/downstream/connection_manager.h"
#include "gateway/downstream/connection_sniffer.h"
#include "gateway/downstream/h2c_upgrade.h"
#include "gateway/downstream/http1_connection.h"

namespace slotgate::gateway {

void Http1Connection::onRead(bufferevent*, void* arg) {
  static_cast<Http1Connection*>(arg)->processInput();
}

void Http1Connection::onResume() { processInput(); }

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
      // Answering, or closing: pipelined bytes wait. At the input's high mark libevent (2.1.12,
      // bufferevent_inbuf_wm_check) runs this callback again on every loop turn until the
      // input shrinks, which it cannot before the answer ends: one client pipelining 256 KiB
      // behind a stream would spin the worker. Reading stops at the mark anyway, so turning it
      // off here loses nothing; responseDone turns it back on.
      if (state_ != State::kClosing && available >= kReadHighWater) {
        bufferevent_disable(bev_.get(), EV_READ);
        read_parked_ = true;
      }
      return;
    }
    // A complete request.
    timer_.cancel();
    if (upgradeToHttp2()) {
      return;  // this object is now inert, deleted on the next loop turn
    }
    state_ = State::kDispatched;
    handler_ = dispatcher_.dispatch(std::move(request_), *this);  // request_ is null now
    // start() may end the response at once (then handler_ is already handed
    // to deferDelete), so nothing here touches the handler afterwards.
    handler_->start();
    return;
  }
}

bool Http1Connection::onHead() {
  IncomingRequest& r = *request_;
  r.method = parser_.method();
  const std::string_view target = http1OriginForm(parser_.target());
  const size_t q = target.find('?');
  r.path = target.substr(0, q);
  r.query = q == std::string_view::npos ? std::string_view() : target.substr(q + 1);
  // The pipeline keeps the headers beyond the input buffer: one copy, names lower-cased, into
  // spare strings of earlier requests (request_recycler.h).
  const size_t fields = parser_.fieldCount();
  r.headers.swap(header_store_);  // r.headers was empty: header_store_ keeps no request's fields
  r.headers.resize(fields);
  for (size_t i = 0; i < fields; ++i) {
    const Http1Field f = parser_.field(i);
    Header& h = r.headers[i];
    h.name.clear();
    appendAsciiLower(h.name, f.name);
    h.value.assign(f.value);
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
    if (request_->body.size() + step.data.size() > limits_.max_request_body) {
      refuse(CodecReject::kBodyTooLarge);
      return false;
    }
    request_->body.append(step.data);
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
  if (request_->path.empty() && !parser_.target().empty()) {
    request_->method = parser_.method();
    const std::string_view target = http1OriginForm(parser_.target());
    request_->path = target.substr(0, target.find('?'));
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
  std::optional<std::string> settings = h2cUpgradeSettings(request_->headers);
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
  timer_.cancel();
  resume_.cancel();
  flush_.cancel();
  drain_watchdog_->stop();
  bufferevent_setcb(bev_.get(), nullptr, nullptr, nullptr, nullptr);
  stripUpgradeHopHeaders(request_->headers);
  H2cUpgrade upgrade{std::move(*settings), std::move(request_)};
  manager_.upgradeToHttp2(*this, std::move(bev_), std::move(upgrade));
  return true;
}

void Http1Connection::refuse(CodecReject reason) {
  timer_.cancel();
  keep_alive_ = false;
  state_ = State::kResponding;
  dispatcher_.reject(reason, *request_, *this);
  if (state_ != State::kClosing) {
    closeAfterFlush("refused");
  }
}

}  // namespace slotgate::gateway
