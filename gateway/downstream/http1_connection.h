// One downstream HTTP/1.1 connection: parsing (the strict Http1Parser of
// gateway/downstream), limits and timeouts, keep-alive, and the ResponseSink the
// pipeline writes to, with backpressure. On a cleartext socket, a complete
// request asking for "Upgrade: h2c" switches the connection to HTTP/2 (see
// h2c_upgrade.h); the request is then answered as stream 1 of an
// Http2Connection.
//
// Loop-thread only. Owned by its ConnectionManager; it asks for its own
// deletion (deferred) when it closes.
#pragma once

#include <chrono>
#include <string>

#include "gateway/downstream/downstream_connection.h"
#include "gateway/downstream/drain_watchdog.h"
#include "gateway/downstream/http_message.h"
#include "gateway/downstream/request_handler.h"
#include "gateway/event/deadline_timer.h"
#include "gateway/event/dispatcher.h"
#include "gateway/event/libevent_ptr.h"
#include "gateway/event/schedulable_callback.h"
#include "gateway/http1/http1_parser.h"

namespace slotgate::gateway {

class ConnectionManager;

struct Http1Limits {
  size_t max_header_bytes = 64 << 10;
  size_t max_header_fields = 100;
  uint64_t max_request_body = 10 << 20;
  std::chrono::milliseconds header_timeout{10000};
  std::chrono::milliseconds body_timeout{30000};
  std::chrono::milliseconds idle_timeout{60000};
};

class Http1Connection : public DownstreamConnection, public ResponseSink {
 public:
  // Takes over `bev` (plain socket or TLS), including bytes already in its
  // input buffer (read while sniffing the protocol).
  Http1Connection(Dispatcher& worker, ConnectionManager& manager, RequestDispatcher& dispatcher,
                  BufferEventPtr bev, const Http1Limits& limits);
  ~Http1Connection() override;

  // ResponseSink
  void sendHeaders(int status, const Headers& headers,
                   std::optional<uint64_t> content_length) override;
  void sendData(std::string_view bytes) override;
  void finish() override;
  void abort() override;
  size_t pendingBytes() const override;

  // Drain: close now if idle, else after the current response.
  void drain() override;
  bool busy() const { return state_ != State::kWaitingHead; }

 private:
  // Unparsed input kept while a request is being answered (pipelined bytes); the
  // socket is still read so that a client leaving is seen at once.
  static constexpr size_t kReadHighWater = 256 << 10;
  enum class State { kWaitingHead, kReadingHead, kReadingBody, kDispatched, kResponding, kClosing };

  static void onRead(bufferevent*, void* arg);
  static void onWrite(bufferevent*, void* arg);
  static void onEvent(bufferevent*, short what, void* arg);
  void onTimer();
  void onResume();
  void onFlush();
  static void onSlowReader(void* arg);
  void scheduleFlush();

  void processInput();
  // The head's bytes are in the parser's buffer: copies what the pipeline needs
  // into request_, asks the dispatcher, answers Expect. False when the request
  // was answered (and the connection is closing).
  bool onHead();
  // Feeds one span of body bytes; false after refusing the request.
  bool readBody(std::string_view span, size_t* consumed);
  // The parser refused the request: 431 for a limit, else 400, then close.
  void refuseMalformed();
  void startRequest();
  // Answers 101 and hands the socket and the complete request to an
  // Http2Connection when the request qualifies; false: serve it as HTTP/1.1.
  bool upgradeToHttp2();
  void refuse(CodecReject reason);
  void responseDone();
  void closeNow(const char* reason);
  // The answer is written out and the connection is closing (close_reason_): closes, or,
  // when the request was not read to its end, lingers (ConnectionManager::lingerThenClose).
  void closeFlushed();
  void closeAfterFlush(const char* reason);
  void armTimer(std::chrono::milliseconds timeout);

  Dispatcher& worker_;
  ConnectionManager& manager_;
  RequestDispatcher& dispatcher_;
  ConnectionMemoPtr memo_;  // the dispatcher's, across this connection's requests
  Http1Limits limits_;
  BufferEventPtr bev_;
  // Watches bev_'s output; stopped before bev_ goes (it unhooks from the buffer).
  std::unique_ptr<DrainWatchdog> drain_watchdog_;
  // The idle, header, body and flush deadlines: set and cancelled several times per request,
  // so a DeadlineTimer (no event_add or event_del for a deadline that moves later).
  DeadlineTimer timer_;
  SchedulableCallback resume_;
  // Plain sockets write at the end of the loop turn straight from the output
  // buffer (one writev for everything the turn produced), and turn EV_WRITE
  // on only for what the socket would not take: no epoll_ctl per response.
  SchedulableCallback flush_;
  bool plain_socket_ = false;
  Http1Parser parser_;
  State state_ = State::kWaitingHead;

  // The request being read; handed to the dispatcher when complete (null until startRequest
  // takes the next one).
  IncomingRequestPtr request_;
  // Header entries of a recycled request (cleared, buffers kept) that onHead swaps into
  // request_ and fills in place (request_recycler.h).
  Headers header_store_;
  bool http10_ = false;  // the current request is HTTP/1.0
  bool keep_alive_ = true;
  bool draining_ = false;
  // The current request's first bytes were read while the previous response
  // was still being answered: it is pipelined, and never upgraded.
  bool pipelined_ = false;

  RequestHandlerPtr handler_;
  bool response_chunked_ = false;
  bool response_bodyless_ = false;  // 1xx/204/304: the response has no content
  bool handler_paused_ = false;     // the handler wrote past the high-water mark
  // Reading is off because pipelined bytes filled the input to its high mark while a request
  // is answered (see processInput); responseDone turns it back on.
  bool read_parked_ = false;
  const char* close_reason_ = nullptr;
};

}  // namespace slotgate::gateway
