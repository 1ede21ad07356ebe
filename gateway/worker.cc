#include "gateway/worker.h"

#include <event2/thread.h>

#include "gateway/connection_manager.h"
#include "gateway/tls_client_context.h"
#include "gateway/upstream_pool.h"

namespace slotgate::gateway {

Worker::Worker(size_t index) : index_(index) {
  base_.reset(event_base_new());
  // No /etc/resolv.conf search on every lookup storm: initialize once per worker.
  dns_.reset(evdns_base_new(base_.get(),
                            EVDNS_BASE_INITIALIZE_NAMESERVERS | EVDNS_BASE_DISABLE_WHEN_INACTIVE));
  tls_client_ctx_ = makeTlsClientContext();
  upstream_ = std::make_unique<UpstreamPool>(base_.get(), dns_.get(), tls_client_ctx_.get());
  posted_event_.reset(event_new(base_.get(), -1, EV_PERSIST, &Worker::onPosted, this));
  deferred_event_.reset(event_new(base_.get(), -1, 0, &Worker::onDeferred, this));
  log_flush_event_.reset(event_new(base_.get(), -1, 0, &Worker::onLogFlush, this));
}

Worker::~Worker() {
  stopAndJoin();
  // Connections first: they hold upstream exchanges that reference the pool.
  connections_.reset();
  deferred_.clear();
  upstream_.reset();
  // Lookups still pending fail with DNS_ERR_SHUTDOWN when the evdns base goes;
  // one more loop turn delivers those callbacks so nothing leaks.
  dns_.reset();
  event_base_loop(base_.get(), EVLOOP_NONBLOCK);
}

void Worker::post(std::function<void()> fn) {
  {
    std::lock_guard<std::mutex> lock(posted_mutex_);
    posted_.push_back(std::move(fn));
  }
  // event_active is thread-safe once evthread_use_pthreads() ran (main does it first).
  event_active(posted_event_.get(), EV_READ, 0);
}

void Worker::onPosted(evutil_socket_t, short, void* arg) { static_cast<Worker*>(arg)->runPosted(); }

void Worker::runPosted() {
  std::vector<std::function<void()>> batch;
  {
    std::lock_guard<std::mutex> lock(posted_mutex_);
    batch.swap(posted_);
  }
  for (auto& fn : batch) {
    fn();
  }
}

void Worker::deferDelete(DeletablePtr obj) {
  deferred_.push_back(std::move(obj));
  event_active(deferred_event_.get(), EV_READ, 0);
}

void Worker::onDeferred(evutil_socket_t, short, void* arg) {
  auto* self = static_cast<Worker*>(arg);
  // Destructors may defer more deletions; loop until none are left.
  while (!self->deferred_.empty()) {
    std::vector<DeletablePtr> batch;
    batch.swap(self->deferred_);
    batch.clear();
  }
}

void Worker::onFirstLine() { event_active(log_flush_event_.get(), EV_READ, 0); }

void Worker::onLogFlush(evutil_socket_t, short, void* arg) {
  metrics::flushLogBatch(*static_cast<Worker*>(arg));
}

void Worker::setConnectionManager(std::unique_ptr<ConnectionManager> manager) {
  connections_ = std::move(manager);
}

void Worker::start() {
  thread_ = std::thread([this] {
    metrics::setThreadLogBatch(this);
    event_base_loop(base_.get(), EVLOOP_NO_EXIT_ON_EMPTY);
    metrics::flushLogBatch(*this);
    metrics::setThreadLogBatch(nullptr);
  });
}

void Worker::stopAndJoin() {
  if (!thread_.joinable()) {
    return;
  }
  event_base_loopexit(base_.get(), nullptr);
  thread_.join();
}

}  // namespace slotgate::gateway
