#include "gateway/worker.h"

#include "gateway/downstream/connection_manager.h"
#include "gateway/upstream/tls_client_context.h"
#include "gateway/upstream/upstream_pool.h"

namespace slotgate::gateway {

Worker::Worker(size_t index)
    : Dispatcher(index), log_flush_(base(), [this] { metrics::flushLogBatch(*this); }) {
  // No /etc/resolv.conf search on every lookup storm: initialize once per worker.
  dns_.reset(
      evdns_base_new(base(), EVDNS_BASE_INITIALIZE_NAMESERVERS | EVDNS_BASE_DISABLE_WHEN_INACTIVE));
  tls_client_ctx_ = makeTlsClientContext();
  upstream_ = std::make_unique<UpstreamPool>(*this, dns_.get(), tls_client_ctx_.get());
}

Worker::~Worker() {
  stopAndJoin();
  // Connections first: they hold upstream exchanges that reference the pool.
  connections_.reset();
  clearDeferredDeletes();
  upstream_.reset();
  // Lookups still pending fail with DNS_ERR_SHUTDOWN when the evdns base goes;
  // one more loop turn delivers those callbacks so nothing leaks.
  dns_.reset();
  event_base_loop(base(), EVLOOP_NONBLOCK);
}

void Worker::onFirstLine() { log_flush_.schedule(); }

void Worker::setConnectionManager(std::unique_ptr<ConnectionManager> manager) {
  connections_ = std::move(manager);
}

void Worker::start() {
  Dispatcher::start([this] { metrics::setThreadLogBatch(this); },
                    [this] {
                      metrics::flushLogBatch(*this);
                      metrics::setThreadLogBatch(nullptr);
                    });
}

}  // namespace slotgate::gateway
