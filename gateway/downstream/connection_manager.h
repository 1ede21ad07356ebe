// A worker's downstream side: its SO_REUSEPORT listener and every connection
// it accepted (protocol sniffing/TLS handshake, HTTP/1.1, HTTP/2).
// Loop-thread only, except where noted.
#pragma once

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>

#include "conf/config.h"
#include "gateway/downstream/connection_budget.h"
#include "gateway/downstream/downstream_connection.h"
#include "gateway/downstream/h2c_upgrade.h"
#include "gateway/downstream/http1_connection.h"
#include "gateway/downstream/http2_connection.h"
#include "gateway/downstream/request_handler.h"
#include "gateway/downstream/tls_server_context.h"
#include "gateway/event/dispatcher.h"
#include "gateway/event/libevent_ptr.h"
#include "gateway/event/timer.h"

namespace slotgate::gateway {

// Counts connection closes, refused connections and codec refusals (fixed
// reason strings only).
class ConnectionStats {
 public:
  virtual ~ConnectionStats() = default;
  virtual void onConnectionClosed(const char* reason) = 0;
  // A connection not served: "max_connections" (accepted and closed at once,
  // the process is at its limit) or an accept() that failed for want of
  // "descriptors" (EMFILE, ENFILE) or "memory" (ENOBUFS, ENOMEM), or another
  // "accept_error"; the client of a failed accept waits in the backlog.
  virtual void onConnectionRefused(const char* reason) = 0;
  virtual void onCodecReject(CodecReject reason) = 0;
};

// What the listener offers beyond HTTP/1.1 limits. Copyable; the TLS context
// is shared by every worker.
struct DownstreamOptions {
  SharedSslCtx tls;  // null: cleartext (HTTP/1.1 and h2c prior knowledge)
  Http2Options http2;

  // From server.tls and server.http2; nullopt with *error when the
  // certificate or key cannot be loaded.
  [[nodiscard]] static std::optional<DownstreamOptions> fromConfig(const conf::ServerConfig& server,
                                                                   std::string* error);
};

// server.* limits of the HTTP/1.1 and HTTP/2 codecs.
[[nodiscard]] Http1Limits http1LimitsFromConfig(const conf::ServerConfig& server);

class ConnectionManager {
 public:
  ConnectionManager(Dispatcher& worker, RequestDispatcher& dispatcher, ConnectionStats& stats,
                    ConnectionBudget& budget, const Http1Limits& limits,
                    DownstreamOptions options = {});
  ~ConnectionManager();

  // Binds host:port with SO_REUSEPORT. Returns the bound port (useful with port 0), 0 on failure.
  [[nodiscard]] uint16_t listen(const std::string& host, uint16_t port, std::string* error);

  // A reload: connections accepted from now on use these limits, HTTP/2 settings and TLS
  // context (new handshakes get the new certificate); open ones keep what they started with.
  void reconfigure(const Http1Limits& limits, DownstreamOptions options);

  // Stops accepting, closes idle connections, and asks busy ones to close after their response.
  void drain();
  // Accepting is paused (at max_connections, or accept() failed): the listener
  // is off until a connection of this worker closes or the back-off passes.
  bool acceptPaused() const { return accept_paused_; }
  size_t connectionCount() const { return connections_.size(); }
  // Thread-safe read of the number of open connections (for shutdown).
  size_t openConnections() const { return open_.load(std::memory_order_relaxed); }

  // The connection closed its socket; it is deleted on the next loop turn.
  void onClosed(DownstreamConnection& connection, const char* reason);
  // A sniffer decided the protocol: the codec takes over `bev` (and the bytes
  // already buffered in it); the sniffer is deleted on the next loop turn.
  void handOver(DownstreamConnection& sniffer, BufferEventPtr bev, AppProtocol protocol);
  // An HTTP/1.1 connection answered 101 to an h2c upgrade: an Http2Connection
  // takes over `bev` and serves `upgrade.request` as stream 1; `from` is
  // deleted on the next loop turn.
  void upgradeToHttp2(DownstreamConnection& from, BufferEventPtr bev, H2cUpgrade upgrade);
  // An HTTP/1.1 connection wrote its (last) answer before the request was read to its end:
  // instead of closing `bev` (a reset that could cost the client the answer), its socket
  // lingers (LingeringClose) and counts as closed with `reason` when that ends. `from` is
  // deleted on the next loop turn. While draining, the socket closes at once.
  void lingerThenClose(DownstreamConnection& from, BufferEventPtr bev, const char* reason);
  void countReject(CodecReject reason) { stats_.onCodecReject(reason); }

 private:
  static void onAccept(evconnlistener*, evutil_socket_t fd, sockaddr*, int, void* arg);
  static void onAcceptError(evconnlistener*, void* arg);
  void add(std::unique_ptr<DownstreamConnection> connection);
  // Turns the listener off for the current back-off, which doubles on every
  // pause until an accept succeeds: a listener left armed at EMFILE would
  // wake the loop for the same pending connection over and over.
  void pauseAccepting(const char* reason);
  void resumeAccepting();

  Dispatcher& worker_;
  RequestDispatcher& dispatcher_;
  ConnectionStats& stats_;
  ConnectionBudget& budget_;
  Http1Limits limits_;
  DownstreamOptions options_;
  EvConnListenerPtr listener_;
  bool draining_ = false;
  Timer accept_resume_;
  std::chrono::milliseconds accept_backoff_;
  bool accept_paused_ = false;
  std::chrono::steady_clock::time_point last_pause_log_{};
  std::unordered_map<DownstreamConnection*, std::unique_ptr<DownstreamConnection>> connections_;
  std::atomic<size_t> open_{0};
};

}  // namespace slotgate::gateway
