#include "limits/cluster/cluster_runtime.h"

#include <condition_variable>
#include <mutex>

#include "metrics/log.h"

namespace slotgate::gateway {
namespace {

limits::RedisEndpoint endpointOf(const conf::RedisConfig& c,
                                 std::shared_ptr<limits::RedisResolver> resolver) {
  return limits::RedisEndpoint{c.host, c.port, c.db, std::move(resolver)};
}

}  // namespace

ClusterRuntime::ClusterRuntime(const conf::RedisConfig& config, metrics::Metrics& metrics)
    : config_(config),
      metrics_(metrics),
      instance_id_(limits::ClusterSlots::randomInstanceId()),
      // Resolved here, on the control thread; workers' connections only see addresses.
      resolver_(std::make_shared<limits::RedisResolver>(config_.host, config_.port)) {
  if (resolver_->address().empty()) {
    metrics::LogLine(metrics::LogLevel::kWarn, "redis_resolve_failed")
        .str("host", config_.host)
        .emit();
  }
  limits::ClusterBreakers::Options options;
  options.prefix = config_.prefix;
  options.instance_id = instance_id_;
  breakers_ = std::make_unique<limits::ClusterBreakers>(endpointOf(config_, resolver_), options);
  breakers_->setStateListener([this](bool) { refreshUp(); });
  breakers_->setTransitionListener([](const limits::ClusterBreakers::SharedTransition& t) {
    metrics::LogLine line(metrics::LogLevel::kInfo, "cluster_circuit");
    line.str("key_id", t.key_id)
        .str("state", t.opened ? "open" : "closed")
        .str("origin", t.remote ? "remote" : "local");
    if (t.opened) {
      line.num("open_ms", static_cast<int64_t>(t.open_for.count()));
    }
    line.emit();
  });
  fallback_local_ = &metrics_.clusterFallbacks().Add({{"on_unavailable", "local"}});
  fallback_reject_ = &metrics_.clusterFallbacks().Add({{"on_unavailable", "reject"}});
  metrics_.redisUp().Set(0);
  metrics_.redisConfigured().Set(1);
}

ClusterRuntime::~ClusterRuntime() { stop(); }

void ClusterRuntime::addWorker(Dispatcher& worker) {
  auto entry = std::make_unique<PerWorker>();
  entry->worker = &worker;
  limits::ClusterOptions options;
  options.prefix = config_.prefix;
  options.lease_ttl = std::chrono::duration_cast<std::chrono::milliseconds>(config_.lease_ttl);
  options.instance_id = instance_id_;
  options.worker_index = worker.index();
  entry->slots =
      std::make_unique<limits::ClusterSlots>(worker, endpointOf(config_, resolver_), options);
  PerWorker* raw = entry.get();
  entry->slots->setStateListener([this, raw](bool up) {
    raw->up.store(up, std::memory_order_release);
    refreshUp();
  });
  workers_.push_back(std::move(entry));
}

void ClusterRuntime::start() {
  breakers_->start();
  for (auto& w : workers_) {
    w->slots->start();
  }
  metrics::LogLine(metrics::LogLevel::kInfo, "cluster_mode")
      .str("redis", config_.host + ":" + std::to_string(config_.port))
      .str("instance_id", instance_id_)
      .num("lease_ttl_ms",
           std::chrono::duration_cast<std::chrono::milliseconds>(config_.lease_ttl).count())
      .str("on_unavailable", rejectWhenUnavailable() ? "reject" : "local")
      .emit();
}

void ClusterRuntime::attachBreaker(const limits::CircuitBreakerPtr& breaker) {
  breakers_->attach(breaker);
}

limits::ClusterSlots::PendingPtr ClusterRuntime::acquire(
    size_t worker_index, std::vector<limits::SlotRequest> candidates, Callback cb,
    limits::SteadyTime retry_until) {
  const bool reject = rejectWhenUnavailable();
  return workers_[worker_index]->slots->acquire(
      std::move(candidates),
      [this, reject, cb = std::move(cb)](limits::ClusterSlots::Outcome outcome,
                                         limits::ClusterLease lease) {
        switch (outcome) {
          case limits::ClusterSlots::Outcome::kGranted:
            cb(Verdict::kGranted, std::move(lease));
            return;
          case limits::ClusterSlots::Outcome::kFull:
            cb(Verdict::kFull, {});
            return;
          case limits::ClusterSlots::Outcome::kUnavailable:
            (reject ? fallback_reject_ : fallback_local_)->Increment();
            cb(reject ? Verdict::kUnavailable : Verdict::kLocal, {});
            return;
        }
      },
      retry_until);
}

limits::ClusterSlots::PendingPtr ClusterRuntime::admit(
    size_t worker_index, limits::SlotRequest client, std::optional<limits::SlotRequest> provider,
    limits::ClusterSlots::AdmitListener& listener) {
  return workers_[worker_index]->slots->admit(std::move(client), std::move(provider), listener);
}

ClusterRuntime::AdmitVerdict ClusterRuntime::admitVerdict(
    limits::ClusterSlots::AdmitOutcome outcome) {
  using Outcome = limits::ClusterSlots::AdmitOutcome;
  switch (outcome) {
    case Outcome::kGranted:
      return AdmitVerdict::kGranted;
    case Outcome::kClientFull:
      return AdmitVerdict::kClientFull;
    case Outcome::kProviderFull:
      return AdmitVerdict::kProviderFull;
    case Outcome::kUnavailable:
      break;
  }
  const bool reject = rejectWhenUnavailable();
  (reject ? fallback_reject_ : fallback_local_)->Increment();
  return reject ? AdmitVerdict::kUnavailable : AdmitVerdict::kLocal;
}

bool ClusterRuntime::up() const {
  if (!breakers_->up()) {
    return false;
  }
  for (const auto& w : workers_) {
    if (!w->up.load(std::memory_order_acquire)) {
      return false;
    }
  }
  return true;
}

void ClusterRuntime::refreshUp() {
  // Called by every worker connection and the breaker thread on their changes; the lock makes
  // the gauge and the log follow the last computed state.
  std::lock_guard<std::mutex> lock(up_mu_);
  const bool now_up = up();
  if (last_up_ == now_up) {
    return;
  }
  last_up_ = now_up;
  metrics_.redisUp().Set(now_up ? 1 : 0);
  metrics::LogLine(now_up ? metrics::LogLevel::kInfo : metrics::LogLevel::kWarn,
                   now_up ? metrics::LogKey("redis_up") : metrics::LogKey("redis_down"))
      .str("on_unavailable", rejectWhenUnavailable() ? "reject" : "local")
      .emit();
}

std::string ClusterRuntime::readinessReason() const {
  bool any_down = !breakers_->up();
  for (const auto& w : workers_) {
    any_down |= !w->up.load(std::memory_order_acquire);
  }
  return any_down ? "redis unavailable" : "";
}

void ClusterRuntime::releaseAll(std::chrono::milliseconds timeout) {
  // Shared: a stalled worker may answer after this returned.
  struct Countdown {
    std::mutex mu;
    std::condition_variable cv;
    size_t left = 0;
  };
  auto countdown = std::make_shared<Countdown>();
  countdown->left = workers_.size();
  for (auto& w : workers_) {
    limits::ClusterSlots* slots = w->slots.get();
    w->worker->post([slots, timeout, countdown] {
      slots->releaseAll(timeout, [countdown] {
        std::lock_guard<std::mutex> lock(countdown->mu);
        --countdown->left;
        countdown->cv.notify_all();
      });
    });
  }
  std::unique_lock<std::mutex> lock(countdown->mu);
  if (!countdown->cv.wait_for(lock, timeout + std::chrono::milliseconds(100),
                              [&] { return countdown->left == 0; })) {
    metrics::LogLine(metrics::LogLevel::kWarn, "cluster_release_timeout")
        .num("workers_pending", countdown->left)
        .emit();
  }
}

void ClusterRuntime::stop() { breakers_->stop(); }

}  // namespace slotgate::gateway
