#include "tests/mock_provider/exchange.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>

#include "tests/mock_provider/bodies.h"
#include "tests/mock_provider/worker.h"

namespace slotgate::mock {
namespace {

// One scratch buffer per worker thread: answers are built here and copied into the evbuffer,
// so the steady state allocates nothing for them.
std::string& scratch() {
  thread_local std::string buffer;
  buffer.clear();
  return buffer;
}

ResponseContext contextOf(const Plan& plan) {
  return ResponseContext{plan.path,    plan.model,        plan.id,
                         plan.created, plan.includeUsage, plan.embeddingInputs};
}

const char* reasonOf(int status) {
  switch (status) {
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 429:
      return "Too Many Requests";
    case 500:
      return "Internal Server Error";
    default:
      return "Error";
  }
}

void sendSseChunk(evhttp_request* req, const std::string& data) {
  evbuffer* chunk = evbuffer_new();
  evbuffer_add(chunk, data.data(), data.size());
  evhttp_send_reply_chunk(req, chunk);
  evbuffer_free(chunk);
}

}  // namespace

void sendBody(evhttp_request* req, const Plan& plan) {
  const ResponseContext ctx = contextOf(plan);
  std::string& out = scratch();
  appendNonStreamBody(out, ctx, 0);
  if (plan.bodyBytes > out.size() && plan.path != ApiPath::kEmbeddings &&
      plan.path != ApiPath::kMessagesCountTokens) {
    const size_t pad = plan.bodyBytes - out.size();
    out.clear();
    appendNonStreamBody(out, ctx, pad);
  }
  evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", "application/json");
  evbuffer_add(evhttp_request_get_output_buffer(req), out.data(), out.size());
  evhttp_send_reply(req, 200, "OK", nullptr);
}

void sendError(evhttp_request* req, ApiPath path, int status, const char* message) {
  std::string& out = scratch();
  appendErrorBody(out, path, status, message);
  evkeyvalq* headers = evhttp_request_get_output_headers(req);
  evhttp_add_header(headers, "Content-Type", "application/json");
  if (status == 429) {
    evhttp_add_header(headers, "Retry-After", "1");
  }
  evbuffer_add(evhttp_request_get_output_buffer(req), out.data(), out.size());
  evhttp_send_reply(req, status, reasonOf(status), nullptr);
}

void Exchange::start(Worker& worker, evhttp_request* req, Plan&& plan) {
  if (plan.fail == FailMode::kNone && plan.latencyMs == 0 && !plan.stream && plan.delayMs == 0 &&
      plan.holdName.empty()) {
    // The benchmark path: answer inside the request callback, no heap state.
    sendBody(req, plan);
    worker.stats().end(false);
    return;
  }
  auto* exchange = new Exchange(worker, req, std::move(plan));
  exchange->begin();
}

Exchange::Exchange(Worker& worker, evhttp_request* req, Plan&& plan)
    : worker_(worker), req_(req), plan_(std::move(plan)) {
  timer_ = evtimer_new(worker_.base(), &Exchange::onTimer, this);
}

Exchange::~Exchange() {
  if (timer_ != nullptr) {
    event_free(timer_);
  }
}

void Exchange::abandon() {
  if (holdId_ != 0) {
    worker_.forgetHold(holdId_, plan_.holdName);
  }
  worker_.untrack(this);
  worker_.stats().end(true);
  delete this;
}

void Exchange::begin() {
  conn_ = evhttp_request_get_connection(req_);
  evhttp_connection_set_closecb(conn_, &Exchange::onConnectionClose, this);
  worker_.track(this);
  watchClose();
  if (plan_.latencyMs > 0) {
    phase_ = Phase::kLatency;
    arm(plan_.latencyMs);
    return;
  }
  afterLatency();
}

void Exchange::afterLatency() {
  // Only a stream that goes on to its headers can be held after them.
  const bool streamsHeaders =
      plan_.stream && (plan_.fail == FailMode::kNone || plan_.fail == FailMode::kDrop);
  if (holdPending() && (plan_.holdBeforeHeaders || !streamsHeaders)) {
    enterHold();
    return;
  }
  const int status = failStatus(plan_.fail);
  if (status != 0) {
    detach();
    sendError(req_, plan_.path, status, "mock failure requested");
    done(false);
    return;
  }
  switch (plan_.fail) {
    case FailMode::kHang:
      phase_ = Phase::kHang;  // only the client closing ends it
      return;
    case FailMode::kClose:
      closeSoon();
      return;
    case FailMode::kDrop:
      if (!plan_.stream) {
        closeSoon();
        return;
      }
      break;
    default:
      break;
  }
  if (!plan_.stream) {
    if (plan_.delayMs > 0) {
      phase_ = Phase::kBodyDelay;
      arm(plan_.delayMs);
      return;
    }
    detach();
    sendBody(req_, plan_);
    done(false);
    return;
  }
  startStream();
}

void Exchange::startStream() {
  unwatchClose();
  evkeyvalq* headers = evhttp_request_get_output_headers(req_);
  evhttp_add_header(headers, "Content-Type", "text/event-stream");
  evhttp_add_header(headers, "Cache-Control", "no-cache");
  evhttp_send_reply_start(req_, 200, "OK");
  headersSent_ = true;
  std::string& out = scratch();
  appendStreamHead(out, contextOf(plan_));
  if (!out.empty()) {
    sendSseChunk(req_, out);
  }
  phase_ = Phase::kStreaming;
  if (holdPending()) {
    enterHold();
    return;
  }
  if (plan_.fail == FailMode::kDrop && plan_.chunks == 0) {
    closeSoon();
    return;
  }
  continueStream();
}

void Exchange::continueStream() {
  if (holdBeforeChunk()) {
    enterHold();
    return;
  }
  if (plan_.delayMs > 0 && sent_ < plan_.chunks) {
    arm(plan_.delayMs);
    return;
  }
  while (sent_ < plan_.chunks) {
    if (!sendContentChunk()) {
      return;
    }
    if (holdBeforeChunk()) {
      enterHold();
      return;
    }
  }
  endStream();
}

bool Exchange::sendContentChunk() {
  std::string& out = scratch();
  appendStreamChunk(out, contextOf(plan_), sent_);
  sendSseChunk(req_, out);
  ++sent_;
  if (plan_.fail == FailMode::kDrop) {
    closeSoon();
    return false;
  }
  return true;
}

void Exchange::endStream() {
  std::string& out = scratch();
  appendStreamTail(out, contextOf(plan_), plan_.chunks);
  sendSseChunk(req_, out);
  detach();
  evhttp_send_reply_end(req_);
  done(false);
}

void Exchange::closeSoon() {
  // Deferred to a timer: never free the connection inside an evhttp callback, and let the
  // bytes already queued (headers + first chunk for `drop`) reach the socket first.
  phase_ = Phase::kClosing;
  arm(0);
}

void Exchange::closeNow() {
  bufferevent* bev = evhttp_connection_get_bufferevent(conn_);
  if (bev != nullptr && evbuffer_get_length(bufferevent_get_output(bev)) > 0 &&
      closeWaitTicks_++ < 2000) {
    arm(1);
    return;
  }
  detach();
  // Frees the request with it (it is still queued on the connection): no answer, no last chunk.
  evhttp_connection_free(conn_);
  done(false);
}

void Exchange::arm(int ms) {
  // libevent counts a timer from the time cached when this loop turn began, so a timer armed
  // late in a busy turn would fire early by the turn's length; the mock's delays are lower
  // bounds tests rely on (x-mock-delay-ms), so count from now.
  event_base_update_cache_time(event_get_base(timer_));
  timeval tv{ms / 1000, (ms % 1000) * 1000};
  evtimer_add(timer_, &tv);
}

void Exchange::enterHold() {
  holdTaken_ = true;
  phase_ = Phase::kHeld;
  holdId_ = worker_.hold(this, plan_.holdName);
}

void Exchange::resume() {
  holdId_ = 0;
  ++releases_;
  if (!headersSent_) {
    afterLatency();  // held before its headers
    return;
  }
  phase_ = Phase::kStreaming;
  if (plan_.fail == FailMode::kDrop && plan_.chunks == 0) {
    closeSoon();
    return;
  }
  continueStream();
}

void Exchange::watchClose() {
  bufferevent* bev = evhttp_connection_get_bufferevent(conn_);
  if (bev == nullptr) {
    return;
  }
  bufferevent_getcb(bev, &savedRead_, &savedWrite_, &savedEvent_, &savedArg_);
  savedEnabled_ = bufferevent_get_enabled(bev);
  bufferevent_setcb(bev, &Exchange::onWatchRead, savedWrite_, &Exchange::onWatchEvent, this);
  bufferevent_enable(bev, EV_READ);
  watching_ = true;
}

void Exchange::unwatchClose() {
  if (!watching_) {
    return;
  }
  watching_ = false;
  bufferevent* bev = evhttp_connection_get_bufferevent(conn_);
  bufferevent_setcb(bev, savedRead_, savedWrite_, savedEvent_, savedArg_);
  if ((savedEnabled_ & EV_READ) == 0) {
    bufferevent_disable(bev, EV_READ);
  }
}

void Exchange::onWatchRead(bufferevent* bev, void* /*arg*/) {
  // The client sent more (a pipelined request): leave it for evhttp to read after this answer
  // and stop reading; EOF then goes unnoticed until the answer is written.
  bufferevent_disable(bev, EV_READ);
}

void Exchange::onWatchEvent(bufferevent* bev, short what, void* arg) {
  auto* self = static_cast<Exchange*>(arg);
  const auto forward = self->savedEvent_;
  void* forwardArg = self->savedArg_;
  self->unwatchClose();
  // evhttp fails the connection: the request is detached and onConnectionClose deletes us.
  forward(bev, what, forwardArg);
}

void Exchange::detach() {
  unwatchClose();
  evhttp_connection_set_closecb(conn_, nullptr, nullptr);
  evtimer_del(timer_);
}

void Exchange::done(bool cancelled) {
  if (holdId_ != 0) {
    worker_.forgetHold(holdId_, plan_.holdName);
  }
  worker_.untrack(this);
  worker_.stats().end(cancelled);
  delete this;
}

void Exchange::onTimer(int /*fd*/, short /*what*/, void* arg) {
  auto* self = static_cast<Exchange*>(arg);
  switch (self->phase_) {
    case Phase::kLatency:
      self->afterLatency();
      return;
    case Phase::kBodyDelay:
      self->detach();
      sendBody(self->req_, self->plan_);
      self->done(false);
      return;
    case Phase::kStreaming:
      if (!self->sendContentChunk()) {
        return;
      }
      self->continueStream();
      return;
    case Phase::kClosing:
      self->closeNow();
      return;
    case Phase::kHang:
    case Phase::kHeld:
      return;
  }
}

void Exchange::onConnectionClose(evhttp_connection* /*conn*/, void* arg) {
  auto* self = static_cast<Exchange*>(arg);
  evtimer_del(self->timer_);
  // A detached request (client EOF / error) is ours to free; one still attached (evhttp_free
  // at shutdown) is freed by libevent right after this callback.
  if (evhttp_request_get_connection(self->req_) == nullptr) {
    evhttp_request_free(self->req_);
  }
  self->done(true);
}

}  // namespace slotgate::mock
