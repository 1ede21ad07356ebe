// One event-loop thread of the data plane.
//
// Each worker is a Dispatcher that also owns its own SO_REUSEPORT listener, its upstream
// connection pool and every connection it accepted; a request lives on one worker from
// accept to finish. Other threads reach a worker only through post(), never by touching its
// state.
#pragma once

#include <memory>

#include "gateway/event/dispatcher.h"
#include "gateway/event/libevent_ptr.h"
#include "metrics/log.h"

namespace slotgate::gateway {

class UpstreamPool;
class ConnectionManager;

class Worker : public Dispatcher, private metrics::LogBatch {
 public:
  explicit Worker(size_t index);
  ~Worker() override;

  evdns_base* dns() const { return dns_.get(); }
  UpstreamPool& upstream() { return *upstream_; }

  // Starts the loop thread. The listener is added with setConnectionManager() before start.
  void start();

  // Loop-thread only.
  void setConnectionManager(std::unique_ptr<ConnectionManager> manager);
  ConnectionManager* connections() { return connections_.get(); }

 private:
  // metrics::LogBatch: access lines of a loop turn go out in one write.
  void onFirstLine() override;

  EvdnsBasePtr dns_;
  SslCtxPtr tls_client_ctx_;
  std::unique_ptr<UpstreamPool> upstream_;
  std::unique_ptr<ConnectionManager> connections_;
  SchedulableCallback log_flush_;  // the turn's access lines, written once it ends
};

}  // namespace slotgate::gateway
