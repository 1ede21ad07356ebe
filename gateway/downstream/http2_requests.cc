// Http2Connection, request side: the nghttp2 callbacks that build each
// stream's IncomingRequest, enforce the header and body limits, hand complete
// requests to the dispatcher and end streams. They run inside
// nghttp2_session_mem_recv/mem_send and so never close the connection.
#include <cstdlib>

#include "gateway/downstream/connection_manager.h"
#include "gateway/downstream/http2_connection.h"

namespace slotgate::gateway {
namespace {

// HPACK per-field overhead counted against max_header_bytes (RFC 9113 6.5.2).
constexpr size_t kHeaderFieldOverhead = 32;

}  // namespace

void Http2Connection::acceptUpgrade(H2cUpgrade upgrade) {
  // The HTTP2-Settings payload was validated before the 101 went out, so this
  // fails only on a bug or out of memory: the client then gets a GOAWAY.
  const bool head_request = upgrade.request->method == "HEAD";
  if (nghttp2_session_upgrade2(
          session_.get(), reinterpret_cast<const uint8_t*>(upgrade.settings_payload.data()),
          upgrade.settings_payload.size(), head_request ? 1 : 0, nullptr) != 0) {
    terminate(NGHTTP2_INTERNAL_ERROR, "h2c_upgrade_failed");
    return;
  }
  constexpr int32_t kUpgradeStream = 1;
  stream_ids_.onUpgradeStream(kUpgradeStream);
  auto s = std::make_unique<Http2Stream>(*this, kUpgradeStream);
  body_bytes_buffered_ += upgrade.request->body.size();  // dispatch() accounts it back
  s->setRequest(std::move(upgrade.request));
  s->setRequestComplete();
  streams_.emplace(kUpgradeStream, std::move(s));
  reset_guard_.onStreamOpened(Http2ResetGuard::Clock::now());
  // The HTTP/1.1 side already read a complete head: no header timeout.
  first_request_seen_ = true;
  upgraded_stream_pending_ = true;
}

int Http2Connection::onBeginFrame(const nghttp2_frame_hd& hd) {
  if (hd.type == NGHTTP2_HEADERS &&
      !stream_ids_.onHeadersFrame(hd.stream_id, stream(hd.stream_id) != nullptr)) {
    // RFC 9113 5.1.1: a HEADERS frame on an identifier lower than one the
    // client already opened, for no open stream. nghttp2 would ignore it.
    terminate(NGHTTP2_PROTOCOL_ERROR, "h2_protocol_error");
  }
  return 0;
}

int Http2Connection::onFrameSend(const nghttp2_frame* frame) {
  if (frame->hd.type == NGHTTP2_RST_STREAM) {
    stream_ids_.onResetSent(frame->hd.stream_id);
  }
  return 0;
}

int Http2Connection::onBeginHeaders(const nghttp2_frame* frame) {
  if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST) {
    return 0;
  }
  auto s = std::make_unique<Http2Stream>(*this, frame->hd.stream_id);
  s->beginRequest();
  s->setHeadOpen(true);
  streams_.emplace(frame->hd.stream_id, std::move(s));
  reset_guard_.onStreamOpened(Http2ResetGuard::Clock::now());
  return 0;
}

int Http2Connection::onHeader(const nghttp2_frame* frame, std::string_view name,
                              std::string_view value) {
  Http2Stream* s = stream(frame->hd.stream_id);
  if (s == nullptr || !s->headOpen()) {
    return 0;  // trailers are not forwarded
  }
  s->countHeader(name.size() + value.size() + kHeaderFieldOverhead, limits_.max_header_bytes,
                 limits_.max_header_fields);
  if (s->headerTooLarge()) {
    return 0;  // answered with 431 once the block is complete
  }
  IncomingRequest& r = s->request();
  if (!name.empty() && name[0] == ':') {
    if (name == ":method") {
      r.method.assign(value);
    } else if (name == ":path") {
      const size_t q = value.find('?');
      r.path.assign(value.substr(0, q));
      r.query.assign(q == std::string_view::npos ? std::string_view{} : value.substr(q + 1));
    } else if (name == ":authority") {
      s->addField("host", value);
    }
    return 0;  // :scheme is implied by the listener
  }
  if (name == "host") {
    // :authority wins (RFC 9113 8.3.1); keep one host header.
    if (findHeader(r.headers, "host") != nullptr) {
      return 0;
    }
  }
  s->addField(name, value);
  return 0;
}

int Http2Connection::onFrameRecv(const nghttp2_frame* frame) {
  const int32_t id = frame->hd.stream_id;
  switch (frame->hd.type) {
    case NGHTTP2_HEADERS: {
      Http2Stream* s = stream(id);
      if (s == nullptr) {
        return 0;
      }
      if (s->headOpen()) {
        s->setHeadOpen(false);
        first_request_seen_ = true;
        if ((frame->hd.flags & NGHTTP2_FLAG_END_STREAM) == 0) {
          // One deadline for the whole body, from the end of the head; DATA does not move it.
          s->setBodyDeadline(std::chrono::steady_clock::now() + limits_.body_timeout);
          armBodyTimer();
        }
        headersComplete(*s);
      }
      break;
    }
    case NGHTTP2_DATA:
      break;
    case NGHTTP2_RST_STREAM: {
      Http2Stream* s = stream(id);
      if (s != nullptr && !s->responseEnded() &&
          reset_guard_.onClientReset(Http2ResetGuard::Clock::now())) {
        terminate(NGHTTP2_ENHANCE_YOUR_CALM, "h2_rapid_reset");
      }
      return 0;
    }
    default:
      return 0;
  }
  if ((frame->hd.flags & NGHTTP2_FLAG_END_STREAM) != 0) {
    Http2Stream* s = stream(id);
    if (s != nullptr) {
      s->setRequestComplete();
      if (!s->ignoringRequest() && !s->dispatched()) {
        dispatch(*s);
      }
    }
  }
  return 0;
}

void Http2Connection::headersComplete(Http2Stream& s) {
  s.endFields();
  IncomingRequest& r = s.request();
  if (s.headerTooLarge()) {
    refuse(s, CodecReject::kHeadersTooLarge);
    return;
  }
  if (const std::string* cl = findHeader(r.headers, "content-length")) {
    char* end = nullptr;
    const unsigned long long v = std::strtoull(cl->c_str(), &end, 10);
    if (end != cl->c_str() && *end == '\0' && v > limits_.max_request_body) {
      refuse(s, CodecReject::kBodyTooLarge);
      return;
    }
  }
  if (!dispatcher_.admitHead(r, s, memo_)) {
    s.ignoreRequest();  // answered (e.g. 401); the rest of the request is dropped
  }
}

void Http2Connection::dispatch(Http2Stream& s) {
  body_bytes_buffered_ -= s.request().body.size();
  RequestHandlerPtr handler = dispatcher_.dispatch(s.takeRequest(), s);
  RequestHandler* raw = handler.get();
  s.setHandler(std::move(handler));
  // start() may end the response at once (the stream then hands the handler
  // to deferDelete), so raw stays valid for this call.
  raw->start();
}

void Http2Connection::refuse(Http2Stream& s, CodecReject reason) {
  s.ignoreRequest();
  releaseBody(s);
  dispatcher_.reject(reason, s.request(), s);
}

void Http2Connection::releaseBody(Http2Stream& s) {
  std::string& body = s.request().body;
  body_bytes_buffered_ -= body.size();
  std::string().swap(body);
}

int Http2Connection::onDataChunk(int32_t stream_id, const uint8_t* data, size_t len) {
  Http2Stream* s = stream(stream_id);
  if (s == nullptr || s->ignoringRequest() || s->dispatched()) {
    return 0;
  }
  std::string& body = s->request().body;
  // Each body is bounded, and so is their sum per connection: without it a
  // client could park max_request_body in every one of its streams.
  const uint64_t connection_cap = 2 * limits_.max_request_body + (1 << 20);
  if (body.size() + len > limits_.max_request_body || body_bytes_buffered_ + len > connection_cap) {
    refuse(*s, CodecReject::kBodyTooLarge);
    return 0;
  }
  body.append(reinterpret_cast<const char*>(data), len);
  body_bytes_buffered_ += len;
  return 0;
}

int Http2Connection::onStreamClose(int32_t stream_id, uint32_t) {
  auto it = streams_.find(stream_id);
  if (it == streams_.end()) {
    return 0;
  }
  Http2StreamPtr s = std::move(it->second);
  streams_.erase(it);
  if (last_stream_ == s.get()) {
    last_stream_ = nullptr;
  }
  if (!s->dispatched()) {
    releaseBody(*s);
  }
  s->detach();
  // A handler still attached means the response did not finish (client
  // RST_STREAM, or the connection failing): deleting the stream deletes it
  // first, which cancels its upstream request and frees its slots. Deferred
  // because nghttp2 is on the stack.
  worker_.deferredDelete(std::move(s));
  return 0;
}

}  // namespace slotgate::gateway
