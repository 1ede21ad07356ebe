// A new downstream connection whose protocol is not known yet: it finishes
// the TLS handshake (when server.tls is set), then picks the codec — HTTP/2
// when ALPN chose "h2" or the first bytes are the HTTP/2 client preface
// (cleartext prior knowledge), HTTP/1.1 otherwise — and hands its
// bufferevent, with any bytes already read, to the ConnectionManager.
//
// h2c via "Upgrade: h2c" starts as HTTP/1.1: Http1Connection switches to
// HTTP/2 once the upgrade request is complete (see h2c_upgrade.h).
//
// Loop-thread only. Owned by the ConnectionManager.
#pragma once

#include <chrono>
#include <string_view>

#include "gateway/downstream/downstream_connection.h"
#include "gateway/downstream/tls_server_context.h"
#include "gateway/event/dispatcher.h"
#include "gateway/event/libevent_ptr.h"
#include "gateway/event/timer.h"

namespace slotgate::gateway {

class ConnectionManager;

// "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
inline constexpr std::string_view kHttp2Preface{"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 24};

enum class PrefaceMatch { kNeedMore, kHttp2, kOther };

// Classifies the first bytes of a connection; decides as soon as a byte
// differs from the preface, so HTTP/1.1 requests never wait.
[[nodiscard]] PrefaceMatch matchPreface(std::string_view first_bytes);

class ConnectionSniffer : public DownstreamConnection {
 public:
  // tls: null for cleartext. timeout: the handshake and the first bytes must
  // arrive within it (server.header_timeout).
  ConnectionSniffer(Dispatcher& worker, ConnectionManager& manager, evutil_socket_t fd,
                    SSL_CTX* tls, std::chrono::milliseconds timeout);
  ~ConnectionSniffer() override;

  // Nothing was asked yet: close at once.
  void drain() override { close("draining"); }

 private:
  static void onRead(bufferevent*, void* arg);
  static void onEvent(bufferevent*, short what, void* arg);
  // The handshake or the first bytes took too long (or the socket could not be set up).
  void onTimer();

  void sniff();
  void handOver(AppProtocol protocol);
  void close(const char* reason);

  ConnectionManager& manager_;
  BufferEventPtr bev_;
  Timer timer_;
  bool handshake_done_ = false;
};

}  // namespace slotgate::gateway
