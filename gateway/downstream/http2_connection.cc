#include "gateway/downstream/http2_connection.h"

#include <event2/buffer.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <optional>
#include <vector>

#include "gateway/downstream/connection_manager.h"
#include "gateway/event/thread_heap.h"
#include "gateway/event/timeval.h"

namespace slotgate::gateway {
namespace {

// nghttp2 makes and frees its stream, frame and header records for every stream: from the
// thread's heap of freed blocks (gateway/event/thread_heap.h) instead of malloc.
nghttp2_mem threadHeapMem() {
  nghttp2_mem mem{};
  mem.malloc = [](size_t size, void*) { return thread_heap::allocate(size); };
  mem.free = [](void* block, void*) { thread_heap::release(block); };
  mem.calloc = [](size_t count, size_t size, void*) -> void* {
    if (size != 0 && count > SIZE_MAX / size) {
      return nullptr;
    }
    void* block = thread_heap::allocate(count * size);
    if (block != nullptr) {
      std::memset(block, 0, count * size);
    }
    return block;
  };
  mem.realloc = [](void* block, size_t size, void*) {
    return thread_heap::reallocate(block, size);
  };
  return mem;
}

// nghttp2 output is pulled only while the socket's output buffer is below this.
constexpr size_t kOutputHighWater = 1 << 20;
// The write callback runs (to pull more and wake paused streams) below this.
constexpr size_t kOutputLowWater = 64 << 10;
constexpr size_t kMaxContinuations = 8;
// nghttp2's RST_STREAM token bucket: burst, refill per second (its defaults).
constexpr uint64_t kResetBurst = 1000;
constexpr uint64_t kResetRate = 33;
// Once terminating, the GOAWAY and what precedes it get this long to leave.
constexpr std::chrono::milliseconds kTerminateGrace{1000};
// A terminating connection may pull its GOAWAY (and the frame in progress) past the
// high-water mark, but no further.
constexpr size_t kTerminateSlack = 64 << 10;

Http2Connection* self(void* user_data) { return static_cast<Http2Connection*>(user_data); }

std::string_view view(const uint8_t* p, size_t n) { return {reinterpret_cast<const char*>(p), n}; }

}  // namespace

Http2Connection::Http2Connection(Dispatcher& worker, ConnectionManager& manager,
                                 RequestDispatcher& dispatcher, BufferEventPtr bev,
                                 const Http1Limits& limits, const Http2Options& options,
                                 std::optional<H2cUpgrade> upgrade)
    : worker_(worker),
      manager_(manager),
      dispatcher_(dispatcher),
      limits_(limits),
      options_(options),
      bev_(std::move(bev)),
      timer_(worker.base(), [this] { onTimer(); }),
      stall_timer_(worker.base(), [this] { onStallCheck(); }),
      body_timer_(worker.base(), [this] { onBodyDeadline(); }),
      // Also the first turn's entry point: the sniffer may have left input.
      flush_(worker.base(), [this] { processInput(); }) {
  bufferevent_setcb(bev_.get(), &Http2Connection::onRead, &Http2Connection::onWrite,
                    &Http2Connection::onEvent, this);
  bufferevent_setwatermark(bev_.get(), EV_WRITE, kOutputLowWater, 0);
  // An upgraded HTTP/1.1 connection capped its input; HTTP/2 reads freely.
  bufferevent_setwatermark(bev_.get(), EV_READ, 0, 0);
  // Output that does not drain for idle_timeout: the client stopped reading.
  timeval write_tv = toTimeval(limits_.idle_timeout);
  bufferevent_set_timeouts(bev_.get(), nullptr, &write_tv);
  bufferevent_enable(bev_.get(), EV_READ | EV_WRITE);
  // ...or drains it a trickle at a time (the write timeout restarts on every byte).
  drain_watchdog_ =
      std::make_unique<DrainWatchdog>(worker.base(), bufferevent_get_output(bev_.get()),
                                      limits_.idle_timeout, &Http2Connection::onSlowReader, this);
  stall_timer_.enable(limits_.idle_timeout);

  nghttp2_session_callbacks* cbs = nullptr;
  nghttp2_session_callbacks_new(&cbs);
  nghttp2_session_callbacks_set_on_begin_frame_callback(
      cbs, [](nghttp2_session*, const nghttp2_frame_hd* hd, void* user_data) {
        return self(user_data)->onBeginFrame(*hd);
      });
  nghttp2_session_callbacks_set_on_frame_send_callback(
      cbs, [](nghttp2_session*, const nghttp2_frame* frame, void* user_data) {
        return self(user_data)->onFrameSend(frame);
      });
  nghttp2_session_callbacks_set_on_begin_headers_callback(
      cbs, [](nghttp2_session*, const nghttp2_frame* frame, void* user_data) {
        return self(user_data)->onBeginHeaders(frame);
      });
  nghttp2_session_callbacks_set_on_header_callback(
      cbs, [](nghttp2_session*, const nghttp2_frame* frame, const uint8_t* name, size_t namelen,
              const uint8_t* value, size_t valuelen, uint8_t, void* user_data) {
        return self(user_data)->onHeader(frame, view(name, namelen), view(value, valuelen));
      });
  nghttp2_session_callbacks_set_on_frame_recv_callback(
      cbs, [](nghttp2_session*, const nghttp2_frame* frame, void* user_data) {
        return self(user_data)->onFrameRecv(frame);
      });
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(
      cbs, [](nghttp2_session*, uint8_t, int32_t stream_id, const uint8_t* data, size_t len,
              void* user_data) { return self(user_data)->onDataChunk(stream_id, data, len); });
  nghttp2_session_callbacks_set_on_stream_close_callback(
      cbs, [](nghttp2_session*, int32_t stream_id, uint32_t error_code, void* user_data) {
        return self(user_data)->onStreamClose(stream_id, error_code);
      });
  nghttp2_option* opt = nullptr;
  nghttp2_option_new(&opt);
  nghttp2_option_set_max_continuations(opt, kMaxContinuations);
  nghttp2_option_set_stream_reset_rate_limit(opt, kResetBurst, kResetRate);
  nghttp2_session* session = nullptr;
  nghttp2_mem mem = threadHeapMem();  // copied by nghttp2
  nghttp2_session_server_new3(&session, cbs, this, opt, &mem);
  session_.reset(session);
  nghttp2_option_del(opt);
  nghttp2_session_callbacks_del(cbs);

  const nghttp2_settings_entry settings[] = {
      {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, options_.max_concurrent_streams},
      {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, static_cast<uint32_t>(limits_.max_header_bytes)},
  };
  nghttp2_submit_settings(session_.get(), NGHTTP2_FLAG_NONE, settings,
                          sizeof settings / sizeof settings[0]);
  if (upgrade) {
    acceptUpgrade(std::move(*upgrade));
  }
  updateTimer();
  // Bytes already read while sniffing (the preface at least) and our
  // SETTINGS go out on the first loop turn, after the manager owns us.
  flush_.schedule();
}

Http2Connection::~Http2Connection() {
  // Handlers first (each stream's destructor), while the session still exists.
  for (auto& [id, s] : streams_) {
    s->detach();
  }
  last_stream_ = nullptr;
  streams_.clear();
  session_.reset();
}

size_t Http2Connection::outputBytes() const {
  return bev_ ? evbuffer_get_length(bufferevent_get_output(bev_.get())) : 0;
}

void Http2Connection::scheduleFlush() {
  if (!closed_) {
    flush_.schedule();
  }
}

Http2Stream* Http2Connection::stream(int32_t id) {
  if (last_stream_ != nullptr && last_stream_->id() == id) {
    return last_stream_;
  }
  auto it = streams_.find(id);
  if (it == streams_.end()) {
    return nullptr;
  }
  last_stream_ = it->second.get();
  return last_stream_;
}

// ---- socket ----

void Http2Connection::onRead(bufferevent*, void* arg) {
  static_cast<Http2Connection*>(arg)->processInput();
}

void Http2Connection::processInput() {
  if (closed_) {
    return;
  }
  if (upgraded_stream_pending_) {
    upgraded_stream_pending_ = false;
    if (Http2Stream* s = stream(1); s != nullptr && !terminated_) {
      dispatch(*s);
    }
  }
  evbuffer* input = bufferevent_get_input(bev_.get());
  while (!closing_ && !terminated_ && evbuffer_get_length(input) > 0) {
    evbuffer_iovec v;
    evbuffer_peek(input, -1, nullptr, &v, 1);
    const ssize_t n = nghttp2_session_mem_recv(session_.get(),
                                               static_cast<const uint8_t*>(v.iov_base), v.iov_len);
    if (n < 0) {
      // Bad preface, flood, header compression error...: nghttp2 queued a
      // GOAWAY for most; make sure one goes out, then close.
      evbuffer_drain(input, evbuffer_get_length(input));
      terminate(NGHTTP2_PROTOCOL_ERROR, "h2_protocol_error");
      break;
    }
    evbuffer_drain(input, static_cast<size_t>(n));
  }
  if (terminated_) {
    evbuffer_drain(input, evbuffer_get_length(input));  // never to be processed
  }
  flush();
}

void Http2Connection::flush() {
  if (closed_ || flushing_) {
    return;
  }
  flushing_ = true;
  evbuffer* output = bufferevent_get_output(bev_.get());
  // nghttp2 sends its GOAWAY before any DATA: a terminating connection pulls it even when
  // a slow client left the output full, and stops once it is out (want_write turns 0).
  const size_t high_water = terminated_ ? kOutputHighWater + kTerminateSlack : kOutputHighWater;
  while (evbuffer_get_length(output) < high_water) {
    if (terminated_ && nghttp2_session_want_write(session_.get()) == 0) {
      break;
    }
    const uint8_t* data = nullptr;
    const ssize_t n = nghttp2_session_mem_send(session_.get(), &data);
    if (n < 0) {
      flushing_ = false;
      closeNow("h2_internal_error");
      return;
    }
    if (n == 0) {
      break;
    }
    evbuffer_add(output, data, static_cast<size_t>(n));
  }
  flushing_ = false;
  if (nghttp2_session_want_read(session_.get()) == 0 &&
      nghttp2_session_want_write(session_.get()) == 0) {
    // GOAWAY sent and no stream left (drain, terminate), or the peer's GOAWAY.
    closeAfterFlush(close_reason_ != nullptr ? close_reason_ : "h2_goaway");
    return;
  }
  notifyDrained();
  updateTimer();
}

void Http2Connection::notifyDrained() {
  if (outputBytes() >= Http2Stream::kLowWater) {
    return;
  }
  // onSinkDrained may run the handler (more sendData); the stream set does
  // not change meanwhile (closes happen inside nghttp2 only), but ids are
  // copied to be safe: only those of streams waiting to hear it, usually none,
  // so the list is usually empty and allocates nothing.
  std::vector<int32_t> ids;
  for (auto& [id, s] : streams_) {
    if (s->wantsDrained()) {
      ids.push_back(id);
    }
  }
  for (int32_t id : ids) {
    if (Http2Stream* s = stream(id)) {
      s->notifyIfDrained();
    }
  }
}

void Http2Connection::onWrite(bufferevent*, void* arg) {
  auto* c = static_cast<Http2Connection*>(arg);
  if (c->closing_) {
    if (c->outputBytes() == 0) {
      c->closeNow(c->close_reason_);
    }
    return;
  }
  c->flush();
}

void Http2Connection::onEvent(bufferevent*, short what, void* arg) {
  auto* c = static_cast<Http2Connection*>(arg);
  if (what & BEV_EVENT_TIMEOUT) {
    c->closeNow("write_timeout");
  } else if (what & BEV_EVENT_EOF) {
    c->closeNow(c->closing_ ? c->close_reason_ : "client_closed");
  } else if (what & BEV_EVENT_ERROR) {
    c->closeNow("client_error");
  }
}

// ---- timers, drain, close ----

void Http2Connection::updateTimer() {
  if (closed_ || closing_ || terminated_) {
    return;  // the closing timer is armed by terminate/closeAfterFlush
  }
  bool head_open = !first_request_seen_;
  bool busy = false;
  for (auto& [id, s] : streams_) {
    head_open = head_open || s->headOpen();
    // Serving a request keeps the connection busy (the upstream side has its
    // own timeouts), and so does an upload still arriving (body_timeout bounds
    // it). The rest of an upload answered early (see ignoreRequest) does not:
    // idle_timeout bounds it too.
    busy = busy || s->dispatched() || (s->ignoringRequest() && !s->responseEnded()) ||
           (s->awaitingBody() && !s->ignoringRequest());
  }
  const TimerMode mode =
      head_open ? TimerMode::kHeader : (busy ? TimerMode::kNone : TimerMode::kIdle);
  if (mode == timer_mode_) {
    return;  // keep the deadline set when this mode began: traffic does not move it
  }
  timer_mode_ = mode;
  if (mode == TimerMode::kNone) {
    timer_.disable();
  } else {
    timer_.enable(mode == TimerMode::kHeader ? limits_.header_timeout : limits_.idle_timeout);
  }
}

void Http2Connection::onTimer() {
  switch (timer_mode_) {
    case TimerMode::kHeader:
      manager_.countReject(CodecReject::kHeaderTimeout);
      terminate(NGHTTP2_NO_ERROR, "header_timeout");
      break;
    case TimerMode::kIdle:
      terminate(NGHTTP2_NO_ERROR, "idle_timeout");
      break;
    case TimerMode::kClosing:
    case TimerMode::kNone:
      closeNow(close_reason_ != nullptr ? close_reason_ : "closed");
      break;
  }
}

void Http2Connection::onStallCheck() {
  if (closed_) {
    return;
  }
  stall_timer_.enable(limits_.idle_timeout);  // periodic: the next check, one window on
  bool reset = false;
  for (auto& [id, s] : streams_) {
    if (s->tooSlowSinceLastCheck()) {
      nghttp2_submit_rst_stream(session_.get(), NGHTTP2_FLAG_NONE, id, NGHTTP2_CANCEL);
      reset = true;
    }
  }
  if (reset) {
    flush();  // the stream closes: its handler cancels upstream and frees its slots
  }
}

void Http2Connection::onSlowReader(void* arg) {
  // Every stream goes with the connection: upstreams cancelled, slots freed.
  static_cast<Http2Connection*>(arg)->closeNow("slow_reader");
}

void Http2Connection::armBodyTimer() {
  if (closed_ || terminated_ || body_timer_.enabled()) {
    return;  // a pending timer is for an earlier (or equal) deadline: every stream gets the same
  }
  std::optional<std::chrono::steady_clock::time_point> earliest;
  for (auto& [id, s] : streams_) {
    if (s->awaitingBody() && (!earliest || s->bodyDeadline() < *earliest)) {
      earliest = s->bodyDeadline();
    }
  }
  if (!earliest) {
    return;
  }
  const auto wait = std::max(std::chrono::duration_cast<std::chrono::milliseconds>(
                                 *earliest - std::chrono::steady_clock::now()),
                             std::chrono::milliseconds(1));
  body_timer_.enable(wait);
}

void Http2Connection::onBodyDeadline() {
  if (closed_ || terminated_) {
    return;
  }
  const auto now = std::chrono::steady_clock::now();
  bool reset = false;
  for (auto& [id, s] : streams_) {
    if (s->awaitingBody() && s->bodyDeadline() <= now) {
      // Never dispatched now, whatever still arrives before the RST_STREAM is out.
      s->setRequestComplete();  // judged once
      s->ignoreRequest();
      releaseBody(*s);
      manager_.countReject(CodecReject::kBodyTimeout);
      nghttp2_submit_rst_stream(session_.get(), NGHTTP2_FLAG_NONE, id, NGHTTP2_CANCEL);
      reset = true;
    }
  }
  armBodyTimer();
  if (reset) {
    flush();
  }
}

void Http2Connection::terminate(uint32_t error_code, const char* reason) {
  if (closed_ || terminated_) {
    return;
  }
  terminated_ = true;
  close_reason_ = reason;
  nghttp2_session_terminate_session(session_.get(), error_code);
  // Nothing more is read: input would only pile up unprocessed (nghttp2 ignores it now).
  // What is already buffered is dropped by processInput, not here: this may run inside
  // nghttp2_session_mem_recv, which is still reading from that buffer.
  bufferevent_disable(bev_.get(), EV_READ);
  body_timer_.disable();
  // Bounded: close once the GOAWAY is flushed, or after a short grace whatever the client
  // reads; a slow client with a full output buffer does not stretch it.
  timer_mode_ = TimerMode::kClosing;
  timer_.enable(std::min(kTerminateGrace, limits_.idle_timeout));
  // Inside nghttp2 callbacks the caller flushes afterwards; elsewhere, now.
  scheduleFlush();
}

void Http2Connection::drain() {
  if (closed_ || draining_) {
    return;
  }
  draining_ = true;
  if (streams_.empty()) {
    terminate(NGHTTP2_NO_ERROR, "draining");
    flush();
    return;
  }
  // Streams the client opened after the last one we processed are refused
  // by the GOAWAY; the others finish, then want_read turns 0 and we close.
  close_reason_ = "draining";
  nghttp2_submit_goaway(session_.get(), NGHTTP2_FLAG_NONE,
                        nghttp2_session_get_last_proc_stream_id(session_.get()), NGHTTP2_NO_ERROR,
                        nullptr, 0);
  flush();
}

void Http2Connection::closeAfterFlush(const char* reason) {
  if (closed_ || closing_) {
    return;
  }
  closing_ = true;
  close_reason_ = reason;
  bufferevent_disable(bev_.get(), EV_READ);
  if (outputBytes() == 0) {
    closeNow(reason);
    return;
  }
  bufferevent_setwatermark(bev_.get(), EV_WRITE, 0, 0);
  if (terminated_ && timer_mode_ == TimerMode::kClosing) {
    return;  // terminate()'s short grace already runs
  }
  timer_mode_ = TimerMode::kClosing;
  timer_.enable(limits_.idle_timeout);
}

void Http2Connection::closeNow(const char* reason) {
  if (closed_) {
    return;
  }
  closed_ = true;
  timer_.disable();
  flush_.cancel();
  stall_timer_.disable();
  body_timer_.disable();
  drain_watchdog_->stop();  // before the buffer it watches goes
  bev_.reset();             // closes the socket
  // Unfinished streams: their handlers cancel upstream work and free slots.
  // Never called from inside a handler or nghttp2, so deleting now is safe.
  auto streams = std::move(streams_);
  streams_.clear();
  last_stream_ = nullptr;
  for (auto& [id, s] : streams) {
    s->detach();
  }
  streams.clear();
  session_.reset();
  manager_.onClosed(*this, reason == nullptr ? "closed" : reason);
}

}  // namespace slotgate::gateway
