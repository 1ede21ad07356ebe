// One downstream HTTP/2 connection (h2 over TLS via ALPN, cleartext h2c with
// prior knowledge, or cleartext h2c upgraded from an HTTP/1.1 request whose
// answer is stream 1): an nghttp2 server session over a bufferevent, its
// streams (each an Http2Stream: request + ResponseSink), limits and timeouts.
//
// Limits: SETTINGS_MAX_CONCURRENT_STREAMS from server.http2,
// SETTINGS_MAX_HEADER_LIST_SIZE = server.max_header_bytes (enforced: 431),
// at most 8 CONTINUATION frames per header block, request bodies bounded by
// server.max_request_body (413), rapid-reset detection (Http2ResetGuard) plus
// nghttp2's RST_STREAM rate limit, header_timeout for the first request and
// for any unfinished header block, body_timeout per stream from the end of its
// head to its END_STREAM (RST_STREAM(CANCEL); DATA frames do not move it),
// idle_timeout with no stream open (GOAWAY), GOAWAY(NO_ERROR) on drain, and
// the slow-reader rule (DrainWatchdog) twice: on the socket (the connection is
// closed) and per stream, RST_STREAM(CANCEL) for a stream whose response moved
// less than the rule asks for a whole idle_timeout because the client kept its
// flow-control window shut or opened it a trickle at a time (the upstream is
// paused meanwhile and would otherwise hold its slots forever).
//
// Teardown is bounded: once terminating (protocol error, flood, timeouts), the
// socket is no longer read, the GOAWAY is queued ahead of pending DATA, and
// the connection closes once its output is flushed or kTerminateGrace passed.
//
// Write path: nghttp2_session_mem_send into the bufferevent's output, pulled
// only while that output is under 1 MiB; the rest waits in the streams'
// buffers, whose size the handlers see through pendingBytes().
//
// Loop-thread only. Owned by its ConnectionManager; it asks for its own
// deletion (deferred) when it closes.
#pragma once

#include <nghttp2/nghttp2.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <unordered_map>
#include <utility>

#include "gateway/downstream/downstream_connection.h"
#include "gateway/downstream/drain_watchdog.h"
#include "gateway/downstream/h2c_upgrade.h"
#include "gateway/downstream/http1_connection.h"
#include "gateway/downstream/http2_reset_guard.h"
#include "gateway/downstream/http2_stream.h"
#include "gateway/downstream/http2_stream_ids.h"
#include "gateway/downstream/request_handler.h"
#include "gateway/event/dispatcher.h"
#include "gateway/event/libevent_ptr.h"
#include "gateway/event/thread_pooled.h"

namespace slotgate::gateway {

class ConnectionManager;

struct Http2Options {
  uint32_t max_concurrent_streams = 128;
};

struct NghttpSessionDeleter {
  void operator()(nghttp2_session* p) const noexcept { nghttp2_session_del(p); }
};
using NghttpSessionPtr = std::unique_ptr<nghttp2_session, NghttpSessionDeleter>;

class Http2Connection : public DownstreamConnection {
 public:
  // Takes over `bev` (plain or TLS), including bytes already buffered in it
  // (at least the client preface when sniffed). With `upgrade`, the 101 is
  // already in bev's output, and upgrade->request is served as stream 1.
  Http2Connection(Dispatcher& worker, ConnectionManager& manager, RequestDispatcher& dispatcher,
                  BufferEventPtr bev, const Http1Limits& limits, const Http2Options& options,
                  std::optional<H2cUpgrade> upgrade = std::nullopt);
  ~Http2Connection() override;

  // GOAWAY(NO_ERROR); closes once the open streams finished.
  void drain() override;

  // For Http2Stream.
  Dispatcher& worker() { return worker_; }
  nghttp2_session* session() { return session_.get(); }
  size_t outputBytes() const;
  void scheduleFlush();
  size_t streamCount() const { return streams_.size(); }

 private:
  // nghttp2 callbacks (captureless lambdas in the constructor forward here).
  int onBeginFrame(const nghttp2_frame_hd& hd);
  int onBeginHeaders(const nghttp2_frame* frame);
  int onFrameSend(const nghttp2_frame* frame);
  int onHeader(const nghttp2_frame* frame, std::string_view name, std::string_view value);
  int onFrameRecv(const nghttp2_frame* frame);
  int onDataChunk(int32_t stream_id, const uint8_t* data, size_t len);
  int onStreamClose(int32_t stream_id, uint32_t error_code);

  static void onRead(bufferevent*, void* arg);
  static void onWrite(bufferevent*, void* arg);
  static void onEvent(bufferevent*, short what, void* arg);
  static void onSlowReader(void* arg);
  // timer_ fired: what it means depends on timer_mode_.
  void onTimer();
  void onStallCheck();
  void onBodyDeadline();

  // The stream with this id, or null. nghttp2's callbacks for one frame (each field of a
  // HEADERS frame, its DATA) name the same stream over and over: the last one found is
  // remembered (last_stream_) and answers without a lookup.
  Http2Stream* stream(int32_t id);
  // Opens stream 1 (half-closed remote) for the request that asked for the
  // upgrade; dispatched on the first loop turn, once the manager owns us.
  void acceptUpgrade(H2cUpgrade upgrade);
  void headersComplete(Http2Stream& s);
  void dispatch(Http2Stream& s);
  void refuse(Http2Stream& s, CodecReject reason);

  void processInput();
  // Moves frames from nghttp2 to the socket; closes when the session is done.
  void flush();
  void notifyDrained();
  void updateTimer();
  // Arms body_timer_ for the earliest body deadline of the streams still uploading.
  void armBodyTimer();
  void releaseBody(Http2Stream& s);
  // GOAWAY(error_code), then close once it is written.
  void terminate(uint32_t error_code, const char* reason);
  void closeAfterFlush(const char* reason);
  void closeNow(const char* reason);

  Dispatcher& worker_;
  ConnectionManager& manager_;
  RequestDispatcher& dispatcher_;
  ConnectionMemoPtr memo_;  // the dispatcher's, shared by this connection's streams
  Http1Limits limits_;
  Http2Options options_;
  BufferEventPtr bev_;
  std::unique_ptr<DrainWatchdog> drain_watchdog_;  // bev_'s output; stopped before bev_ goes
  // Held by value, their callbacks capturing only `this`: no allocation beyond libevent's.
  Timer timer_;
  Timer stall_timer_;          // every idle_timeout: reset streams whose window stayed shut
  Timer body_timer_;           // the earliest body_timeout of the streams still uploading
  SchedulableCallback flush_;  // processInput on the next turn (also the first turn's entry)
  NghttpSessionPtr session_;
  // Its nodes from the worker's free list (thread_pooled.h): one per stream, no malloc.
  std::unordered_map<int32_t, Http2StreamPtr, std::hash<int32_t>, std::equal_to<int32_t>,
                     PoolAllocator<std::pair<const int32_t, Http2StreamPtr>>>
      streams_;
  Http2Stream* last_stream_ = nullptr;  // one of streams_, or null; see stream()
  Http2ResetGuard reset_guard_;
  Http2StreamIds stream_ids_;

  bool first_request_seen_ = false;
  bool upgraded_stream_pending_ = false;  // stream 1 of an h2c upgrade awaits dispatch
  uint64_t body_bytes_buffered_ = 0;      // request bodies of undispatched streams
  bool flushing_ = false;
  bool draining_ = false;
  bool terminated_ = false;  // GOAWAY with termination queued: input is ignored
  bool closing_ = false;
  bool closed_ = false;
  const char* close_reason_ = nullptr;
  enum class TimerMode { kNone, kHeader, kIdle, kClosing } timer_mode_ = TimerMode::kNone;
};

}  // namespace slotgate::gateway
