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
// (through the pool) instead of deleting it. After cancel()/completion/error the state is kDone
// and the code on the stack unwinds without touching the connection or the handler.
//
// Where the call is in its life is one UpstreamCallState (upstream_call_state.h), changed
// only through moveTo(); where its connection came from is one UpstreamAttempt.
//
// Thread-safety: worker thread only.
#pragma once

#include <cassert>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "gateway/event/deletable.h"
#include "gateway/event/libevent_ptr.h"
#include "gateway/event/schedulable_callback.h"
#include "gateway/event/spare_strings.h"
#include "gateway/event/thread_pooled.h"
#include "gateway/event/timer.h"
#include "gateway/http1/http1_parser.h"
#include "gateway/upstream/upstream_call_state.h"
#include "gateway/upstream/upstream_connection.h"
#include "gateway/upstream/upstream_exchange.h"
#include "gateway/upstream/upstream_origin.h"
#include "gateway/upstream/upstream_pool.h"

namespace slotgate::gateway {

// Its memory comes from the worker's free list (thread_pooled.h): one per attempt, no malloc.
class UpstreamCall : public Deletable, public ThreadPooled<UpstreamCall> {
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
  // For tests and diagnostics.
  [[nodiscard]] UpstreamCallState state() const { return state_; }
  [[nodiscard]] UpstreamAttempt attempt() const { return attempt_; }

 private:
  // Its strings' buffers go back to the thread's spares (spare_strings.h) when the last share
  // goes, for the next request's head and body to be built in.
  struct RequestBytes {
    RequestBytes(std::string&& h, std::string&& b) : head(std::move(h)), body(std::move(b)) {}
    RequestBytes(const RequestBytes&) = delete;
    RequestBytes& operator=(const RequestBytes&) = delete;
    ~RequestBytes() {
      giveSpareString(std::move(head));
      giveSpareString(std::move(body));
    }
    std::string head;
    std::string body;
  };
  class DispatchGuard;
  using State = UpstreamCallState;

  // The one place the state changes: holds every move to canMove() (debug builds assert).
  void moveTo(State next) {
    assert(canMove(state_, next));
    state_ = next;
  }
  [[nodiscard]] bool finished() const { return state_ == State::kDone; }
  // The connection is open (reused, or its connect completed): reading can be toggled.
  [[nodiscard]] bool connected() const {
    return state_ == State::kSending || state_ == State::kReadingHead ||
           state_ == State::kReadingBody;
  }
  // A response byte arrived (kDone keeps what the failure reports in fail()).
  [[nodiscard]] bool responseStarted() const {
    return state_ == State::kReadingHead || state_ == State::kReadingBody;
  }
  [[nodiscard]] bool headersDone() const { return state_ == State::kReadingBody; }

  void onKick();
  void onTimeout();
  static void onDeadline(void* arg) { static_cast<UpstreamCall*>(arg)->onTimeout(); }
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
  // readHead found input while no response byte had arrived (kConnecting or kSending): moves
  // to kReadingHead, or fails if the request never went out. False if the call ended.
  bool responseArrived();
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
  // The request's choice, fixed: once the head is read, timeout_ bounds the gaps between
  // body bytes instead of the whole call.
  bool idle_timeout_after_headers_;

  UpstreamConnectionPtr conn_;
  // A connection closed while UpstreamConnection::connect() is on the stack (libevent may
  // report a resolver failure synchronously); freed once connect() returned.
  UpstreamConnectionPtr doomed_conn_;
  bool in_connect_ = false;  // connect() is on the stack: a re-entrancy guard, not a state
  SchedulableCallback kick_;
  // The request timeout (timeout_), lent by the pool for this call's life.
  UpstreamPool::LentDeadlinePtr deadline_;
  // Made only when a fresh connection is opened: a request on a reused keep-alive
  // connection (the common case) pays for no connect timer.
  TimerPtr connect_timer_;
  Http1Parser parser_;
  bool head_request_ = false;  // the request is HEAD: its answer has no body

  int depth_ = 0;
  State state_ = State::kCreated;
  UpstreamAttempt attempt_ = UpstreamAttempt::kFresh;
  // Flags, not states: each can be true in several states at once, independently of where
  // the call is. The handler's backpressure (any state before kDone, even before start()):
  bool paused_ = false;
  // The connection reported end-of-stream; handled once what is buffered is parsed, which
  // waits while paused (kSending, kReadingHead or kReadingBody):
  bool eof_seen_ = false;
  // Work queued for the next kick: parse input that was buffered while paused:
  bool pending_input_ = false;
};

}  // namespace slotgate::gateway
