// The data plane's RequestDispatcher: routes, authenticates early, answers
// what the codec refuses, and hands complete requests to ProxyRequest.
// One per worker; loop-thread only.
#pragma once

#include <unordered_map>

#include "gateway/downstream/connection_manager.h"
#include "gateway/downstream/request_handler.h"
#include "gateway/event/dispatcher.h"
#include "gateway/gateway_context.h"
#include "gateway/upstream/upstream_pool.h"

namespace slotgate::gateway {

class ProxyDispatcher : public RequestDispatcher, public ConnectionStats {
 public:
  ProxyDispatcher(GatewayContext& context, Dispatcher& worker, UpstreamPool& upstream);

  bool admitHead(IncomingRequest& head, ResponseSink& sink, ConnectionMemoPtr& memo) override;
  RequestHandlerPtr dispatch(IncomingRequestPtr&& request, ResponseSink& sink) override;
  void reject(CodecReject reason, const IncomingRequest& head, ResponseSink& sink) override;

  void onConnectionClosed(const char* reason) override;
  void onConnectionRefused(const char* reason) override;
  void onCodecReject(CodecReject reason) override;

 private:
  // Answers an error decided before any ProxyRequest exists, recorded as every request is
  // (RequestOutcome: metrics, running totals, /metrics/logs, the access line). `status` 0 = the
  // error's own.
  void answer(const IncomingRequest& head, ResponseSink& sink, metrics::ErrorType error,
              const std::string& message, const Headers& extra = {}, int status = 0);

  GatewayContext& context_;
  Dispatcher& worker_;
  UpstreamPool& upstream_;
  std::unordered_map<const char*, prometheus::Counter*> close_counters_;  // by literal
};

}  // namespace slotgate::gateway
