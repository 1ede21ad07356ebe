// The state of one upstream request: connection choice (idle or fresh), writing the
// request, parsing the response with http-parser, timers and cancellation.
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
// depth_; while depth_ > 0 the exchange hands this object to the pool for deferred
// deletion instead of deleting it. After cancel()/completion/error finished_ is set and
// the code on the stack unwinds without touching the connection or the handler.
//
// Thread-safety: worker thread only.
#pragma once

#include <http_parser.h>

#include <memory>
#include <string>
#include <vector>

#include "gateway/libevent_ptr.h"
#include "gateway/upstream_connection.h"
#include "gateway/upstream_types.h"

namespace slotgate::gateway {

class UpstreamPool;

class UpstreamCall {
 public:
  UpstreamCall(UpstreamPool& pool, const UpstreamOrigin& origin, UpstreamRequest&& request,
               UpstreamHandler& handler);
  ~UpstreamCall();
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

  static void onKick(evutil_socket_t, short, void* arg);
  static void onTimeout(evutil_socket_t, short, void* arg);
  static void onConnectTimeout(evutil_socket_t, short, void* arg);
  static void onRead(bufferevent* bev, void* arg);
  static void onEvent(bufferevent* bev, short events, void* arg);
  static int onMessageBegin(http_parser* parser);
  static int onHeaderField(http_parser* parser, const char* at, size_t len);
  static int onHeaderValue(http_parser* parser, const char* at, size_t len);
  static int onHeadersComplete(http_parser* parser);
  static int onBody(http_parser* parser, const char* at, size_t len);
  static int onMessageComplete(http_parser* parser);
  static const http_parser_settings kParserSettings;

  void kick();
  void attach();
  void writeRequest();
  void armTimeout();
  void processInput();
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
  EventPtr kick_ev_;
  EventPtr timeout_ev_;
  EventPtr connect_ev_;
  http_parser parser_;
  std::vector<UpstreamHeader> headers_;
  bool last_was_value_ = false;
  std::string protocol_error_;

  int depth_ = 0;
  bool finished_ = false;
  bool pending_start_ = false;
  bool pending_input_ = false;
  bool connected_ = false;
  bool reused_attempt_ = false;
  bool resent_ = false;
  bool response_started_ = false;
  bool informational_ = false;
  bool headers_done_ = false;
  bool message_complete_ = false;
  bool eof_seen_ = false;
  bool paused_ = false;
};

}  // namespace slotgate::gateway
