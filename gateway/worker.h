// One event-loop thread of the data plane.
//
// Each worker owns an event_base, its own SO_REUSEPORT listener, its upstream
// connection pool and every connection it accepted; a request lives on one
// worker from accept to finish. Other threads reach a worker only through
// post() (limits::Executor), never by touching its state.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "gateway/event/deletable.h"
#include "gateway/event/libevent_ptr.h"
#include "limits/executor.h"
#include "metrics/log.h"

namespace slotgate::gateway {

class UpstreamPool;
class ConnectionManager;

class Worker : public limits::Executor, private metrics::LogBatch {
 public:
  explicit Worker(size_t index);
  ~Worker() override;

  // Thread-safe: runs fn on this worker's loop, later.
  void post(std::function<void()> fn) override;

  // Loop-thread only: destroys obj after the current callback (Envoy's deferredDelete),
  // so an object may ask for its own deletion from inside its callbacks.
  void deferDelete(DeletablePtr obj);

  event_base* base() const { return base_.get(); }
  evdns_base* dns() const { return dns_.get(); }
  UpstreamPool& upstream() { return *upstream_; }
  size_t index() const { return index_; }

  // Starts the loop thread. The listener is added with setListener() before start.
  void start();
  // Thread-safe: asks the loop to exit and joins it.
  void stopAndJoin();

  // Loop-thread only.
  void setConnectionManager(std::unique_ptr<ConnectionManager> manager);
  ConnectionManager* connections() { return connections_.get(); }

 private:
  static void onPosted(evutil_socket_t, short, void* arg);
  static void onDeferred(evutil_socket_t, short, void* arg);
  static void onLogFlush(evutil_socket_t, short, void* arg);
  // metrics::LogBatch: access lines of a loop turn go out in one write.
  void onFirstLine() override;
  void runPosted();

  size_t index_;
  EventBasePtr base_;
  EvdnsBasePtr dns_;
  SslCtxPtr tls_client_ctx_;
  std::unique_ptr<UpstreamPool> upstream_;
  std::unique_ptr<ConnectionManager> connections_;
  EventPtr posted_event_;
  EventPtr deferred_event_;
  EventPtr log_flush_event_;
  std::mutex posted_mutex_;
  std::vector<std::function<void()>> posted_;
  std::vector<DeletablePtr> deferred_;
  std::thread thread_;
};

}  // namespace slotgate::gateway
