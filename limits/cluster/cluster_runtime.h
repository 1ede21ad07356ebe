// Cluster mode of one gateway process (SPEC sections 2 `redis`, 4, 6): a ClusterSlots on every
// worker's loop, the shared breakers on their own thread, the on_unavailable policy, readiness
// and the slotgate_redis_up / slotgate_cluster_fallbacks_total metrics.
//
// What happens while Redis is away (on_unavailable: local): requests are admitted with the
// in-process pools only; their slots are not in Redis, so other instances do not count them
// until those requests end (each instance still enforces max_concurrency itself, so the cluster
// holds at most instances x limit meanwhile). Nothing leaks: such requests never wrote a lease,
// releases that could not be sent are sent on reconnect, and every lease in Redis lapses
// lease_ttl after its last renewal whatever happens. When Redis returns, every worker
// reconnects (backoff 50 ms .. 2 s, jittered), puts its running leases back (renewal re-takes a
// vanished lease when its key has room) and new requests are counted cluster-wide again.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "conf/config.h"
#include "gateway/event/dispatcher.h"
#include "limits/circuit_breaker.h"
#include "limits/cluster/cluster_breakers.h"
#include "limits/cluster/cluster_slots.h"
#include "limits/cluster/redis_resolver.h"
#include "metrics/metrics.h"

namespace slotgate::gateway {

class ClusterRuntime {
 public:
  // What an acquisition means for the request, with on_unavailable applied.
  enum class Verdict {
    kGranted,     // cluster lease held: proceed
    kLocal,       // Redis unavailable, on_unavailable: local: proceed with the local slot only
    kFull,        // the key is full cluster-wide (after waiting until retry_until, if given)
    kUnavailable  // Redis unavailable, on_unavailable: reject: answer 503
  };
  using Callback = std::function<void(Verdict verdict, limits::ClusterLease lease)>;

  ClusterRuntime(const conf::RedisConfig& config, metrics::Metrics& metrics);
  ~ClusterRuntime();  // stop()
  ClusterRuntime(const ClusterRuntime&) = delete;
  ClusterRuntime& operator=(const ClusterRuntime&) = delete;

  // Control thread, before the worker's loop starts; workers in index order (0, 1, ...).
  void addWorker(Dispatcher& worker);
  // Control thread, after every addWorker: connects everything (never blocks on Redis).
  void start();
  // Thread-safe. Shares this breaker's transitions with the cluster; call for every breaker the
  // KeyRegistry creates (attaching the same key again is harmless).
  void attachBreaker(const limits::CircuitBreakerPtr& breaker);

  // Worker loop thread only (worker_index = Worker::index()). The callback runs on that loop,
  // never inside this call; destroying the returned handle cancels (a late grant is released).
  [[nodiscard]] limits::ClusterSlots::PendingPtr acquire(
      size_t worker_index, std::vector<limits::SlotRequest> candidates, Callback cb,
      limits::SteadyTime retry_until = {});
  // Admission in one round trip (ClusterSlots::admit), with on_unavailable applied: kGranted
  // (both leases), kLocal (proceed on the local slots), kClientFull, kProviderFull (nothing
  // taken), kUnavailable (answer 503). Worker loop thread only, as acquire().
  // The listener hears the outcome (ClusterSlots::AdmitListener) and turns it into a verdict
  // with admitVerdict(), which counts the fallbacks.
  enum class AdmitVerdict { kGranted, kLocal, kClientFull, kProviderFull, kUnavailable };
  [[nodiscard]] limits::ClusterSlots::PendingPtr admit(
      size_t worker_index, limits::SlotRequest client, std::optional<limits::SlotRequest> provider,
      limits::ClusterSlots::AdmitListener& listener);
  AdmitVerdict admitVerdict(limits::ClusterSlots::AdmitOutcome outcome);
  limits::ClusterSlots& slots(size_t worker_index) { return *workers_[worker_index]->slots; }

  // Thread-safe. Every worker connection and both breaker connections are up.
  bool up() const;
  bool rejectWhenUnavailable() const {
    return config_.on_unavailable == conf::OnUnavailable::kReject;
  }
  // Thread-safe, for /readyz: "" when Redis is up, else "redis unavailable".
  std::string readinessReason() const;
  const std::string& instanceId() const { return instance_id_; }

  // SIGTERM, after the drain, while the workers' loops still run (control thread; blocks):
  // every worker releases the leases it still holds and waits for Redis to acknowledge, all
  // bounded by `timeout` in total.
  void releaseAll(std::chrono::milliseconds timeout);
  // Stops the breaker thread. Worker-side state goes with the workers' loops: destroy this
  // object only after the workers were joined.
  void stop();

 private:
  struct PerWorker {
    Dispatcher* worker = nullptr;
    std::unique_ptr<limits::ClusterSlots> slots;
    std::atomic<bool> up{false};
  };
  void refreshUp();

  const conf::RedisConfig config_;
  metrics::Metrics& metrics_;
  const std::string instance_id_;
  const std::shared_ptr<limits::RedisResolver> resolver_;  // the server's address, for all
  std::vector<std::unique_ptr<PerWorker>> workers_;
  std::unique_ptr<limits::ClusterBreakers> breakers_;
  std::mutex up_mu_;  // orders refreshUp() calls from worker threads and the breaker thread
  bool last_up_ = false;
  prometheus::Counter* fallback_local_ = nullptr;
  prometheus::Counter* fallback_reject_ = nullptr;
};

}  // namespace slotgate::gateway
