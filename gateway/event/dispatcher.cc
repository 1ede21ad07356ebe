#include "gateway/event/dispatcher.h"

namespace slotgate::gateway {

Dispatcher::Dispatcher(size_t index) : index_(index) {
  base_.reset(event_base_new());
  posted_event_.reset(event_new(base_.get(), -1, EV_PERSIST, &Dispatcher::onPosted, this));
  deferred_event_.reset(event_new(base_.get(), -1, 0, &Dispatcher::onDeferred, this));
}

Dispatcher::~Dispatcher() {
  stopAndJoin();
  clearDeferredDeletes();
}

void Dispatcher::post(std::function<void()> fn) {
  {
    std::lock_guard<std::mutex> lock(posted_mutex_);
    posted_.push_back(std::move(fn));
  }
  // event_active is thread-safe once evthread_use_pthreads() ran (main does it first).
  event_active(posted_event_.get(), EV_READ, 0);
}

void Dispatcher::onPosted(evutil_socket_t, short, void* arg) {
  static_cast<Dispatcher*>(arg)->runPosted();
}

void Dispatcher::runPosted() {
  std::vector<std::function<void()>> batch;
  {
    std::lock_guard<std::mutex> lock(posted_mutex_);
    batch.swap(posted_);
  }
  for (auto& fn : batch) {
    fn();
  }
}

void Dispatcher::deferredDelete(DeletablePtr obj) {
  deferred_.push_back(std::move(obj));
  event_active(deferred_event_.get(), EV_READ, 0);
}

void Dispatcher::onDeferred(evutil_socket_t, short, void* arg) {
  static_cast<Dispatcher*>(arg)->clearDeferredDeletes();
}

void Dispatcher::clearDeferredDeletes() {
  // Destructors may defer more deletions; loop until none are left.
  while (!deferred_.empty()) {
    std::vector<DeletablePtr> batch;
    batch.swap(deferred_);
    batch.clear();
  }
}

void Dispatcher::start(std::function<void()> on_thread_start,
                       std::function<void()> on_thread_exit) {
  thread_ = std::thread(
      [this, on_start = std::move(on_thread_start), on_exit = std::move(on_thread_exit)] {
        if (on_start) {
          on_start();
        }
        event_base_loop(base_.get(), EVLOOP_NO_EXIT_ON_EMPTY);
        if (on_exit) {
          on_exit();
        }
      });
}

void Dispatcher::stopAndJoin() {
  if (!thread_.joinable()) {
    return;
  }
  event_base_loopexit(base_.get(), nullptr);
  thread_.join();
}

}  // namespace slotgate::gateway
