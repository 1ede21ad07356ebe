// A downstream request as the codecs hand it to the pipeline, and the
// interface the pipeline answers through. HTTP/1.1 and HTTP/2 both implement
// ResponseSink, so one pipeline serves both.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace slotgate::gateway {

struct Header {
  std::string name;  // lower-case
  std::string value;
};
using Headers = std::vector<Header>;

// Case-insensitive by construction: codecs store names lower-cased.
const std::string* findHeader(const Headers& headers, std::string_view lower_name);

// What the pipeline remembers about one client connection between its requests (the last
// credential it authenticated). The codec owns it, knows nothing of what it holds, and
// destroys it with the connection.
class ConnectionMemo {
 public:
  virtual ~ConnectionMemo() = default;
};
using ConnectionMemoPtr = std::unique_ptr<ConnectionMemo>;

struct IncomingRequest {
  // What the dispatcher's admitHead noted for its own dispatch() of the same request (which
  // route the path took; who the request authenticated as, under which config snapshot), so
  // neither is worked out twice. The codec carries it with the request and never reads it.
  struct DispatcherNote {
    uint64_t config_version = 0;  // 0 = nothing noted
    uint32_t client = UINT32_MAX;
    uint8_t route = 0;  // the dispatcher's own route number; 0 = none
  };
  DispatcherNote note;

  std::string method;
  std::string path;   // without the query
  std::string query;  // after '?', may be empty
  Headers headers;
  std::string body;
};

// Gives a request's storage back to the spares of the thread it is on (request_recycler.h).
struct RecycleRequest {
  void operator()(IncomingRequest* request) const noexcept;
};
// A request as the codecs and the pipeline hand it on: an object of the thread's spares, passed
// by pointer (a request moved member by member from the codec to the handler and in and out of
// the spare list cost ~900 instructions per request), and given back when its owner lets go.
using IncomingRequestPtr = std::unique_ptr<IncomingRequest, RecycleRequest>;

// Where a request's response goes. Loop-thread only. After finish() or abort()
// no other call is made.
class ResponseSink {
 public:
  virtual ~ResponseSink() = default;
  // content_length: exact body size when known, else the codec frames the body itself.
  virtual void sendHeaders(int status, const Headers& headers,
                           std::optional<uint64_t> content_length) = 0;
  virtual void sendData(std::string_view bytes) = 0;
  virtual void finish() = 0;  // the response is complete
  virtual void abort() = 0;   // the response is broken: the client must not take it as complete
  // Bytes accepted but not yet written to the client's socket (backpressure).
  virtual size_t pendingBytes() const = 0;
};

// What a sink tells the request it serves. Loop-thread only.
class SinkObserver {
 public:
  virtual ~SinkObserver() = default;
  // The sink's pending bytes fell below its low-water mark.
  virtual void onSinkDrained() = 0;
};

}  // namespace slotgate::gateway
