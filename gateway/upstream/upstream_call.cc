#include "gateway/upstream/upstream_call.h"

#include <event2/buffer.h>

#include <cerrno>
#include <cstdlib>

#include "gateway/event/plain_socket_read.h"
#include "gateway/event/speculative_write.h"
#include "gateway/upstream/upstream_pool.h"

namespace slotgate::gateway {
namespace {

// evbuffer_add_reference cleanup: drops the evbuffer's share of the request bytes.
void releaseBytes(const void*, size_t, void* holder) {
  delete static_cast<std::shared_ptr<const void>*>(holder);
}

}  // namespace

class UpstreamCall::DispatchGuard {
 public:
  explicit DispatchGuard(UpstreamCall& call) : call_(call) { ++call_.depth_; }
  ~DispatchGuard() { --call_.depth_; }
  DispatchGuard(const DispatchGuard&) = delete;
  DispatchGuard& operator=(const DispatchGuard&) = delete;

 private:
  UpstreamCall& call_;
};

UpstreamCall::UpstreamCall(UpstreamPool& pool, const UpstreamOrigin& origin,
                           UpstreamRequest&& request, UpstreamHandler& handler)
    : pool_(pool),
      origin_(origin),
      handler_(handler),
      // From the worker's free list (thread_pooled.h), not malloc: one per call.
      bytes_(std::allocate_shared<RequestBytes>(PoolAllocator<RequestBytes>(),
                                                std::move(request.head), std::move(request.body))),
      timeout_(request.timeout),
      idle_timeout_after_headers_(request.idle_timeout_after_headers),
      kick_(pool.base(), [this] { onKick(); }),
      deadline_(pool.takeDeadline()),
      parser_(pool.takeResponseParser()),
      head_request_(bytes_->head.rfind("HEAD ", 0) == 0) {
  parser_.setRequestWasHead(head_request_);
  deadline_->lend(&UpstreamCall::onDeadline, this);
}

UpstreamCall::~UpstreamCall() {
  cancel();
  pool_.giveResponseParser(std::move(parser_));
  pool_.giveDeadline(std::move(deadline_));
}

void UpstreamCall::start() {
  armTimeout();
  moveTo(State::kAttachPending);
  kick();
}

void UpstreamCall::kick() { kick_.schedule(); }

void UpstreamCall::armTimeout() { deadline_->arm(timeout_); }

void UpstreamCall::stopTimers() {
  deadline_->cancel();
  if (connect_timer_) {
    connect_timer_->disable();
  }
  kick_.cancel();
}

void UpstreamCall::cancel() {
  if (finished()) {
    return;
  }
  moveTo(State::kDone);
  stopTimers();
  closeConnection();  // closes the socket: the provider sees the client go away
}

void UpstreamCall::closeConnection() {
  if (in_connect_ && conn_) {
    bufferevent_setcb(conn_->bev(), nullptr, nullptr, nullptr, nullptr);
    bufferevent_disable(conn_->bev(), EV_READ | EV_WRITE);
    doomed_conn_ = std::move(conn_);
    return;
  }
  conn_.reset();
}

void UpstreamCall::pauseReading() {
  if (finished() || paused_) {
    return;
  }
  paused_ = true;  // inside onUpstreamData: processInput() stops after this piece
  if (conn_ && connected()) {
    bufferevent_disable(conn_->bev(), EV_READ);
  }
  if (headersDone() && idle_timeout_after_headers_) {
    deadline_->cancel();
  }
}

void UpstreamCall::resumeReading() {
  if (finished() || !paused_) {
    return;
  }
  paused_ = false;
  if (headersDone() && idle_timeout_after_headers_) {
    armTimeout();
  }
  if (conn_ && connected()) {
    bufferevent_enable(conn_->bev(), EV_READ);
    // Bytes already buffered produce no new read callback: parse them from the loop.
    if (evbuffer_get_length(bufferevent_get_input(conn_->bev())) > 0 || eof_seen_) {
      pending_input_ = true;
      kick();
    }
  }
}

void UpstreamCall::onKick() {
  DispatchGuard guard(*this);
  if (finished()) {
    return;
  }
  if (state_ == State::kAttachPending) {
    attach();
  }
  if (!finished() && pending_input_) {
    pending_input_ = false;
    processInput();
  }
}

void UpstreamCall::attach() {
  // A re-send after a stale idle connection always uses a fresh one.
  UpstreamConnectionPtr idle =
      attempt_ == UpstreamAttempt::kFreshAfterStale ? nullptr : pool_.takeIdle(origin_);
  if (idle) {
    conn_ = std::move(idle);
    attempt_ = UpstreamAttempt::kReused;
    moveTo(State::kSending);
    bufferevent_setcb(conn_->bev(), &UpstreamCall::onRead, nullptr, &UpstreamCall::onEvent, this);
    if (!paused_) {
      bufferevent_enable(conn_->bev(), EV_READ);
    }
    writeRequest();
    return;
  }
  UpstreamError error;
  conn_ = UpstreamConnection::create(pool_.base(), pool_.tlsContext(), origin_, pool_.openCounter(),
                                     &error);
  if (!conn_) {
    fail(std::move(error));
    return;
  }
  moveTo(State::kConnecting);  // attempt_ stays kFresh, or kFreshAfterStale for the re-send
  bufferevent_setcb(conn_->bev(), &UpstreamCall::onRead, nullptr, &UpstreamCall::onEvent, this);
  bufferevent_enable(conn_->bev(), EV_READ | EV_WRITE);
  // libevent connects have no timeout of their own.
  if (!connect_timer_) {
    connect_timer_ = std::make_unique<Timer>(pool_.base(), [this] { onConnectTimeout(); });
  }
  connect_timer_->enable(origin_.connect_timeout);
  UpstreamError connect_error;
  in_connect_ = true;
  const bool started = conn_->connect(pool_.dns(), &connect_error);
  in_connect_ = false;
  doomed_conn_.reset();
  if (!started) {
    fail(std::move(connect_error));
  }
  // The request is written once BEV_EVENT_CONNECTED arrives.
}

void UpstreamCall::writeRequest() {
  evbuffer* out = bufferevent_get_output(conn_->bev());
  // A reference costs a heap-held share and a libevent chain of its own; below this many
  // bytes a copy into the buffer's free space is cheaper (most heads and chat bodies).
  constexpr size_t kCopyBelow = 4096;
  auto add = [&](const std::string& bytes) {
    if (bytes.empty()) {
      return;
    }
    if (bytes.size() < kCopyBelow) {
      evbuffer_add(out, bytes.data(), bytes.size());
      return;
    }
    // Zero-copy: the evbuffer references the string and holds a share of it until sent.
    auto* holder = new std::shared_ptr<const void>(bytes_);
    if (evbuffer_add_reference(out, bytes.data(), bytes.size(), &releaseBytes, holder) != 0) {
      delete holder;
      evbuffer_add(out, bytes.data(), bytes.size());
    }
  };
  add(bytes_->head);
  add(bytes_->body);
  request_size_ = bytes_->head.size() + bytes_->body.size();
  // Speculative write on a connected plain socket: the request usually fits
  // the socket buffer, which saves two epoll_ctl calls and a loop turn. Only
  // what is left waits for EV_WRITE.
  if (connected() && !conn_->tls()) {
    writeNow(conn_->bev());
  }
  if (evbuffer_get_length(out) > 0) {
    bufferevent_enable(conn_->bev(), EV_WRITE);
  }
}

void UpstreamCall::onConnectTimeout() {
  DispatchGuard guard(*this);
  if (finished()) {
    return;
  }
  fail(UpstreamErrorKind::kConnect, "connect to " + origin_.host + ":" +
                                        std::to_string(origin_.port) + " timed out after " +
                                        std::to_string(origin_.connect_timeout.count()) + " ms");
}

void UpstreamCall::onTimeout() {
  DispatchGuard guard(*this);
  if (finished()) {
    return;
  }
  const std::string ms = std::to_string(timeout_.count());
  fail(UpstreamErrorKind::kTimeout, headersDone() && idle_timeout_after_headers_
                                        ? "no data from upstream for " + ms + " ms"
                                        : "upstream request timed out after " + ms + " ms");
}

void UpstreamCall::onRead(bufferevent*, void* arg) {
  auto* self = static_cast<UpstreamCall*>(arg);
  DispatchGuard guard(*self);
  if (self->finished()) {
    return;
  }
  if (self->headersDone() && self->idle_timeout_after_headers_ && !self->paused_) {
    self->armTimeout();
  }
  self->processInput();
}

void UpstreamCall::onEvent(bufferevent* bev, short events, void* arg) {
  const int saved_errno = errno;
  auto* self = static_cast<UpstreamCall*>(arg);
  DispatchGuard guard(*self);
  if (self->finished()) {
    return;
  }
  if ((events & BEV_EVENT_CONNECTED) != 0) {
    self->moveTo(State::kSending);
    useOwnReadPath(bev);  // plain sockets: no ioctl(FIONREAD) before each read, pooled or not
    self->conn_->disableNagle();
    if (self->connect_timer_) {
      self->connect_timer_->disable();
    }
    if (self->paused_) {
      bufferevent_disable(bev, EV_READ);
    }
    self->writeRequest();
    return;
  }
  if (self->state_ == State::kConnecting) {
    self->fail(self->conn_->describeConnectFailure(events, saved_errno));
    return;
  }
  if ((events & BEV_EVENT_EOF) != 0) {
    self->eof_seen_ = true;
    self->processInput();  // parses what is buffered, then handles the EOF
    return;
  }
  if ((events & BEV_EVENT_ERROR) != 0) {
    if (self->canResend()) {
      self->resendOnFreshConnection();
      return;
    }
    self->fail(UpstreamErrorKind::kClosed,
               self->conn_->describeBrokenConnection(events, saved_errno));
  }
}

bool UpstreamCall::nothingSent() const {
  // Bytes leave the output buffer only once the socket (or SSL_write, for a whole
  // record) took them; a request still entirely in it cannot have reached the server.
  return conn_ != nullptr && request_size_ > 0 &&
         evbuffer_get_length(bufferevent_get_output(conn_->bev())) >= request_size_;
}

bool UpstreamCall::canResend() const {
  // Only a reused keep-alive connection the server had closed before taking any byte:
  // once a byte left, the provider may have received the whole request (and bill it),
  // so a second copy is the handler's decision, counted as a retry.
  return attempt_ == UpstreamAttempt::kReused && state_ == State::kSending && bytes_ != nullptr &&
         nothingSent();
}

void UpstreamCall::resendOnFreshConnection() {
  conn_.reset();
  attempt_ = UpstreamAttempt::kFreshAfterStale;
  eof_seen_ = false;
  resetParser();
  moveTo(State::kAttachPending);
  kick();
}

void UpstreamCall::complete() {
  moveTo(State::kDone);
  stopTimers();
  UpstreamConnectionPtr conn = std::move(conn_);
  bufferevent* bev = conn->bev();
  const bool reusable = parser_.keepAlive() && !eof_seen_ &&
                        evbuffer_get_length(bufferevent_get_input(bev)) == 0 &&
                        evbuffer_get_length(bufferevent_get_output(bev)) == 0;
  if (reusable) {
    pool_.release(std::move(conn), origin_.idle_timeout);
  } else {
    conn.reset();
  }
  handler_.onUpstreamComplete();
}

void UpstreamCall::fail(UpstreamErrorKind kind, std::string detail) {
  fail(UpstreamError{kind, std::move(detail), responseStarted()});
}

void UpstreamCall::fail(UpstreamError error) {
  if (finished()) {
    return;
  }
  error.response_started = responseStarted();  // before kDone forgets it
  moveTo(State::kDone);
  stopTimers();
  closeConnection();
  handler_.onUpstreamError(error);
}

}  // namespace slotgate::gateway
