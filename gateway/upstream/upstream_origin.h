// Where the upstream (gateway -> provider) HTTP/1.1 client connects, and the key its pool
// groups connections by.
//
// Thread-safety: a value type; used on the worker thread that owns the UpstreamPool.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

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
  // The same key appended to `out` (a reused buffer: no allocation once it has grown).
  void appendPoolKey(std::string& out) const;
};

}  // namespace slotgate::gateway
