// One loop thread (Envoy's Dispatcher): its event_base, work posted from other threads,
// deferred deletion and owning timers, and the thread that runs the loop. Workers, the admin
// listener and the cluster breaker thread are each one Dispatcher; codecs and the upstream
// pool see only this, never the Worker that owns them.
//
// Other threads reach a dispatcher through post() only: its base is created without
// libevent's locks (post() wakes the loop through an eventfd), so event_add, event_active and
// the like on it from another thread are data races.
#pragma once

#include <atomic>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "gateway/event/deletable.h"
#include "gateway/event/executor.h"
#include "gateway/event/libevent_ptr.h"
#include "gateway/event/schedulable_callback.h"
#include "gateway/event/timer.h"

namespace slotgate::gateway {

class Dispatcher : public Executor {
 public:
  // index: which loop this is among its kind (a worker's index), for per-loop state.
  explicit Dispatcher(size_t index = 0);
  ~Dispatcher() override;
  Dispatcher(const Dispatcher&) = delete;
  Dispatcher& operator=(const Dispatcher&) = delete;

  event_base* base() const { return base_.get(); }
  size_t index() const { return index_; }

  // Thread-safe: runs fn on this loop, later (never inline).
  void post(std::function<void()> fn) override;
  // Loop-thread only: destroys obj after the current callback returned, so an object may ask
  // for its own deletion from inside its callbacks.
  void deferredDelete(DeletablePtr obj);
  // Loop-thread only (or before start): a disabled timer whose callback runs on this loop.
  TimerPtr createTimer(std::function<void()> cb) {
    return std::make_unique<Timer>(base_.get(), std::move(cb));
  }
  // Loop-thread only (or before start): a callback run on the next loop turn when scheduled.
  SchedulableCallbackPtr createSchedulableCallback(std::function<void()> cb) {
    return std::make_unique<SchedulableCallback>(base_.get(), std::move(cb));
  }

  // Runs the loop on a new thread until stopAndJoin(). on_thread_start/on_thread_exit run on
  // that thread around the loop (thread-local setup such as a log batch).
  void start(std::function<void()> on_thread_start = {}, std::function<void()> on_thread_exit = {});
  // Thread-safe, idempotent: asks the loop to exit and joins its thread.
  void stopAndJoin();
  bool running() const { return thread_.joinable(); }
  // Loop-thread only (or after stopAndJoin): destroys what waits for deferred deletion now.
  void clearDeferredDeletes();

 private:
  static void onPosted(evutil_socket_t, short, void* arg);
  static void onDeferred(evutil_socket_t, short, void* arg);
  void runPosted();

  size_t index_;
  EventBasePtr base_;
  int posted_fd_ = -1;  // eventfd: post() wakes the loop (the base itself has no lock)
  EventPtr posted_event_;
  EventPtr deferred_event_;
  std::mutex posted_mutex_;
  std::vector<std::function<void()>> posted_;
  std::vector<DeletablePtr> deferred_;
  std::vector<DeletablePtr> deferred_spare_;  // empty; its capacity serves the next turn
  std::thread thread_;
};

}  // namespace slotgate::gateway
