// Value types and interfaces of the upstream (gateway -> provider) HTTP/1.1 client.
//
// Thread-safety: everything here is used on ONE worker thread, the thread that runs the
// UpstreamPool's event_base. Nothing is internally synchronized.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace slotgate::gateway {

// Where to connect; built from conf::UpstreamUrl plus the provider's timeouts.
struct UpstreamOrigin {
  bool tls = false;
  std::string host;  // DNS name or IP literal (IPv6 without brackets)
  uint16_t port = 0;
  // Covers TCP connect and, for https, the TLS handshake.
  std::chrono::milliseconds connect_timeout{5000};
  // A pooled connection idle this long is closed, not reused: below the server's own
  // keep-alive timeout, so the server never closes a connection just as a request goes out.
  std::chrono::milliseconds idle_timeout{4000};

  // "https://host:port"; connections are pooled per key.
  [[nodiscard]] std::string poolKey() const;
};

// A response head (status line and fields) longer than this, or with more fields, is a
// broken upstream: provider heads are a few KiB with a few dozen fields.
inline constexpr size_t kMaxUpstreamHeadBytes = 64 << 10;
inline constexpr size_t kMaxUpstreamHeadFields = 100;

struct UpstreamHeader {
  std::string name;
  std::string value;
};

enum class UpstreamErrorKind {
  kConnect,   // DNS failure, refused, unreachable, connect (or TLS handshake) timeout
  kTls,       // handshake or certificate verification failure
  kTimeout,   // UpstreamRequest::timeout passed (whole request or between chunks)
  kProtocol,  // unparseable or ambiguous response (bad framing, 1xx with a body, 101, ...)
  kClosed,    // connection closed or reset before/while the response
  // The gateway itself ran out of something (descriptors, memory, local ports) before the
  // upstream was reached: never the provider's fault, so no breaker counts it.
  kLocal,
};

[[nodiscard]] std::string_view upstreamErrorKindName(UpstreamErrorKind kind);

// errno values of socket()/connect() that say this host is out of a resource (EMFILE, ENFILE,
// ENOBUFS, ENOMEM, EADDRNOTAVAIL: no local port left), not that the peer failed.
[[nodiscard]] bool isLocalResourceError(int error);

struct UpstreamError {
  UpstreamErrorKind kind = UpstreamErrorKind::kClosed;
  std::string detail;             // human readable; never holds request headers (auth) or bodies
  bool response_started = false;  // some response byte was received
};

// Callbacks arrive on the worker thread. After onUpstreamComplete or onUpstreamError
// no further callback arrives. The handler may destroy its UpstreamExchange inside any
// callback; the exchange's internals are deleted later by the pool.
class UpstreamHandler {
 public:
  virtual ~UpstreamHandler() = default;
  // Final (non-1xx) response head. Hop-by-hop headers are NOT removed here.
  virtual void onUpstreamHeaders(int status, std::vector<UpstreamHeader>&& headers) = 0;
  // De-chunked body bytes as they arrive; the view is valid only during the call.
  virtual void onUpstreamData(std::string_view bytes) = 0;
  // Whole body received; the connection is already back in the pool if reusable.
  virtual void onUpstreamComplete() = 0;
  virtual void onUpstreamError(const UpstreamError& error) = 0;
};

struct UpstreamRequest {
  // Complete request head: request line, headers (Host, Content-Length, auth...) and the
  // final CRLFCRLF, built by the caller.
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
