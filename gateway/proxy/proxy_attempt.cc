#include "gateway/proxy/proxy_attempt.h"

#include "gateway/event/spare_strings.h"
#include "gateway/proxy/stream_options.h"
#include "gateway/proxy/upstream_head.h"
#include "metrics/log.h"

namespace slotgate::gateway {
namespace {

// Above this many bytes waiting for the client, stop reading the upstream.
constexpr size_t kSinkHighWater = 256 << 10;

}  // namespace

void ProxyAttempt::start(const ConfigSnapshot& snapshot, const routing::Candidate& candidate,
                         const Source& source, UpstreamPool& pool, UpstreamHandler& handler) {
  candidate_ = candidate;
  chosen_ = true;
  paused_ = false;
  const conf::Provider& p = snapshot.config().providers[candidate.provider_index];
  const conf::ProviderKey& key = p.keys[candidate.key_index];
  // Built in spare buffers of this thread; the upstream call gives them back when done.
  UpstreamRequest upstream{takeSpareString(), takeSpareString()};
  // Streams whose client did not ask for usage ask for it here, so their tokens are counted
  // (issue 14); the usage-only chunk this adds is removed again on the way back.
  usage_asked_ =
      source.endpoint.usage_on_request && p.inject_stream_usage && canAskForUsage(source.body);
  rewriteUpstreamBody(source.request.body, source.body,
                      source.model.targets[candidate.target_index].model, usage_asked_,
                      upstream.body);
  buildUpstreamHead(p, key, source.request, source.request_id, upstream.body.size(), upstream.head);
  upstream.timeout = p.request_timeout;
  // SPEC: request_timeout bounds the whole request; for streams, the time between chunks.
  upstream.idle_timeout_after_headers = source.body.stream;
  UpstreamOrigin origin{p.url.tls, p.url.host, p.url.port, p.connect_timeout, p.idle_timeout};
  snapshot.series().provider(candidate.provider_index).inflight->Increment();
  inflight_counted_ = true;
  exchange_ = pool.send(origin, std::move(upstream), handler);
}

void ProxyAttempt::end(const ConfigSnapshot& snapshot) {
  exchange_.reset();
  complete(snapshot);
}

void ProxyAttempt::complete(const ConfigSnapshot& snapshot) {
  if (inflight_counted_) {
    snapshot.series().provider(candidate_.provider_index).inflight->Decrement();
    inflight_counted_ = false;
  }
}

void ProxyAttempt::throttle(size_t pending) {
  if (!paused_ && pending > kSinkHighWater && exchange_) {
    paused_ = true;
    exchange_->pauseReading();
  }
}

void ProxyAttempt::onClientDrained() {
  if (paused_ && exchange_) {
    paused_ = false;
    exchange_->resumeReading();
  }
}

void ProxyAttempt::logFailure(const RouteNames& route, std::string_view request_id,
                              const UpstreamError& error, bool response_started) {
  metrics::LogLine(metrics::LogLevel::kWarn, "upstream_error")
      .str("request_id", request_id)
      .str("provider", route.provider)
      .str("key_id", route.key_id)
      .str("kind", upstreamErrorKindName(error.kind))
      .str("detail", error.detail)
      .boolean("response_started", response_started)
      .emit();
}

RouteNames ProxyAttempt::routeNames(const conf::Config& config, const conf::Model& model) const {
  const conf::Provider& p = config.providers[candidate_.provider_index];
  return {p.name, model.targets[candidate_.target_index].model, p.keys[candidate_.key_index].id};
}

}  // namespace slotgate::gateway
