// One data-plane request from admission to its last byte (DESIGN "One request, start to
// end"), as a state machine (State; every change through enter()) that decides the order and
// delegates the work: auth, body, resolve, allow (model_checks.h), admit (Admission: client
// slot, queue, provider slot, local and cluster-wide), choose a target (TargetChoice), forward
// (ProxyAttempt), stream back (response_header_filter.h, ResponseMeter), judge a failed attempt
// (attempt_verdict.h) and retry (routing::RetryState), show it live (LiveEntry), finish
// (RequestOutcome: metrics, live view, access line). The /v1/models answers are
// ModelsHandler's. Lives on one worker; loop-thread only.
//
// Ownership makes the SPEC section 4 guarantees structural: the slots are lease members of
// Admission and the breaker verdict a BreakerPermit member, so every path (completion, error,
// client gone via destruction, retry ending the attempt) releases each exactly once.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "alias/resolution.h"
#include "gateway/config_snapshot.h"
#include "gateway/downstream/request_handler.h"
#include "gateway/event/dispatcher.h"
#include "gateway/event/thread_pooled.h"
#include "gateway/gateway_context.h"
#include "gateway/proxy/admission.h"
#include "gateway/proxy/api_error.h"
#include "gateway/proxy/live_entry.h"
#include "gateway/proxy/proxy_attempt.h"
#include "gateway/proxy/request_body.h"
#include "gateway/proxy/response_header_filter.h"
#include "gateway/proxy/response_meter.h"
#include "gateway/proxy/target_choice.h"
#include "gateway/proxy/usage_chunk_filter.h"
#include "gateway/proxy/usage_parser.h"
#include "gateway/upstream/upstream_exchange.h"
#include "gateway/upstream/upstream_pool.h"
#include "limits/cluster/cluster_runtime.h"
#include "limits/cluster/cluster_slots.h"
#include "limits/slot_pool.h"
#include "metrics/request_id.h"
#include "metrics/request_tracker.h"
#include "routing/endpoints.h"
#include "routing/retry_state.h"
#include "routing/target_chooser.h"

namespace slotgate::gateway {

// Its memory comes from the worker's free list (thread_pooled.h): one per request, no malloc.
class ProxyRequest : public RequestHandler,
                     public UpstreamHandler,
                     private Admission::Owner,
                     public ThreadPooled<ProxyRequest> {
 public:
  ProxyRequest(GatewayContext& context, Dispatcher& worker, UpstreamPool& upstream,
               ConfigSnapshotPtr snapshot, IncomingRequestPtr&& request,
               const routing::Endpoint& endpoint, ResponseSink& sink);
  ~ProxyRequest() override;

  void start() override;

  // SinkObserver
  void onSinkDrained() override;
  // UpstreamHandler
  void onUpstreamHeaders(int status, const std::vector<UpstreamHeader>& headers) override;
  void onUpstreamData(std::string_view bytes) override;
  void onUpstreamComplete() override;
  void onUpstreamError(const UpstreamError& error) override;

  // What the live view shows (issue: operator plane). Loop-thread reads only.
  std::string_view requestId() const { return request_id_; }

 private:
  // Where the request is; every change goes through enter().
  enum class State : uint8_t {
    kAdmitting,  // inside slotgate: checks, choosing a target, between attempts
    kWaiting,    // for a slot: the client's queue, or a cluster-wide slot
    kUpstream,   // an attempt is sent, its response head not yet back
    kStreaming,  // the head went to the client; the body follows
    kDone,       // answered (or the client left): recorded, slots released
  };

  void admit();
  // Admission::Owner
  void onSlotWaitBegins() override;
  void onSlotWaitEnds() override;
  void onClientAdmitted() override;
  void onProviderAdmitted(const routing::Candidate& candidate) override;
  void onProviderFull() override;
  void onRefused(metrics::ErrorType error, std::string_view message, int retry_after_s) override;
  void onSlotLost() override;
  // Chooses a target and key and sends, or answers 503 when none is available.
  void pickAndSend();
  void trySending(const std::vector<routing::Candidate>& candidates);
  void send(const routing::Candidate& candidate);
  // Whether retry_ tries the failed attempt again; if so the next attempt is under way.
  bool retried(routing::AttemptFailure failure);
  void respondError(metrics::ErrorType error, const std::string& message, int retry_after_s = 0);
  void finish(bool success, std::optional<metrics::ErrorType> error);
  void conclude(bool success, std::optional<metrics::ErrorType> error, bool client_gone);
  void enter(State next,
             std::chrono::steady_clock::time_point now = std::chrono::steady_clock::now());
  void addOverhead(std::chrono::steady_clock::duration d);
  TargetChoice targetChoice() const;
  RouteNames routeNames() const;  // of the last attempt

  GatewayContext& context_;
  Dispatcher& worker_;
  UpstreamPool& upstream_;
  ConfigSnapshotPtr snapshot_;
  IncomingRequestPtr request_;  // never null; goes back to the thread's spares with this
  ResponseSink& sink_;
  const routing::Endpoint& endpoint_;  // a row of the route table
  std::chrono::steady_clock::time_point started_;
  metrics::RequestId request_id_;

  size_t client_index_ = SIZE_MAX;
  BodyFields body_;
  alias::Resolution resolution_;
  ProxyAttempt attempt_;
  routing::RetryState retry_;

  Admission admission_;

  // Small fields together, so padding does not grow the object.
  // The status sent: the provider's head that went to the client, or slotgate's error answer.
  // HTTP statuses are three digits: 16 bits are enough.
  int16_t final_status_ = 0;
  State state_ = State::kAdmitting;
  bool waited_ = false;  // waited for a slot at least once: its queue wait is observed
  // Issue 14 timings, by state (enter()). Seconds as float: the figures feed histograms and
  // need no more than float's 7 digits.
  float overhead_s_ = 0;
  float queue_wait_s_ = 0;
  ResponseMeter meter_;
  LiveEntry live_;
  std::chrono::steady_clock::time_point mark_;  // the last change of state_
};

}  // namespace slotgate::gateway
