// The seam between a downstream codec (HTTP/1.1, later HTTP/2) and the
// request pipeline.
#pragma once

#include <memory>

#include "gateway/downstream/http_message.h"
#include "gateway/event/dispatcher.h"

namespace slotgate::gateway {

// One request in flight. Destroying it before it finished its response means
// the client went away: it must cancel its upstream work and free its slots.
class RequestHandler : public SinkObserver, public Deletable {
 public:
  ~RequestHandler() override = default;
  // Begins work; may answer (and so end the response) before returning.
  virtual void start() = 0;
};
using RequestHandlerPtr = std::unique_ptr<RequestHandler>;

// Why a codec refused a request itself (fixed set: metric label values).
enum class CodecReject {
  kMalformed,
  kHeadersTooLarge,
  kBodyTooLarge,
  kHeaderTimeout,
  kBodyTimeout,
};

// Creates handlers. Owned by the server, shared by every connection of a
// worker; called on that worker's thread only.
class RequestDispatcher {
 public:
  virtual ~RequestDispatcher() = default;
  // At headers complete, before any body byte is read (head.body is empty).
  // Returns true to go on reading the body; false after answering `sink`
  // itself (e.g. 401), in which case the connection closes after the answer.
  // `memo` is the connection's (empty at first): the dispatcher keeps there
  // what later requests on the same connection may reuse. It may write `head.note`, which
  // the codec hands back with the complete request.
  virtual bool admitHead(IncomingRequest& head, ResponseSink& sink, ConnectionMemoPtr& memo) = 0;
  // A complete request. The codec stores the handler, then calls start(); the
  // handler answers through `sink`.
  virtual RequestHandlerPtr dispatch(IncomingRequestPtr&& request, ResponseSink& sink) = 0;
  // The codec refuses the request (400/413/431); the dispatcher writes the
  // error in the right format and records it. `head` holds what was parsed,
  // possibly nothing.
  virtual void reject(CodecReject reason, const IncomingRequest& head, ResponseSink& sink) = 0;
};

}  // namespace slotgate::gateway
