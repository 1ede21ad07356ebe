// A worker's downstream side: its SO_REUSEPORT listener and every connection
// it accepted. Loop-thread only, except where noted.
#pragma once

#include <atomic>
#include <memory>
#include <unordered_map>

#include "gateway/http1_connection.h"
#include "gateway/libevent_ptr.h"
#include "gateway/request_handler.h"
#include "gateway/worker.h"

namespace slotgate::gateway {

// Counts connection closes and codec refusals (fixed reason strings only).
class ConnectionStats {
 public:
  virtual ~ConnectionStats() = default;
  virtual void onConnectionClosed(const char* reason) = 0;
  virtual void onCodecReject(CodecReject reason) = 0;
};

class ConnectionManager {
 public:
  ConnectionManager(Worker& worker, RequestDispatcher& dispatcher, ConnectionStats& stats,
                    const Http1Limits& limits);
  ~ConnectionManager();

  // Binds host:port with SO_REUSEPORT. Returns the bound port (useful with port 0), 0 on failure.
  [[nodiscard]] uint16_t listen(const std::string& host, uint16_t port, std::string* error);

  // Stops accepting, closes idle connections, and asks busy ones to close after their response.
  void drain();
  size_t connectionCount() const { return connections_.size(); }
  // Thread-safe read of the number of open connections (for shutdown).
  size_t openConnections() const { return open_.load(std::memory_order_relaxed); }

  void onClosed(Http1Connection& connection, const char* reason);
  void countReject(CodecReject reason) { stats_.onCodecReject(reason); }

 private:
  static void onAccept(evconnlistener*, evutil_socket_t fd, sockaddr*, int, void* arg);

  Worker& worker_;
  RequestDispatcher& dispatcher_;
  ConnectionStats& stats_;
  Http1Limits limits_;
  EvConnListenerPtr listener_;
  std::unordered_map<Http1Connection*, std::unique_ptr<Http1Connection>> connections_;
  std::atomic<size_t> open_{0};
};

}  // namespace slotgate::gateway
