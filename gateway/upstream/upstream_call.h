// The state of one upstream request: connection choice (idle or fresh), writing the
// request, reading the response with the strict Http1Parser (response mode), timers and
// cancellation.
//
// Responses are read as strictly as requests (SPEC section 3): interim 1xx heads are
// consumed and never reach the handler; 204, 304 and answers to HEAD end at their head;
// ambiguous framing (Content-Length with Transfer-Encoding, a bad or repeated length, a
// coding other than chunked, a 1xx with framing, a 101), a head over kMaxUpstreamHeadBytes
// or any other RFC 9112 violation is a kProtocol error. A connection goes back to the pool
// only after a clean, complete exchange with nothing left over in either direction.
//
// No silent re-send: a request is written a second time (on a fresh connection) only
// when it provably never left, i.e. a reused connection failed before any byte of the
// request was taken from the output buffer. Anything else is reported to the handler,
// whose retry policy counts it.
//
// Internal to the upstream client: callers see it through UpstreamExchange (whose
// destructor cancels it) and UpstreamPool::send().
//
// Deletion: a handler may destroy its exchange inside a callback that this object is
// running, so every entry point (bufferevent, timer and kick callbacks) counts itself in
// depth_; while depth_ > 0 the exchange hands this object to the loop's deferred deletion
// (through the pool) instead of deleting it. After cancel()/completion/error finished_ is set and
// the code on the stack unwinds without touching the connection or the handler.
//
// Thread-safety: worker thread only.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "gateway/event/deletable.h"
#include "gateway/event/libevent_ptr.h"
#include "gateway/event/schedulable_callback.h"
#include "gateway/event/timer.h"
#include "gateway/http1/http1_parser.h"
#include "gateway/upstream/upstream_connection.h"
#include "gateway/upstream/upstream_exchange.h"
#include "gateway/upstream/upstream_origin.h"

namespace slotgate::gateway {

class UpstreamPool;

class UpstreamCall : public Deletable {
 public:
  UpstreamCall(UpstreamPool& pool, const UpstreamOrigin& origin, UpstreamRequest&& request,
               UpstreamHandler& handler);
  ~UpstreamCall() override;
  UpstreamCall(const UpstreamCall&) = delete;
  UpstreamCall& operator=(const UpstreamCall&) = delete;

  // Arms the request timer and schedules the connection on the event loop, so no
  // handler callback runs inside UpstreamPool::send().
  void start();
  // Stops everything without any further callback; closes the connection if one is held.
  void cancel();
  void pauseReading();
  void resumeReading();
  // True while one of this object's callbacks is on the stack.
  [[nodiscard]] bool dispatching() const { return depth_ > 0; }

 private:
  struct RequestBytes {
    std::string head;
    std::string body;
  };
  class DispatchGuard;

  void onKick();
  void onTimeout();
  void onConnectTimeout();
  static void onRead(bufferevent* bev, void* arg);
  static void onEvent(bufferevent* bev, short events, void* arg);

  void kick();
  void attach();
  void writeRequest();
  void armTimeout();
  void processInput();
  // One step on the buffered input: a head (interim or final) or one piece of body.
  // False when nothing more can be done until more bytes arrive (or the call ended).
  bool readHead(evbuffer* in);
  bool readBody(evbuffer* in);
  void resetParser();
  void failProtocol();
  void handleEof();
  // True while no byte of the request has left through the socket (or TLS layer).
  [[nodiscard]] bool nothingSent() const;
  [[nodiscard]] bool canResend() const;
  void resendOnFreshConnection();
  void complete();
  void fail(UpstreamErrorKind kind, std::string detail);
  void fail(UpstreamError error);
  void stopTimers();
  void closeConnection();

  UpstreamPool& pool_;
  UpstreamOrigin origin_;
  UpstreamHandler& handler_;
  std::shared_ptr<const RequestBytes> bytes_;  // kept until the response starts (re-send)
  size_t request_size_ = 0;                    // head + body bytes queued on the connection
  std::chrono::milliseconds timeout_;
  bool idle_timeout_after_headers_;

  UpstreamConnectionPtr conn_;
  // A connection closed while UpstreamConnection::connect() is on the stack (libevent may
  // report a resolver failure synchronously); freed once connect() returned.
  UpstreamConnectionPtr doomed_conn_;
  bool in_connect_ = false;
  SchedulableCallback kick_;
  Timer timeout_timer_;
  // Made only when a fresh connection is opened: a request on a reused keep-alive
  // connection (the common case) pays for no connect timer.
  TimerPtr connect_timer_;
  Http1Parser parser_;
  bool head_request_ = false;  // the request is HEAD: its answer has no body

  int depth_ = 0;
  bool finished_ = false;
  bool pending_start_ = false;
  bool pending_input_ = false;
  bool connected_ = false;
  bool reused_attempt_ = false;
  bool resent_ = false;
  bool response_started_ = false;
  bool headers_done_ = false;
  bool eof_seen_ = false;
  bool paused_ = false;
};

}  // namespace slotgate::gateway
