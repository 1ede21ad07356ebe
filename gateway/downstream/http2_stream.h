// One HTTP/2 stream of an Http2Connection: the request being received and
// the ResponseSink its handler answers through. Response bytes wait in the
// stream's own buffer until nghttp2 pulls them (flow control permitting).
//
// Lifetime: owned by its connection while nghttp2 knows the stream; at
// on_stream_close it is detached (every sink call becomes a no-op) and
// deleted on the next loop turn, handler first. Loop-thread only.
#pragma once

#include <event2/buffer.h>
#include <nghttp2/nghttp2.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "gateway/downstream/http_message.h"
#include "gateway/downstream/request_handler.h"
#include "gateway/event/dispatcher.h"
#include "gateway/event/thread_pooled.h"

namespace slotgate::gateway {

class Http2Connection;

struct EvBufferDeleter {
  void operator()(evbuffer* p) const noexcept { evbuffer_free(p); }
};
using EvBufferPtr = std::unique_ptr<evbuffer, EvBufferDeleter>;

// Its memory comes from the worker's free list (thread_pooled.h): one per stream, no malloc.
class Http2Stream final : public ResponseSink, public Deletable, public ThreadPooled<Http2Stream> {
 public:
  // Above this the stream asks for onSinkDrained once below kLowWater.
  static constexpr size_t kLowWater = 64 << 10;

  Http2Stream(Http2Connection& connection, int32_t id);
  ~Http2Stream() override;

  // ResponseSink
  void sendHeaders(int status, const Headers& headers,
                   std::optional<uint64_t> content_length) override;
  void sendData(std::string_view bytes) override;
  void finish() override;
  void abort() override;
  size_t pendingBytes() const override;

  int32_t id() const { return id_; }
  // The request being received: from beginRequest() (or setRequest()) until takeRequest().
  IncomingRequest& request() { return *request_; }
  void setRequest(IncomingRequestPtr&& request) { request_ = std::move(request); }
  IncomingRequestPtr takeRequest() { return std::move(request_); }

  // The request is built in spare storage of the thread (request_recycler.h): its strings and
  // header entries keep their buffers from earlier requests, and the fields are assigned into
  // them in order (issue 12: no allocation for a request like the ones before).
  void beginRequest();
  void addField(std::string_view name, std::string_view value);
  // The header block ended: entries not assigned are dropped.
  void endFields();

  // Request side, driven by the connection.
  bool headerTooLarge() const {
    return header_bytes_ > max_header_bytes_ || header_fields_ > max_header_fields_;
  }
  void countHeader(size_t bytes, size_t max_header_bytes, size_t max_header_fields);
  bool ignoringRequest() const { return ignore_request_; }
  // Answered before the request was complete (refused head, 413): the rest
  // of the upload is read and dropped. No RST_STREAM(NO_ERROR) after the
  // answer: RFC 9113 8.1 allows it, but clients such as curl 7.88 then report
  // the complete answer as a stream error. An upload that never ends is cut by
  // idle_timeout (the connection counts as idle).
  void ignoreRequest() { ignore_request_ = true; }
  bool requestComplete() const { return request_complete_; }
  void setRequestComplete() { request_complete_ = true; }
  bool dispatched() const { return dispatched_; }
  // Between the first HEADERS frame and the end of its header block.
  bool headOpen() const { return head_open_; }
  void setHeadOpen(bool open) { head_open_ = open; }
  void setHandler(RequestHandlerPtr handler);
  RequestHandler* handler() { return handler_.get(); }

  // Response side.
  // nghttp2's data source read callback.
  ssize_t readData(uint8_t* buf, size_t length, uint32_t* data_flags);
  bool responseEnded() const { return finished_ || aborted_; }
  // Called by the connection after output drained; may run the handler.
  void notifyIfDrained();
  // The handler waits for onSinkDrained (its output went over kLowWater).
  bool wantsDrained() const { return want_drained_; }
  // Called every idle_timeout. True when response bytes waited here at this
  // and the previous call and nghttp2 took fewer of them in between than the
  // slow-reader rule asks (DrainWatchdog::tooSlow): the client kept its
  // flow-control window shut, or opened it a trickle at a time, for a whole
  // idle_timeout.
  bool tooSlowSinceLastCheck();
  // Request body still expected (head complete, no END_STREAM yet) and the
  // time by which it must have ended (end of the head + body_timeout).
  bool awaitingBody() const { return !head_open_ && !request_complete_; }
  void setBodyDeadline(std::chrono::steady_clock::time_point at) { body_deadline_ = at; }
  std::chrono::steady_clock::time_point bodyDeadline() const { return body_deadline_; }
  // nghttp2 closed the stream: no further call reaches nghttp2 or the connection.
  void detach() { detached_ = true; }
  bool detached() const { return detached_; }

 private:
  void releaseHandler();

  Http2Connection& connection_;
  int32_t id_;
  IncomingRequestPtr request_;
  size_t fields_ = 0;  // request_.headers entries assigned so far
  size_t header_bytes_ = 0;
  size_t header_fields_ = 0;
  size_t max_header_bytes_ = SIZE_MAX;
  size_t max_header_fields_ = SIZE_MAX;
  bool ignore_request_ = false;
  bool request_complete_ = false;
  bool dispatched_ = false;
  bool head_open_ = false;
  RequestHandlerPtr handler_;

  EvBufferPtr out_;
  // The response head's names (lower-cased) and values, which nghttp2 reads in place
  // (NGHTTP2_NV_FLAG_NO_COPY_NAME/VALUE) until it has serialized the HEADERS frame: held from
  // sendHeaders to the first readData (nghttp2 asks for DATA only after the HEADERS frame's
  // on_frame_send), or to the destructor when the frame never goes out (the stream closed
  // first: nghttp2 drops the frame unread; the session is deleted after the streams, and frees
  // its queued frames unread). A buffer of the thread's spare strings (spare_strings.h): no
  // allocation per response.
  std::string head_bytes_;
  bool headers_sent_ = false;
  bool finished_ = false;
  bool aborted_ = false;
  bool want_drained_ = false;
  uint64_t taken_ = 0;  // response bytes nghttp2 pulled
  uint64_t taken_at_check_ = 0;
  size_t waiting_at_check_ = 0;
  std::chrono::steady_clock::time_point body_deadline_{};
  bool detached_ = false;
};
using Http2StreamPtr = std::unique_ptr<Http2Stream>;

}  // namespace slotgate::gateway
