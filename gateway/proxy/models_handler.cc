#include "gateway/proxy/models_handler.h"

#include "gateway/proxy/api_error.h"
#include "gateway/proxy/auth.h"
#include "gateway/proxy/model_catalog.h"
#include "gateway/proxy/request_id.h"
#include "gateway/proxy/request_outcome.h"

namespace slotgate::gateway {

using metrics::ErrorType;
using Clock = std::chrono::steady_clock;

ModelsHandler::ModelsHandler(GatewayContext& context, Dispatcher& worker,
                             ConfigSnapshotPtr snapshot, IncomingRequestPtr&& request,
                             const routing::Endpoint& endpoint, ResponseSink& sink)
    : context_(context),
      worker_(worker),
      snapshot_(std::move(snapshot)),
      request_(std::move(request)),
      sink_(sink),
      endpoint_(endpoint),
      started_(Clock::now()),
      request_id_(requestIdFor(request_->headers)) {
  context_.active_requests.fetch_add(1, std::memory_order_relaxed);
}

ModelsHandler::~ModelsHandler() {
  if (!answered_) {
    record(std::nullopt, /*client_gone=*/true);
  }
  context_.active_requests.fetch_sub(1, std::memory_order_relaxed);
}

void ModelsHandler::start() {
  const conf::Config& config = snapshot_->config();
  client_index_ = requestClient(config, *request_);
  if (client_index_ == kNoClient) {
    answer(errorBody(endpoint_.format, ErrorType::kInvalidApiKey, "missing or unknown API key"),
           ErrorType::kInvalidApiKey);
    return;
  }
  const conf::Client& client = config.clients[client_index_];
  if (endpoint_.kind == routing::EndpointKind::kListModels) {
    answer(modelListBody(config, client), std::nullopt);
    return;
  }
  const std::optional<std::string> id = modelIdFromPath(request_->path);
  model_ = id.value_or("");
  std::optional<std::string> body;
  if (id) {
    body = modelObjectBody(config, client, *id);
  }
  if (!body) {
    // The same answer for a name that does not exist and one this key may not use: the list
    // shows neither, and telling them apart would reveal the other clients' models.
    answer(
        errorBody(endpoint_.format, ErrorType::kModelNotFound, "model '" + model_ + "' not found"),
        ErrorType::kModelNotFound);
    return;
  }
  answer(*body, std::nullopt);
}

void ModelsHandler::answer(const std::string& body, std::optional<ErrorType> error) {
  answered_ = true;
  // Recorded before the answer goes out, so that a client reading the metrics right after its
  // answer finds it counted.
  record(error, false);
  const int status = error ? errorTypeStatus(*error) : 200;
  sink_.sendHeaders(status, gatewayAnswerHeaders(endpoint_.format, request_id_), body.size());
  sink_.sendData(body);
  sink_.finish();
}

void ModelsHandler::record(std::optional<ErrorType> error, bool client_gone) {
  const std::chrono::nanoseconds duration = Clock::now() - started_;
  RequestOutcome outcome;
  outcome.request_id = request_id_;
  outcome.method = request_->method;
  outcome.path = request_->path;
  outcome.client = client_index_;
  outcome.model = model_;
  outcome.success = !error && !client_gone;
  outcome.error = error;
  outcome.client_gone = client_gone;
  outcome.status = error ? errorTypeStatus(*error) : 200;
  outcome.duration = duration;
  // All of it was spent inside slotgate.
  outcome.overhead_s = std::chrono::duration<float>(duration).count();
  metrics::ActiveEntryPtr never_tracked;
  outcome.record(*snapshot_, context_, worker_.index(), never_tracked);
}

}  // namespace slotgate::gateway
