// The exchange interfaces of the upstream (gateway -> provider) HTTP/1.1 client: the request a
// caller sends, the handler its response arrives at, and the exchange handle that cancels it.
//
// Thread-safety: everything here is used on ONE worker thread, the thread that runs the
// UpstreamPool's event_base. Nothing is internally synchronized.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/upstream/upstream_error.h"

namespace slotgate::gateway {

// A response head (status line and fields) longer than this, or with more fields, is a
// broken upstream: provider heads are a few KiB with a few dozen fields.
inline constexpr size_t kMaxUpstreamHeadBytes = 64 << 10;
inline constexpr size_t kMaxUpstreamHeadFields = 100;

struct UpstreamHeader {
  std::string name;
  std::string value;
};

// Callbacks arrive on the worker thread. After onUpstreamComplete or onUpstreamError
// no further callback arrives. The handler may destroy its UpstreamExchange inside any
// callback; the exchange's internals are deleted later by the pool.
class UpstreamHandler {
 public:
  virtual ~UpstreamHandler() = default;
  // Final (non-1xx) response head. Hop-by-hop headers are NOT removed here. The fields are
  // valid only during the call (the pool reuses their storage for the next head).
  virtual void onUpstreamHeaders(int status, const std::vector<UpstreamHeader>& headers) = 0;
  // De-chunked body bytes as they arrive; the view is valid only during the call.
  virtual void onUpstreamData(std::string_view bytes) = 0;
  // Whole body received; the connection is already back in the pool if reusable.
  virtual void onUpstreamComplete() = 0;
  virtual void onUpstreamError(const UpstreamError& error) = 0;
};

struct UpstreamRequest {
  // Complete request head: request line, headers (Host, Content-Length, auth...) and the
  // final CRLFCRLF, built by the caller. Both strings' buffers go to the thread's spares
  // (gateway/event/spare_strings.h) once the call is done with them: build them in
  // takeSpareString()s.
  std::string head;
  std::string body;
  // Whole request, from send() until complete...
  std::chrono::milliseconds timeout{600000};
  // ...unless true: once the response head arrived, the timer restarts on every read
  // (for streams: the longest allowed gap between chunks).
  bool idle_timeout_after_headers = false;
};

// One in-flight request. Destroying it before completion cancels it: the connection is
// closed (never returned to the pool), so the provider sees the client go away.
class UpstreamExchange {
 public:
  virtual ~UpstreamExchange() = default;
  // Backpressure: stops reading the upstream socket. Once this returns (also when called
  // inside onUpstreamData) no onUpstreamData/onUpstreamComplete arrives until
  // resumeReading(); errors still can. In between-chunks mode the timer is suspended while
  // paused; a whole-request timeout keeps running.
  virtual void pauseReading() = 0;
  // Re-enables reading; bytes already buffered are delivered from the event loop, not
  // from inside this call.
  virtual void resumeReading() = 0;
};
using UpstreamExchangePtr = std::unique_ptr<UpstreamExchange>;

}  // namespace slotgate::gateway
