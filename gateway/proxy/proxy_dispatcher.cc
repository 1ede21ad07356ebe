#include "gateway/proxy/proxy_dispatcher.h"

#include <chrono>

#include "gateway/proxy/api_error.h"
#include "gateway/proxy/auth.h"
#include "gateway/proxy/models_handler.h"
#include "gateway/proxy/proxy_request.h"
#include "gateway/proxy/request_id.h"
#include "gateway/proxy/request_outcome.h"
#include "routing/endpoints.h"

namespace slotgate::gateway {
namespace {

using metrics::ErrorType;

const char* codecRejectName(CodecReject r) {
  switch (r) {
    case CodecReject::kMalformed:
      return "malformed";
    case CodecReject::kHeadersTooLarge:
      return "headers_too_large";
    case CodecReject::kBodyTooLarge:
      return "body_too_large";
    case CodecReject::kHeaderTimeout:
      return "header_timeout";
    case CodecReject::kBodyTimeout:
      return "body_timeout";
  }
  return "unknown";
}

}  // namespace

ProxyDispatcher::ProxyDispatcher(GatewayContext& context, Dispatcher& worker,
                                 UpstreamPool& upstream)
    : context_(context), worker_(worker), upstream_(upstream) {}

bool ProxyDispatcher::admitHead(IncomingRequest& head, ResponseSink& sink,
                                ConnectionMemoPtr& memo) {
  const routing::Endpoint& endpoint = routing::findEndpoint(head.path);
  if (endpoint.kind == routing::EndpointKind::kUnknownPath) {
    answer(head, sink, ErrorType::kNotFound, "no route for " + head.method + " " + head.path);
    return false;
  }
  if (head.method != endpoint.method) {
    answer(head, sink, ErrorType::kMethodNotAllowed,
           "method " + head.method + " not allowed on " + head.path,
           {{"allow", std::string(endpoint.method)}});
    return false;
  }
  // Auth comes before the body is read (SPEC order: 401 before 400/413), so an
  // unauthenticated client cannot make the gateway buffer a body.
  ConfigSnapshotPtr snapshot = context_.snapshot.load();
  if (memo == nullptr) {
    memo = std::make_unique<ConnectionAuth>();
  }
  // This dispatcher is the only one that fills a connection's memo.
  const size_t client =
      static_cast<ConnectionAuth&>(*memo).authenticate(snapshot->config(), head.headers);
  if (client == kNoClient) {
    answer(head, sink, ErrorType::kInvalidApiKey, "missing or unknown API key");
    return false;
  }
  head.note = {snapshot->config().version, static_cast<uint32_t>(client), endpoint.id};
  return true;
}

RequestHandlerPtr ProxyDispatcher::dispatch(IncomingRequestPtr&& request, ResponseSink& sink) {
  // The route admitHead found (every codec calls it first; a path it refused never gets here).
  const routing::Endpoint* noted = routing::endpointById(request->note.route);
  const routing::Endpoint& endpoint =
      noted != nullptr ? *noted : routing::findEndpoint(request->path);
  if (endpoint.kind == routing::EndpointKind::kListModels ||
      endpoint.kind == routing::EndpointKind::kModelObject) {
    return std::make_unique<ModelsHandler>(context_, worker_, context_.snapshot.load(),
                                           std::move(request), endpoint, sink);
  }
  return std::make_unique<ProxyRequest>(context_, worker_, upstream_, context_.snapshot.load(),
                                        std::move(request), endpoint, sink);
}

void ProxyDispatcher::reject(CodecReject reason, const IncomingRequest& head, ResponseSink& sink) {
  onCodecReject(reason);
  switch (reason) {
    case CodecReject::kBodyTooLarge:
      answer(head, sink, ErrorType::kRequestTooLarge, "request body exceeds max_request_body");
      break;
    case CodecReject::kHeadersTooLarge:
      // 431 has no error code of its own in SPEC's table; it is an invalid request.
      answer(head, sink, ErrorType::kInvalidRequest,
             "request headers exceed max_header_bytes or 100 fields", {}, 431);
      break;
    default:
      answer(head, sink, ErrorType::kInvalidRequest, "malformed HTTP request");
      break;
  }
}

void ProxyDispatcher::answer(const IncomingRequest& head, ResponseSink& sink, ErrorType error,
                             const std::string& message, const Headers& extra, int status) {
  const auto started = std::chrono::steady_clock::now();
  const conf::ProviderType format = routing::apiFormatForPath(head.path);
  const std::string body = errorBody(format, error, message);
  const metrics::RequestId request_id = requestIdFor(head.headers);
  Headers headers = gatewayAnswerHeaders(format, request_id);
  headers.insert(headers.end(), extra.begin(), extra.end());
  RequestOutcome outcome;
  outcome.request_id = request_id;
  outcome.method = head.method;
  outcome.path = head.path;
  outcome.error = error;
  outcome.status = status != 0 ? status : errorTypeStatus(error);
  outcome.duration = std::chrono::steady_clock::now() - started;
  // All of it inside slotgate.
  outcome.overhead_s = std::chrono::duration<float>(outcome.duration).count();
  // Recorded before the answer goes out, as every answer is: a client reading the metrics
  // right after its answer finds it counted.
  metrics::ActiveEntryPtr never_tracked;
  outcome.record(*context_.snapshot.load(), context_, worker_.index(), never_tracked);
  sink.sendHeaders(outcome.status, headers, body.size());
  sink.sendData(body);
  sink.finish();
}

void ProxyDispatcher::onConnectionClosed(const char* reason) {
  auto it = close_counters_.find(reason);
  if (it == close_counters_.end()) {
    it = close_counters_
             .emplace(reason, &context_.metrics.downstreamCloses().Add({{"reason", reason}}))
             .first;
  }
  it->second->Increment();
}

void ProxyDispatcher::onConnectionRefused(const char* reason) {
  // Rare (at most one per accept back-off), so the label lookup is not cached.
  context_.metrics.connectionsRefused().Add({{"reason", reason}}).Increment();
}

void ProxyDispatcher::onCodecReject(CodecReject reason) {
  context_.metrics.httpRejects().Add({{"reason", codecRejectName(reason)}}).Increment();
}

}  // namespace slotgate::gateway
