// One attempt of a request at a (target, key) (SPEC section 3): the upstream request built for
// it (the provider model written into the body, the key's auth, usage asked for on a stream
// whose client did not ask), its exchange on the worker's keep-alive pool, the provider's
// in-flight gauge it counts in while it lasts, and the backpressure between the provider and a
// slow client, and the warning its failure logs. A retry ends one attempt and starts the next on
// the same object; the last candidate stays known (the outcome names the target the request went
// to). One per request; loop-thread only.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "conf/config.h"
#include "gateway/config_snapshot.h"
#include "gateway/downstream/http_message.h"
#include "gateway/proxy/request_body.h"
#include "gateway/proxy/response_header_filter.h"
#include "gateway/upstream/upstream_exchange.h"
#include "gateway/upstream/upstream_pool.h"
#include "routing/endpoints.h"
#include "routing/target_chooser.h"

namespace slotgate::gateway {

class ProxyAttempt {
 public:
  // What every attempt of one request is built from.
  struct Source {
    const IncomingRequest& request;
    const BodyFields& body;
    std::string_view request_id;
    const routing::Endpoint& endpoint;
    const conf::Model& model;  // the resolved global model
  };

  // Sends `source` to `candidate` on `pool` (counted in its provider's in-flight gauge); the
  // answer arrives at `handler`, never inside this call.
  void start(const ConfigSnapshot& snapshot, const routing::Candidate& candidate,
             const Source& source, UpstreamPool& pool, UpstreamHandler& handler);
  // Cancels the exchange if it is still open (closing that connection) and leaves the in-flight
  // gauge. Again, or without a start: nothing.
  void end(const ConfigSnapshot& snapshot);
  // The answer arrived whole: leaves the in-flight gauge. The finished exchange stays until the
  // request goes (destroyed inside the upstream's callback, its call's deletion is deferred).
  void complete(const ConfigSnapshot& snapshot);

  // Backpressure: `pending` bytes wait for the client after a write. Above the high mark the
  // provider is no longer read until onClientDrained().
  void throttle(size_t pending);
  void onClientDrained();

  // The candidate of the last start; null before any.
  const routing::Candidate* candidate() const { return chosen_ ? &candidate_ : nullptr; }
  // Its config names (candidate() set).
  RouteNames routeNames(const conf::Config& config, const conf::Model& model) const;
  // The upstream_error warning: the request, the attempt's `route`, what failed and whether the
  // head had gone to the client. Config names and the upstream's own detail only.
  static void logFailure(const RouteNames& route, std::string_view request_id,
                         const UpstreamError& error, bool response_started);
  // This attempt set stream_options.include_usage for the client (its answer's usage chunk is
  // taken out again).
  bool usageAsked() const { return usage_asked_; }

 private:
  UpstreamExchangePtr exchange_;
  routing::Candidate candidate_;
  // Flags together after the pointer-sized members: ProxyRequest's size is budgeted (the
  // static_assert in proxy_request.cc).
  bool chosen_ = false;
  bool inflight_counted_ = false;
  bool paused_ = false;
  bool usage_asked_ = false;
};

}  // namespace slotgate::gateway
