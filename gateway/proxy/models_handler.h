// GET /v1/models and GET /v1/models/{id} (SPEC section 3): answered by the gateway itself
// from the config snapshot (model_catalog.h), with no body, no slot and no upstream; recorded
// like every request (RequestOutcome). Loop-thread only.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "gateway/config_snapshot.h"
#include "gateway/downstream/request_handler.h"
#include "gateway/event/dispatcher.h"
#include "gateway/gateway_context.h"
#include "metrics/error_type.h"
#include "metrics/request_id.h"
#include "routing/endpoints.h"

namespace slotgate::gateway {

class ModelsHandler : public RequestHandler {
 public:
  ModelsHandler(GatewayContext& context, Dispatcher& worker, ConfigSnapshotPtr snapshot,
                IncomingRequestPtr&& request, const routing::Endpoint& endpoint,
                ResponseSink& sink);
  ~ModelsHandler() override;

  void start() override;
  void onSinkDrained() override {}

 private:
  // Records the answer, then sends `body` (a model list or object, or an API error).
  void answer(const std::string& body, std::optional<metrics::ErrorType> error);
  void record(std::optional<metrics::ErrorType> error, bool client_gone);

  GatewayContext& context_;
  Dispatcher& worker_;
  ConfigSnapshotPtr snapshot_;
  IncomingRequestPtr request_;  // never null
  ResponseSink& sink_;
  const routing::Endpoint& endpoint_;
  std::chrono::steady_clock::time_point started_;
  metrics::RequestId request_id_;
  std::string model_;  // the {id} asked for, for the access line; "" for the list
  size_t client_index_ = SIZE_MAX;
  bool answered_ = false;
};

}  // namespace slotgate::gateway
