// GET /metrics/active-requests/stream (SPEC section 6): an SSE stream per
// watcher with the active-request snapshot at once, a new snapshot whenever
// the tracker's change sequence moved (polled every `poll`, so at most
// 1000/poll snapshots a second: 10 with the default), and a `: heartbeat`
// comment every `heartbeat`.
//
// The data plane never touches this: it only moves the tracker's atomics;
// the poll timer on the admin loop notices. A watcher that goes away is
// found through its connection's close callback and freed. A watcher that
// reads too slowly gets no new snapshot while more than kMaxPendingBytes
// wait in its output buffer (the next one carries the latest state anyway).
//
// Thread-safety: admin thread only (add() is called from a route handler;
// timers and close callbacks run on the same loop). Destroy after the
// evhttp that owns the connections (AdminServer::own does so).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>

#include "gateway/event/libevent_ptr.h"
#include "gateway/event/timer.h"
#include "metrics/live_request_tracker.h"

struct evhttp_request;
struct evhttp_connection;

namespace slotgate::gateway {

class ActiveRequestsStream {
 public:
  static constexpr size_t kMaxPendingBytes = 1 << 20;

  ActiveRequestsStream(event_base* base, metrics::LiveRequestTracker& tracker,
                       std::chrono::milliseconds poll = std::chrono::milliseconds(100),
                       std::chrono::milliseconds heartbeat = std::chrono::seconds(15));
  ~ActiveRequestsStream();
  ActiveRequestsStream(const ActiveRequestsStream&) = delete;
  ActiveRequestsStream& operator=(const ActiveRequestsStream&) = delete;

  // Starts the stream on `req` and sends the current snapshot.
  void add(evhttp_request* req);
  // Watchers connected now. Any thread (for tests and logs).
  [[nodiscard]] size_t watchers() const { return watcher_count_.load(std::memory_order_relaxed); }

 private:
  struct Watcher {
    ActiveRequestsStream* owner;
    evhttp_request* req;
    evhttp_connection* conn;
  };
  static void onClose(evhttp_connection* conn, void* arg);
  void onPoll();
  void onHeartbeat();
  void send(Watcher& w, const std::string& frame);
  void broadcast(const std::string& frame);
  std::string snapshotFrame() const;

  metrics::LiveRequestTracker& tracker_;
  const std::chrono::milliseconds poll_;
  const std::chrono::milliseconds heartbeat_;
  Timer poll_timer_;       // every poll_: broadcasts a snapshot when something changed
  Timer heartbeat_timer_;  // every heartbeat_: keeps idle streams' write side moving
  uint64_t last_seq_ = 0;
  std::unordered_map<evhttp_connection*, std::unique_ptr<Watcher>> watchers_;
  std::atomic<size_t> watcher_count_{0};
};

}  // namespace slotgate::gateway
