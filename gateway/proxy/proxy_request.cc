#include "gateway/proxy/proxy_request.h"

#include "gateway/proxy/attempt_verdict.h"
#include "gateway/proxy/auth.h"
#include "gateway/proxy/model_checks.h"
#include "gateway/proxy/request_id.h"
#include "gateway/proxy/request_outcome.h"
#include "gateway/proxy/response_header_filter.h"
#include "gateway/proxy/target_choice.h"
#include "gateway/proxy/upstream_head.h"
#include "gateway/upstream/upstream_pool.h"
#include "limits/cluster/cluster_runtime.h"
#include "metrics/log.h"

namespace slotgate::gateway {
namespace {

using metrics::ErrorType;
using Clock = std::chrono::steady_clock;

}  // namespace

// ProxyRequest's memory comes from the worker's free list (ThreadPooled), so its size is no longer
// held within glibc's per-thread cache (1032 bytes): the request id's fixed array (RequestId,
// 129 bytes) took it past that. It stays one block, taken and given back once per request.
static_assert(sizeof(ProxyRequest) <= 2048, "one block of the worker's free list per request");

ProxyRequest::ProxyRequest(GatewayContext& context, Dispatcher& worker, UpstreamPool& upstream,
                           ConfigSnapshotPtr snapshot, IncomingRequestPtr&& request,
                           const routing::Endpoint& endpoint, ResponseSink& sink)
    : context_(context),
      worker_(worker),
      upstream_(upstream),
      snapshot_(std::move(snapshot)),
      request_(std::move(request)),
      sink_(sink),
      endpoint_(endpoint),
      started_(Clock::now()),
      request_id_(requestIdFor(request_->headers)),
      admission_(*this),
      mark_(started_) {
  context_.active_requests.fetch_add(1, std::memory_order_relaxed);
}

ProxyRequest::~ProxyRequest() {
  if (state_ != State::kDone) {
    // The client went away before its response completed: cancel upstream
    // (destroying the exchange closes that connection) and free both slots.
    attempt_.end(*snapshot_);
    conclude(false, std::nullopt, /*client_gone=*/true);
  }
  context_.active_requests.fetch_sub(1, std::memory_order_relaxed);
}

void ProxyRequest::start() {
  const conf::Config& config = snapshot_->config();
  client_index_ = requestClient(config, *request_);
  if (client_index_ == kNoClient) {
    respondError(ErrorType::kInvalidApiKey, "missing or unknown API key");
    return;
  }
  body_ = readBodyFields(request_->body);
  if (!body_.ok) {
    body_.model.clear();  // an ambiguous body names no model, not even in the logs
    respondError(ErrorType::kInvalidRequest, body_.error);
    return;
  }
  resolution_ = resolveModel(*snapshot_, body_.model);
  if (auto refusal = checkModel(config, config.clients[client_index_], body_.model, resolution_,
                                endpoint_, request_->path)) {
    respondError(refusal->error, refusal->message);
    return;
  }
  live_.begin(context_.tracker, {request_id_, config.clients[client_index_].id, body_.model,
                                 resolution_.model->name, body_.stream, started_});
  admit();
}

// ---- admission ----

void ProxyRequest::admit() {
  if (!endpoint_.holds_slots) {
    pickAndSend();  // count_tokens: no client slot, no queue
    return;
  }
  const Admission::ClientSlot slot{
      snapshot_->config().clients[client_index_], *snapshot_->clientSlots(client_index_),
      snapshot_->series().queueDepth(resolution_.model_index), started_};
  admission_.admitClient(worker_, context_.cluster, slot);
}

void ProxyRequest::onSlotWaitBegins() { enter(State::kWaiting); }

void ProxyRequest::onSlotWaitEnds() {
  if (state_ == State::kWaiting) {
    enter(State::kAdmitting);
  }
}

void ProxyRequest::onClientAdmitted() { pickAndSend(); }
void ProxyRequest::onProviderAdmitted(const routing::Candidate& candidate) { send(candidate); }
void ProxyRequest::onProviderFull() { pickAndSend(); }

void ProxyRequest::onRefused(ErrorType error, std::string_view message, int retry_after_s) {
  respondError(error, std::string(message), retry_after_s);
}

// A renewal found a slot of this request taken by another instance (this one stalled past
// lease_ttl): stop using it.
void ProxyRequest::onSlotLost() {
  metrics::LogLine(metrics::LogLevel::kWarn, "cluster_lease_lost")
      .str("request_id", request_id_)
      .emit();
  if (state_ == State::kDone) {
    return;
  }
  attempt_.end(*snapshot_);
  if (state_ == State::kStreaming) {
    finish(false, ErrorType::kUpstreamError);  // aborts the response
    return;
  }
  respondError(ErrorType::kNoUpstreamAvailable, "the concurrency slot was lost", 1);
}

TargetChoice ProxyRequest::targetChoice() const {
  return {*snapshot_, *resolution_.model, endpoint_};
}

void ProxyRequest::pickAndSend() {
  // The ranking goes into this thread's spare list, taken for the call and given back after it,
  // so the list keeps its capacity from request to request (issue 12). A nested call while it
  // is taken finds no spare and starts a list of its own; either list may end up as the spare.
  thread_local std::vector<routing::Candidate> spare;
  std::vector<routing::Candidate> candidates = std::exchange(spare, {});
  targetChoice().rank(retry_, admission_.clusterFull(), candidates);
  trySending(candidates);
  spare = std::move(candidates);
}

void ProxyRequest::trySending(const std::vector<routing::Candidate>& candidates) {
  for (const auto& c : candidates) {
    switch (
        admission_.takeProvider(worker_, context_.cluster, *snapshot_, c, endpoint_.holds_slots)) {
      case Admission::Take::kBusy:
        continue;
      case Admission::Take::kTaken:
        send(c);
        return;
      case Admission::Take::kPending:
        return;
    }
  }
  respondError(ErrorType::kNoUpstreamAvailable,
               "every target of model '" + resolution_.model->name +
                   "' is at its concurrency limit or has an open circuit",
               Admission::retryAfterSeconds(*snapshot_, *resolution_.model));
}

// ---- upstream ----

RouteNames ProxyRequest::routeNames() const {
  return attempt_.routeNames(snapshot_->config(), *resolution_.model);
}

void ProxyRequest::send(const routing::Candidate& candidate) {
  attempt_.start(*snapshot_, candidate,
                 {*request_, body_, request_id_, endpoint_, *resolution_.model}, upstream_, *this);
  const conf::Provider& p = snapshot_->config().providers[candidate.provider_index];
  live_.route(context_.tracker, p.name, resolution_.model->targets[candidate.target_index].model,
              p.keys[candidate.key_index].id);
  if (state_ == State::kAdmitting) {  // the exchange's making counts as slotgate's own time
    enter(State::kUpstream);
  }
}

bool ProxyRequest::retried(routing::AttemptFailure failure) {
  const routing::Candidate failed = *attempt_.candidate();
  std::vector<routing::Candidate> next;  // ranked once, by the retry decision
  if (!targetChoice().retry(retry_, failure, failed, admission_.clusterFull(), next)) {
    return false;
  }
  enter(State::kAdmitting);  // back inside slotgate until the next send
  snapshot_->series().provider(failed.provider_index).retries->Increment();
  // The failed attempt's slot and exchange go; the request keeps its client slot.
  admission_.endAttempt();
  attempt_.end(*snapshot_);
  trySending(next);  // sends, or answers 503
  return true;
}

void ProxyRequest::onUpstreamHeaders(int status, const std::vector<UpstreamHeader>& headers) {
  const auto read_at = Clock::now();
  const AttemptVerdict verdict = verdictOnStatus(status);
  admission_.judge(verdict.breaker);
  if (verdict.retry && retried(*verdict.retry)) {
    return;
  }
  // This thread's head, reused: its entries keep their buffers from response to response
  // (issue 12). sendHeaders copies it out; nothing holds it past this call.
  thread_local ClientHead head;
  filterResponseHead(headers, endpoint_.format, request_id_, routeNames(), head);
  if (status < 300) {
    meter_.begin(endpoint_.format, head.event_stream, attempt_.usageAsked());
  }
  enter(State::kStreaming, read_at);
  final_status_ = status;
  sink_.sendHeaders(status, head.headers, head.content_length);
  addOverhead(Clock::now() - read_at);
}

void ProxyRequest::onUpstreamData(std::string_view bytes) {
  const auto read_at = Clock::now();
  const ResponseMeter::ContentTimings timings{snapshot_->series(),
                                              resolution_.model_index,
                                              *attempt_.candidate(),
                                              worker_.index(),
                                              started_,
                                              live_.get()};
  const std::string_view out = meter_.feed(bytes, read_at, timings);
  if (!out.empty()) {
    sink_.sendData(out);
  }
  live_.progress(context_.tracker, meter_.bytesOut(), meter_.streamUsage());
  attempt_.throttle(sink_.pendingBytes());
  addOverhead(Clock::now() - read_at);
}

// ---- timings (issue 14) ----

void ProxyRequest::addOverhead(Clock::duration d) {
  overhead_s_ += std::chrono::duration<float>(d).count();
}

// The one place the state changes. The time since mark_ goes to where the request was: inside
// slotgate (overhead) or waiting for a slot (queue wait); upstream time is neither.
void ProxyRequest::enter(State next, Clock::time_point now) {
  if (state_ == State::kAdmitting) {
    addOverhead(now - mark_);
  } else if (state_ == State::kWaiting) {
    queue_wait_s_ += std::chrono::duration<float>(now - mark_).count();
  }
  mark_ = now;
  waited_ = waited_ || next == State::kWaiting;
  state_ = next;
}

void ProxyRequest::onSinkDrained() { attempt_.onClientDrained(); }

void ProxyRequest::onUpstreamComplete() {
  const std::string_view rest = meter_.finish();
  if (!rest.empty()) {
    sink_.sendData(rest);
  }
  admission_.judge(BreakerVerdict::kSuccess);
  // The response reached the client whole: the slots end without exception.
  admission_.markCompleted();
  attempt_.complete(*snapshot_);
  // The head that went to the client is this attempt's: a retried one's exchange was ended.
  const bool success = final_status_ < 400;
  finish(success, success ? std::nullopt : std::optional<ErrorType>(ErrorType::kUpstreamStatus));
}

void ProxyRequest::onUpstreamError(const UpstreamError& error) {
  const bool response_started = state_ == State::kStreaming;
  const AttemptVerdict verdict = verdictOnError(error.kind, response_started);
  if (verdict.timeout) {
    snapshot_->series().provider(attempt_.candidate()->provider_index).timeouts->Increment();
  }
  admission_.judge(verdict.breaker);
  const RouteNames route = routeNames();
  ProxyAttempt::logFailure(route, request_id_, error, response_started);
  if (response_started) {
    // Mid-response: never pass a broken stream off as a clean end.
    attempt_.end(*snapshot_);
    finish(false, verdict.error);
    return;
  }
  if (verdict.retry && retried(*verdict.retry)) {
    return;
  }
  respondError(*verdict.error, upstreamFailureMessage(error.kind, route.provider),
               verdict.retry_after_s);
}

// ---- endings ----

void ProxyRequest::respondError(ErrorType error, const std::string& message, int retry_after_s) {
  attempt_.end(*snapshot_);
  const int status = errorTypeStatus(error);
  std::string body = errorBody(endpoint_.format, error, message);
  Headers headers = gatewayAnswerHeaders(endpoint_.format, request_id_);
  if (retry_after_s > 0) {
    headers.push_back({"retry-after", std::to_string(retry_after_s)});
  }
  if (attempt_.candidate() != nullptr) {
    // A target was chosen (the last one tried): say which, as on a proxied answer.
    appendRouteHeaders(headers, routeNames());
  }
  final_status_ = status;
  conclude(false, error, false);
  sink_.sendHeaders(status, headers, body.size());
  sink_.sendData(body);
  sink_.finish();
}

void ProxyRequest::finish(bool success, std::optional<ErrorType> error) {
  conclude(success, error, false);
  if (error && *error != ErrorType::kUpstreamStatus) {
    sink_.abort();
  } else {
    sink_.finish();
  }
}

// The one way into kDone: the outcome is recorded and the slots go back, before the client hears
// the end, so that a client that immediately sends its next request finds its slot free.
void ProxyRequest::conclude(bool success, std::optional<ErrorType> error, bool client_gone) {
  enter(State::kDone);
  RequestOutcome outcome;
  outcome.request_id = request_id_;
  outcome.method = request_->method;
  outcome.path = request_->path;
  outcome.client = client_index_;
  outcome.model = body_.model;
  outcome.resolved = resolution_.model;
  outcome.model_index = resolution_.model_index;
  outcome.target = attempt_.candidate();
  outcome.streaming = body_.stream;
  outcome.success = success;
  outcome.error = error;
  outcome.client_gone = client_gone;
  outcome.status = final_status_;
  outcome.duration = mark_ - started_;  // mark_: kDone
  outcome.usage = meter_.usage();
  outcome.usage_expected = meter_.began();
  outcome.retries = retry_.retriesUsed();
  outcome.bytes_out = meter_.bytesOut();
  outcome.overhead_s = overhead_s_;
  if (waited_) {
    outcome.queue_wait_s = queue_wait_s_;
  }
  outcome.ttft_ms = live_.ttftMs();
  outcome.record(*snapshot_, context_, worker_.index(), live_.entry());
  admission_.release();
}

}  // namespace slotgate::gateway
