#include "gateway/proxy/proxy_request.h"

#include <algorithm>
#include <cmath>

#include "gateway/downstream/ascii.h"
#include "gateway/proxy/auth.h"
#include "gateway/proxy/request_id.h"
#include "gateway/proxy/request_outcome.h"
#include "gateway/proxy/upstream_head.h"
#include "gateway/upstream/upstream_pool.h"
#include "limits/cluster/cluster_runtime.h"
#include "metrics/log.h"

namespace slotgate::gateway {
namespace {

using metrics::ErrorType;
using Clock = std::chrono::steady_clock;

// Above this many bytes waiting for the client, stop reading the upstream.
constexpr size_t kSinkHighWater = 256 << 10;

std::string_view providerTypeName(conf::ProviderType t) {
  return t == conf::ProviderType::kAnthropic ? "anthropic" : "openai";
}

}  // namespace

// glibc's per-thread cache serves requests up to 1032 bytes; a larger object takes the slow
// malloc/free path (and may trigger a consolidation) once per request.
static_assert(sizeof(ProxyRequest) <= 1032, "keep ProxyRequest within glibc's tcache");

ProxyRequest::ProxyRequest(GatewayContext& context, Dispatcher& worker, UpstreamPool& upstream,
                           ConfigSnapshotPtr snapshot, IncomingRequest&& request,
                           const Endpoint& endpoint, ResponseSink& sink)
    : context_(context),
      worker_(worker),
      upstream_(upstream),
      snapshot_(std::move(snapshot)),
      request_(std::move(request)),
      sink_(sink),
      endpoint_(endpoint),
      started_(Clock::now()),
      request_id_(requestIdFor(request_.headers)),
      mark_(started_) {
  context_.active_requests.fetch_add(1, std::memory_order_relaxed);
}

ProxyRequest::~ProxyRequest() {
  if (phase_ != Phase::kDone) {
    // The client went away before its response completed: cancel upstream
    // (destroying the exchange closes that connection) and free both slots.
    exchange_.reset();
    leaveQueue();
    record(false, std::nullopt, /*client_gone=*/true);
  }
  context_.active_requests.fetch_sub(1, std::memory_order_relaxed);
}

void ProxyRequest::start() {
  const conf::Config& config = snapshot_->config();
  client_index_ = requestClient(config, request_);
  if (client_index_ == kNoClient) {
    respondError(ErrorType::kInvalidApiKey, "missing or unknown API key");
    return;
  }
  body_ = readBodyFields(request_.body);
  if (!body_.ok) {
    body_.model.clear();  // an ambiguous body names no model, not even in the logs
    respondError(ErrorType::kInvalidRequest, body_.error);
    return;
  }
  const auto t0 = Clock::now();
  resolution_ = snapshot_->resolver().resolve(body_.model);
  const double seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  auto& series = snapshot_->series();
  const auto method = static_cast<size_t>(resolution_.method);
  series.aliasResolution(method, resolution_.cache_hit).Increment();
  series.aliasDuration(method).Observe(seconds);
  if (resolution_.model == nullptr) {
    respondError(ErrorType::kModelNotFound, "model '" + body_.model + "' not found");
    return;
  }
  if (!clientMayUse(config.clients[client_index_], resolution_.model->name)) {
    respondError(ErrorType::kModelNotAllowed,
                 "model '" + resolution_.model->name + "' is not allowed for this key");
    return;
  }
  if (!routing::modelSpeaks(config, *resolution_.model, endpoint_.provider_type)) {
    respondError(ErrorType::kInvalidRequest,
                 "model '" + resolution_.model->name + "' has no " +
                     std::string(providerTypeName(endpoint_.provider_type)) + " target for path " +
                     request_.path);
    return;
  }
  track();
  admit();
}

void ProxyRequest::track() {
  if (context_.tracker == nullptr) {
    return;
  }
  auto entry = std::make_shared<metrics::ActiveEntry>();
  entry->request_id = request_id_;
  entry->client = snapshot_->config().clients[client_index_].id;
  entry->model = body_.model;
  entry->resolved_model = resolution_.model->name;
  entry->streaming = body_.stream;
  entry->started_at = std::chrono::system_clock::now();
  entry->started_steady = started_;
  tracked_ = context_.tracker->begin(std::move(entry));
}

// ---- admission ----

void ProxyRequest::admit() {
  if (!endpoint_.holds_slots) {
    pickAndSend();  // count_tokens: no client slot, no queue
    return;
  }
  const conf::Client& client = snapshot_->config().clients[client_index_];
  const auto& pool = snapshot_->clientSlots(client_index_);
  client_lease_ = pool->tryAcquire();
  if (client_lease_) {
    admitCluster();
    return;
  }
  const bool has_queue = client.queue && client.queue->max_waiting > 0;
  if (!has_queue) {
    respondError(ErrorType::kConcurrencyLimitExceeded,
                 "concurrency limit of " + std::to_string(pool->limit()) + " reached for this key",
                 1);
    return;
  }
  beginSlotWait();
  wait_ = pool->wait(worker_, client.queue->max_waiting,
                     [this](limits::SlotLease lease) { onClientSlot(std::move(lease)); });
  if (!wait_) {
    respondError(ErrorType::kConcurrencyLimitExceeded,
                 "concurrency limit reached and the waiting queue is full", 1);
    return;
  }
  phase_ = Phase::kQueued;
  snapshot_->series().queueDepth(resolution_.model_index).Increment();
  queue_counted_ = true;
  queue_timer_.reset(evtimer_new(worker_.base(), &ProxyRequest::onQueueTimeout, this));
  const auto ms = client.queue->timeout.count();
  timeval tv{static_cast<time_t>(ms / 1000), static_cast<suseconds_t>((ms % 1000) * 1000)};
  evtimer_add(queue_timer_.get(), &tv);
}

void ProxyRequest::leaveQueue() {
  endSlotWait();
  if (wait_) {
    wait_->cancel();
    wait_.reset();
  }
  queue_timer_.reset();
  if (queue_counted_) {
    snapshot_->series().queueDepth(resolution_.model_index).Decrement();
    queue_counted_ = false;
  }
}

void ProxyRequest::onClientSlot(limits::SlotLease lease) {
  leaveQueue();
  client_lease_ = std::move(lease);
  phase_ = Phase::kNew;
  admitCluster();
}

// The local client slot is held; in cluster mode the cluster-wide one is taken too (waiting,
// retried, until the queue timeout when the client has a queue).
void ProxyRequest::admitCluster() {
  ClusterRuntime* cluster = context_.cluster;
  const conf::Client& client = snapshot_->config().clients[client_index_];
  if (cluster == nullptr || client.max_concurrency == 0) {
    pickAndSend();
    return;
  }
  const bool has_queue = client.queue && client.queue->max_waiting > 0;
  const limits::SteadyTime until =
      has_queue ? started_ + client.queue->timeout : limits::SteadyTime{};
  beginSlotWait();
  cluster_pending_ = cluster->acquire(
      worker_.index(), {limits::SlotRequest{client.id, client.max_concurrency}},
      [this](ClusterRuntime::Verdict verdict, limits::ClusterLease lease) {
        endSlotWait();
        cluster_pending_.reset();
        switch (verdict) {
          case ClusterRuntime::Verdict::kGranted:
            client_cluster_ = std::move(lease);
            client_cluster_.onLost([this] { onClusterLeaseLost(); });
            [[fallthrough]];
          case ClusterRuntime::Verdict::kLocal:
            pickAndSend();
            return;
          case ClusterRuntime::Verdict::kFull:
            respondError(ErrorType::kConcurrencyLimitExceeded,
                         "concurrency limit of this key reached across the cluster", 1);
            return;
          case ClusterRuntime::Verdict::kUnavailable:
            respondError(ErrorType::kNoUpstreamAvailable,
                         "shared limit state (Redis) is unavailable", 1);
            return;
        }
      },
      until);
}

// A renewal found a slot of this request taken by another instance (this one stalled past
// lease_ttl): stop using it.
void ProxyRequest::onClusterLeaseLost() {
  metrics::LogLine(metrics::LogLevel::kWarn, "cluster_lease_lost")
      .str("request_id", request_id_)
      .emit();
  if (phase_ == Phase::kDone) {
    return;
  }
  exchange_.reset();
  if (headers_sent_) {
    finish(false, ErrorType::kUpstreamError);  // aborts the response
    return;
  }
  respondError(ErrorType::kNoUpstreamAvailable, "the concurrency slot was lost", 1);
}

void ProxyRequest::onQueueTimeout(evutil_socket_t, short, void* arg) {
  auto* self = static_cast<ProxyRequest*>(arg);
  self->leaveQueue();
  const auto& client = self->snapshot_->config().clients[self->client_index_];
  const auto secs = std::max<int64_t>(
      1, std::chrono::duration_cast<std::chrono::seconds>(client.queue->timeout).count());
  self->respondError(ErrorType::kConcurrencyLimitExceeded,
                     "no slot became free within the queue timeout", static_cast<int>(secs));
}

routing::KeyProbe ProxyRequest::keyProbe() const {
  const ConfigSnapshot* rt = snapshot_.get();
  const bool holds_slots = endpoint_.holds_slots;
  return [rt, holds_slots](size_t p, size_t k) {
    const ProviderKeyState& state = rt->providerKey(p, k);
    // Without a slot to take, a full key serves as well as any: config order decides.
    const uint32_t available = holds_slots ? state.slots->available() : UINT32_MAX;
    return routing::KeyView{available, state.breaker->admits()};
  };
}

bool ProxyRequest::pickAndSend() {
  std::vector<routing::Candidate> excluded = retry_.tried();
  excluded.insert(excluded.end(), cluster_full_.begin(), cluster_full_.end());
  const auto candidates = routing::rankCandidates(snapshot_->config(), *resolution_.model,
                                                  endpoint_.provider_type, keyProbe(), excluded);
  for (const auto& c : candidates) {
    const ProviderKeyState& state = snapshot_->providerKey(c.provider_index, c.key_index);
    limits::BreakerPermit permit = state.breaker->tryAdmit();
    if (!permit) {
      continue;
    }
    if (!endpoint_.holds_slots) {
      permit_ = std::move(permit);
      send(c);
      return true;
    }
    limits::SlotLease lease = state.slots->tryAcquire();
    if (!lease) {
      continue;  // taken by another worker since ranking; the permit goes back neutral
    }
    permit_ = std::move(permit);
    provider_lease_ = std::move(lease);
    const conf::Provider& provider = snapshot_->config().providers[c.provider_index];
    const conf::ProviderKey& key = provider.keys[c.key_index];
    if (context_.cluster != nullptr && (key.max_concurrency != 0 || permit_.isProbe())) {
      limits::SlotRequest request{key.id, key.max_concurrency};
      if (permit_.isProbe()) {
        request.probe_limit = std::max<uint32_t>(1, provider.circuit_breaker.half_open_requests);
        request.probe_window = std::chrono::duration_cast<std::chrono::milliseconds>(
            provider.circuit_breaker.open_duration);
      }
      cluster_candidate_ = c;
      beginSlotWait();
      cluster_pending_ = context_.cluster->acquire(
          worker_.index(), {std::move(request)},
          [this](ClusterRuntime::Verdict verdict, limits::ClusterLease lease) {
            onProviderCluster(verdict, std::move(lease));
          });
      return true;
    }
    send(c);
    return true;
  }
  // Nothing available: say when the first open circuit admits again (1 s
  // when keys are merely full).
  int64_t retry_ms = 0;
  for (const auto& t : resolution_.model->targets) {
    const auto& provider = snapshot_->config().providers[t.provider_index];
    for (size_t k = 0; k < provider.keys.size(); ++k) {
      const auto ms = snapshot_->providerKey(t.provider_index, k).breaker->retryAfter().count();
      if (ms > 0 && (retry_ms == 0 || ms < retry_ms)) {
        retry_ms = ms;
      }
    }
  }
  retry_ms = std::max<int64_t>(retry_ms, 1000);
  respondError(ErrorType::kNoUpstreamAvailable,
               "every target of model '" + resolution_.model->name +
                   "' is at its concurrency limit or has an open circuit",
               static_cast<int>((retry_ms + 999) / 1000));
  return false;
}

void ProxyRequest::onProviderCluster(ClusterRuntime::Verdict verdict, limits::ClusterLease lease) {
  endSlotWait();
  cluster_pending_.reset();
  const routing::Candidate c = *cluster_candidate_;
  cluster_candidate_.reset();
  switch (verdict) {
    case ClusterRuntime::Verdict::kGranted:
      provider_cluster_ = std::move(lease);
      provider_cluster_.onLost([this] { onClusterLeaseLost(); });
      [[fallthrough]];
    case ClusterRuntime::Verdict::kLocal:
      send(c);
      return;
    case ClusterRuntime::Verdict::kFull:
      // Full across the cluster: the local slot and the permit (neutral) go back; the next
      // candidate is tried. Not a retry: nothing was sent.
      permit_ = limits::BreakerPermit();
      provider_lease_ = limits::SlotLease();
      cluster_full_.push_back(c);
      pickAndSend();
      return;
    case ClusterRuntime::Verdict::kUnavailable:
      permit_ = limits::BreakerPermit();
      provider_lease_ = limits::SlotLease();
      respondError(ErrorType::kNoUpstreamAvailable, "shared limit state (Redis) is unavailable", 1);
      return;
  }
}

// ---- upstream ----

const conf::Provider* ProxyRequest::provider() const {
  return current_ ? &snapshot_->config().providers[current_->provider_index] : nullptr;
}

const conf::ProviderKey* ProxyRequest::providerKey() const {
  return current_ ? &provider()->keys[current_->key_index] : nullptr;
}

void ProxyRequest::send(const routing::Candidate& candidate) {
  current_ = candidate;
  phase_ = Phase::kUpstream;
  const conf::Provider& p = *provider();
  const conf::Target& target = resolution_.model->targets[candidate.target_index];
  UpstreamRequest upstream;
  // Streams whose client did not ask for usage ask for it here, so their tokens are counted
  // (issue 14); the usage-only chunk this adds is removed again on the way back.
  usage_asked_ = endpoint_.usage_on_request && p.inject_stream_usage && canAskForUsage(body_);
  upstream.body = rewriteUpstreamBody(request_.body, body_, target.model, usage_asked_);
  upstream.head = buildUpstreamHead(p, *providerKey(), request_, request_id_, upstream.body.size());
  upstream.timeout = p.request_timeout;
  // SPEC: request_timeout bounds the whole request; for streams, the time between chunks.
  upstream.idle_timeout_after_headers = body_.stream;
  UpstreamOrigin origin{p.url.tls, p.url.host, p.url.port, p.connect_timeout, p.idle_timeout};
  snapshot_->series().provider(candidate.provider_index).inflight->Increment();
  inflight_counted_ = true;
  if (tracked_) {
    context_.tracker->route(tracked_, p.name, target.model, providerKey()->id);
  }
  exchange_ = upstream_.send(origin, std::move(upstream), *this);
  leaveForUpstream();
}

bool ProxyRequest::retried(routing::AttemptFailure failure) {
  const routing::KeyProbe probe = keyProbe();
  const routing::ChoiceInputs inputs{snapshot_->config(), *resolution_.model,
                                     endpoint_.provider_type, probe};
  if (!retry_.shouldRetry(failure, *current_, inputs)) {
    return false;
  }
  mark_ = Clock::now();  // back inside slotgate until the next send
  where_ = Where::kInside;
  snapshot_->series().provider(current_->provider_index).retries->Increment();
  // The failed attempt's slot and exchange go; the request keeps its client slot.
  provider_lease_ = limits::SlotLease();
  provider_cluster_ = limits::ClusterLease();
  exchange_.reset();
  endInflight();
  pickAndSend();  // sends, or answers 503
  return true;
}

void ProxyRequest::onUpstreamHeaders(int status, std::vector<UpstreamHeader>&& headers) {
  const auto read_at = Clock::now();
  upstream_status_ = status;
  if (routing::RetryState::retriableStatus(status)) {
    permit_.failure();
    if (retried(routing::AttemptFailure::kRetriableStatus)) {
      return;
    }
  } else if (status >= 400) {
    permit_ = limits::BreakerPermit();  // 4xx: neither success nor failure
  }
  Headers out;
  out.reserve(headers.size() + 5);
  // On Anthropic paths `request-id` is slotgate's request id too (SPEC section 3), not the
  // provider's: the Anthropic SDKs read that one.
  const bool anthropic = endpoint_.format == ApiFormat::kAnthropic;
  std::optional<uint64_t> content_length;
  for (auto& h : headers) {
    toAsciiLower(h.name);
    if (isHopByHop(h.name) || h.name == "x-request-id" || h.name.rfind("x-slotgate-", 0) == 0 ||
        (anthropic && h.name == "request-id")) {
      continue;
    }
    if (h.name == "content-length") {
      char* end = nullptr;
      const unsigned long long v = std::strtoull(h.value.c_str(), &end, 10);
      if (end != h.value.c_str() && *end == '\0') {
        content_length = v;
      }
      continue;
    }
    if (h.name == "content-type" && h.value.rfind("text/event-stream", 0) == 0) {
      streaming_response_ = true;
    }
    out.push_back({std::move(h.name), std::move(h.value)});
  }
  out.push_back({"x-request-id", request_id_});
  if (anthropic) {
    out.push_back({"request-id", request_id_});
  }
  out.push_back({"x-slotgate-provider", provider()->name});
  out.push_back({"x-slotgate-model", resolution_.model->targets[current_->target_index].model});
  out.push_back({"x-slotgate-key", providerKey()->id});
  if (status < 300) {
    if (streaming_response_) {
      usage_parser_.emplace<metrics::StreamUsageParser>(endpoint_.format);
      if (usage_asked_) {
        usage_chunk_filter_ = std::make_unique<UsageChunkFilter>();
      }
    } else {
      usage_parser_.emplace<metrics::JsonUsageParser>(endpoint_.format);
    }
  }
  phase_ = Phase::kStreaming;
  headers_sent_ = true;
  final_status_ = status;
  sink_.sendHeaders(status, out, content_length);
  addOverhead(Clock::now() - read_at);
}

void ProxyRequest::onUpstreamData(std::string_view bytes) {
  const auto read_at = Clock::now();
  auto* stream_usage = std::get_if<metrics::StreamUsageParser>(&usage_parser_);
  if (stream_usage != nullptr) {
    contentArrived(stream_usage->feed(bytes), read_at);
  } else if (auto* json_usage = std::get_if<metrics::JsonUsageParser>(&usage_parser_)) {
    json_usage->feed(bytes);
    if (last_content_ == Clock::time_point{}) {
      contentArrived(1, read_at);  // a body's first byte is its first token
    }
  }
  const std::string_view out = usage_chunk_filter_ ? usage_chunk_filter_->filter(bytes) : bytes;
  bytes_out_ += out.size();
  if (!out.empty()) {
    sink_.sendData(out);
  }
  if (tracked_) {
    tracked_->bytes.store(bytes_out_, std::memory_order_relaxed);
    if (stream_usage != nullptr) {
      tracked_->setUsage(stream_usage->usage());
    }
    context_.tracker->progress(tracked_);  // one relaxed atomic: the SSE view coalesces
  }
  if (!paused_ && sink_.pendingBytes() > kSinkHighWater && exchange_) {
    paused_ = true;
    exchange_->pauseReading();
  }
  addOverhead(Clock::now() - read_at);
}

// ---- timings (issue 14) ----

void ProxyRequest::addOverhead(Clock::duration d) {
  overhead_s_ += std::chrono::duration<float>(d).count();
}

void ProxyRequest::beginSlotWait() {
  const auto now = Clock::now();
  if (where_ == Where::kInside) {
    addOverhead(now - mark_);
  }
  mark_ = now;
  where_ = Where::kWaiting;
  waited_ = true;
}

void ProxyRequest::endSlotWait() {
  if (where_ != Where::kWaiting) {
    return;
  }
  const auto now = Clock::now();
  queue_wait_s_ += std::chrono::duration<float>(now - mark_).count();
  mark_ = now;
  where_ = Where::kInside;
}

void ProxyRequest::leaveForUpstream() {
  if (where_ == Where::kInside) {
    addOverhead(Clock::now() - mark_);
    where_ = Where::kUpstream;
  }
}

metrics::TokenUsage ProxyRequest::usage() const {
  if (const auto* stream = std::get_if<metrics::StreamUsageParser>(&usage_parser_)) {
    return stream->usage();  // a stream that ended early: the tokens seen so far
  }
  if (const auto* finished = std::get_if<metrics::TokenUsage>(&usage_parser_)) {
    return *finished;
  }
  return {};
}

void ProxyRequest::contentArrived(size_t events, Clock::time_point at) {
  if (events == 0 || !current_) {
    return;
  }
  auto& series = snapshot_->series();
  const size_t shard = worker_.index();
  size_t gaps = events;
  if (last_content_ == Clock::time_point{}) {
    const Clock::duration ttft = at - started_;
    if (tracked_) {
      // Kept on the tracker's entry, not here: ProxyRequest must stay within 1032 bytes.
      tracked_->ttft_ms = std::chrono::duration<float, std::milli>(ttft).count();
    }
    if (auto* h = series.timeToFirstToken(resolution_.model_index, current_->target_index)) {
      h->observe(shard, ttft);
    }
    --gaps;
  } else if (streaming_response_) {
    // Chunks read together came together: the first has the real gap, the others 0.
    series.provider(current_->provider_index).chunk_gap->observe(shard, at - last_content_);
    --gaps;
  }
  last_content_ = at;
  if (streaming_response_ && gaps > 0) {
    series.provider(current_->provider_index).chunk_gap->observe(shard, Clock::duration{}, gaps);
  }
}

void ProxyRequest::onSinkDrained() {
  if (paused_ && exchange_) {
    paused_ = false;
    exchange_->resumeReading();
  }
}

void ProxyRequest::onUpstreamComplete() {
  if (usage_chunk_filter_) {
    const std::string_view rest = usage_chunk_filter_->finish();
    bytes_out_ += rest.size();
    if (!rest.empty()) {
      sink_.sendData(rest);
    }
  }
  if (auto* json_usage = std::get_if<metrics::JsonUsageParser>(&usage_parser_)) {
    const metrics::TokenUsage finished = json_usage->finish();
    usage_parser_.emplace<metrics::TokenUsage>(finished);
  }
  if (permit_) {
    permit_.success();
  }
  // The response reached the client whole: the slots end without exception.
  client_lease_.markCompleted();
  provider_lease_.markCompleted();
  const bool success = upstream_status_ < 400;
  finish(success, success ? std::nullopt : std::optional<ErrorType>(ErrorType::kUpstreamStatus));
}

void ProxyRequest::onUpstreamError(const UpstreamError& error) {
  const bool timeout = error.kind == UpstreamErrorKind::kTimeout;
  const bool local = error.kind == UpstreamErrorKind::kLocal;
  if (timeout) {
    snapshot_->series().provider(current_->provider_index).timeouts->Increment();
  }
  if (local) {
    // This host is out of descriptors (or memory, or ports): the provider was never reached
    // and is not at fault. Counting it would let anyone who can exhaust our descriptors open
    // circuits (in cluster mode, for every instance).
    permit_ = limits::BreakerPermit();
  } else if (permit_) {
    permit_.failure();
  }
  metrics::LogLine(metrics::LogLevel::kWarn, "upstream_error")
      .str("request_id", request_id_)
      .str("provider", provider()->name)
      .str("key_id", providerKey()->id)
      .str("kind", upstreamErrorKindName(error.kind))
      .str("detail", error.detail)
      .boolean("response_started", headers_sent_)
      .emit();
  if (headers_sent_) {
    // Mid-response: never pass a broken stream off as a clean end.
    exchange_.reset();
    finish(false, timeout ? ErrorType::kUpstreamTimeout : ErrorType::kUpstreamError);
    return;
  }
  if (timeout) {
    respondError(ErrorType::kUpstreamTimeout,
                 "provider '" + provider()->name + "' did not answer within request_timeout");
    return;
  }
  if (local) {
    // No retry: another target would meet the same shortage here. 503 with Retry-After, as for
    // any capacity the gateway lacks for the moment.
    respondError(ErrorType::kNoUpstreamAvailable,
                 "the gateway is out of local resources (open files) and could not open an "
                 "upstream connection; the provider was not contacted",
                 1);
    return;
  }
  if (retried(routing::AttemptFailure::kConnection)) {
    return;
  }
  respondError(ErrorType::kUpstreamError, "provider '" + provider()->name + "' failed: " +
                                              std::string(upstreamErrorKindName(error.kind)));
}

// ---- endings ----

void ProxyRequest::respondError(ErrorType error, const std::string& message, int retry_after_s) {
  exchange_.reset();
  const int status = metrics::errorTypeStatus(error);
  std::string body = errorBody(endpoint_.format, error, message);
  Headers headers = gatewayAnswerHeaders(endpoint_.format, request_id_);
  if (retry_after_s > 0) {
    headers.push_back({"retry-after", std::to_string(retry_after_s)});
  }
  if (current_) {
    // A target was chosen (the last one tried): say which, as on a proxied answer.
    headers.push_back({"x-slotgate-provider", provider()->name});
    headers.push_back(
        {"x-slotgate-model", resolution_.model->targets[current_->target_index].model});
    headers.push_back({"x-slotgate-key", providerKey()->id});
  }
  final_status_ = status;
  phase_ = Phase::kDone;
  record(false, error, false);
  releaseSlots();
  sink_.sendHeaders(status, headers, body.size());
  sink_.sendData(body);
  sink_.finish();
}

void ProxyRequest::releaseSlots() {
  // Provider slots first: a client slot freed here may be handed at once to a waiter on
  // another worker, which then asks for a provider slot; with the provider slot still held it
  // would find the key full and get a 503 although capacity was there.
  cluster_pending_.reset();
  provider_cluster_ = limits::ClusterLease();
  client_cluster_ = limits::ClusterLease();
  provider_lease_ = limits::SlotLease();
  client_lease_ = limits::SlotLease();
}

void ProxyRequest::endInflight() {
  if (inflight_counted_) {
    snapshot_->series().provider(current_->provider_index).inflight->Decrement();
    inflight_counted_ = false;
  }
}

void ProxyRequest::finish(bool success, std::optional<ErrorType> error) {
  phase_ = Phase::kDone;
  record(success, error, false);
  // Slots go back before the client hears the end, so that a client that
  // immediately sends its next request finds its slot free.
  releaseSlots();
  if (error && *error != ErrorType::kUpstreamStatus) {
    sink_.abort();
  } else {
    sink_.finish();
  }
}

void ProxyRequest::record(bool success, std::optional<ErrorType> error, bool client_gone) {
  const auto now = Clock::now();
  if (where_ == Where::kWaiting) {
    queue_wait_s_ += std::chrono::duration<float>(now - mark_).count();
  } else if (where_ == Where::kInside) {
    addOverhead(now - mark_);
  }
  where_ = Where::kUpstream;  // nothing more is added
  endInflight();
  RequestOutcome outcome;
  outcome.request_id = request_id_;
  outcome.method = request_.method;
  outcome.path = request_.path;
  outcome.client = client_index_;
  outcome.model = body_.model;
  outcome.resolved = resolution_.model;
  outcome.model_index = resolution_.model_index;
  outcome.target = current_ ? &*current_ : nullptr;
  outcome.streaming = body_.stream;
  outcome.success = success;
  outcome.error = error;
  outcome.client_gone = client_gone;
  outcome.status = final_status_;
  outcome.seconds = std::chrono::duration<double>(now - started_).count();
  outcome.usage = usage();
  outcome.usage_expected = !std::holds_alternative<std::monostate>(usage_parser_);
  outcome.retries = retry_.retriesUsed();
  outcome.bytes_out = bytes_out_;
  outcome.overhead_s = overhead_s_;
  if (waited_) {
    outcome.queue_wait_s = queue_wait_s_;
  }
  outcome.ttft_ms = tracked_ ? tracked_->ttft_ms : -1.0f;
  outcome.record(*snapshot_, context_, worker_.index(), tracked_);
}

}  // namespace slotgate::gateway
