// The slots one request holds and how it gets them (SPEC section 4): the client's slot (local
// pool, then in cluster mode the cluster-wide half), with the waiting queue and its timeout;
// then, per attempt, a provider key's breaker permit and slot (local, then cluster-wide).
// Ownership makes the guarantees structural: every slot is a lease member, so completion,
// error, retry (endAttempt) and destruction (the client went away) each release them exactly
// once, provider slots before the client's.
//
// The request (Owner) hears the asynchronous outcomes: a slot granted after a wait, a refusal
// (queue full or timed out, cluster full, Redis unavailable), a cluster lease lost. Calls on
// the owner may come from inside admission calls (a refusal found at once). One per request;
// loop-thread only.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "conf/config.h"
#include "gateway/config_snapshot.h"
#include "gateway/event/dispatcher.h"
#include "gateway/proxy/attempt_verdict.h"
#include "limits/circuit_breaker.h"
#include "limits/cluster/cluster_runtime.h"
#include "limits/cluster/cluster_slots.h"
#include "limits/slot_pool.h"
#include "metrics/error_type.h"
#include "routing/target_chooser.h"

namespace prometheus {
class Gauge;
}

namespace slotgate::gateway {

class Admission : private limits::ClusterSlots::AdmitListener {
 public:
  class Owner {
   public:
    // The request waits for a slot (the queue, or a cluster-wide slot) from now / no longer.
    virtual void onSlotWaitBegins() = 0;
    virtual void onSlotWaitEnds() = 0;
    // The client's slot is held (after a wait): choose a provider.
    virtual void onClientAdmitted() = 0;
    // A provider key that waited for its cluster-wide slot got it: send to it.
    virtual void onProviderAdmitted(const routing::Candidate& candidate) = 0;
    // That key is full across the cluster (its local slot and permit went back, the key is in
    // clusterFull()): choose again.
    virtual void onProviderFull() = 0;
    // No slot: answer `error` with Retry-After `retry_after_s`. Admission is over.
    virtual void onRefused(metrics::ErrorType error, std::string_view message,
                           int retry_after_s) = 0;
    // A renewal found a cluster slot of this request taken by another instance.
    virtual void onSlotLost() = 0;

   protected:
    ~Owner() = default;
  };

  // What the client half needs.
  struct ClientSlot {
    const conf::Client& client;
    limits::SlotPool& pool;
    prometheus::Gauge& queue_depth;  // the request's model's waiting-queue gauge
    limits::SteadyTime started;  // the request's start: a cluster wait ends at the queue timeout
  };

  // How takeProvider went.
  enum class Take {
    kBusy,     // the key's circuit or its slots refuse now: try the next candidate
    kTaken,    // permit (and slot) held: send
    kPending,  // the local slot is held, the cluster-wide one is asked for: the owner hears
  };

  explicit Admission(Owner& owner) : owner_(owner) {}
  ~Admission();
  Admission(const Admission&) = delete;
  Admission& operator=(const Admission&) = delete;

  // Takes the client's slot now, or queues for it (bounded by the client's queue), then in
  // cluster mode (`cluster` set) the cluster-wide half. onClientAdmitted, or onRefused, follows
  // (perhaps inside this call).
  void admitClient(Dispatcher& worker, ClusterRuntime* cluster, const ClientSlot& slot);

  // Takes `candidate`'s breaker permit and, when `holds_slots`, its slot (local, then in
  // cluster mode the cluster-wide half).
  Take takeProvider(Dispatcher& worker, ClusterRuntime* cluster, const ConfigSnapshot& snapshot,
                    const routing::Candidate& candidate, bool holds_slots);

  // The attempt is over (retry): its provider slots go; the client's stays.
  void endAttempt();
  // The response reached the client whole: the slots end without exception.
  void markCompleted();
  // Leaves the queue and any cluster wait, then releases every slot, provider slots first.
  void release();

  // Gives the current attempt's breaker permit its verdict (kNone: not yet).
  void judge(BreakerVerdict verdict) {
    switch (verdict) {
      case BreakerVerdict::kNone:
        return;
      case BreakerVerdict::kSuccess:
        permit_.success();
        return;
      case BreakerVerdict::kFailure:
        permit_.failure();
        return;
      case BreakerVerdict::kNeutral:
        permit_ = limits::BreakerPermit();  // a permit replaced goes back without a verdict
        return;
    }
  }
  // Keys found full across the cluster: choices exclude them.
  const std::vector<routing::Candidate>& clusterFull() const { return cluster_full_; }

  // Seconds until the first open circuit of `model`'s keys admits again, at least 1 (keys
  // merely full): the Retry-After of "no target available".
  static int retryAfterSeconds(const ConfigSnapshot& snapshot, const conf::Model& model);

 private:
  void waitInQueue(Dispatcher& worker, ClusterRuntime* cluster, const ClientSlot& slot);
  void leaveQueue();
  void admitClientCluster(Dispatcher& worker, ClusterRuntime* cluster, const conf::Client& client,
                          limits::SteadyTime started);
  void onProviderVerdict(ClusterRuntime::Verdict verdict, limits::ClusterLease lease);
  // ClusterSlots::AdmitListener: the one-call admission's outcome.
  void onAdmit(limits::ClusterSlots::AdmitOutcome outcome, limits::ClusterLease client,
               limits::ClusterLease provider) override;
  void onAdmitVerdict(size_t worker_index, ClusterRuntime* cluster,
                      ClusterRuntime::AdmitVerdict verdict, limits::ClusterLease client,
                      limits::ClusterLease provider);
  // The client key was full across the cluster at admission: wait for it as a queued client
  // does (until its queue timeout), then choose a provider again; without a queue, 429.
  void waitForClientCluster(size_t worker_index, ClusterRuntime* cluster);
  // The cluster refused this attempt's provider key (or could not answer): the local provider
  // slot and the breaker permit taken for it go back, the permit without a verdict.
  void dropLocalProviderHold();
  // Full across the cluster (from either the one-call admission or a provider-only acquire).
  void providerFullAcrossCluster(const routing::Candidate& c);
  // The shared limit state (Redis) could not answer: the request is refused (503, Retry-After 1).
  void clusterUnavailable();

  Owner& owner_;
  limits::SlotLease client_lease_;
  limits::SlotLease provider_lease_;
  limits::BreakerPermit permit_;
  limits::ClusterLease client_cluster_;
  limits::ClusterLease provider_cluster_;
  limits::ClusterSlots::PendingPtr cluster_pending_;
  // The runtime the one-call admission in cluster_pending_ was asked of (its listener is this
  // object; the worker is the pending acquisition's).
  ClusterRuntime* admit_cluster_ = nullptr;
  limits::WaitHandlePtr wait_;
  TimerPtr queue_timer_;
  prometheus::Gauge* queue_depth_ = nullptr;  // set while counted in the queue gauge
  routing::Candidate cluster_candidate_;  // waiting for its cluster slot (while cluster_pending_)
  std::vector<routing::Candidate> cluster_full_;  // keys full cluster-wide
  // Cluster mode: the client's cluster-wide slot, not taken yet. It is taken with the first
  // provider slot in one script call (ClusterRuntime::admit): one Redis round trip to admit.
  // The client (in the request's snapshot) or nullptr; a queued client waits for the slot
  // until owed_until_ ({}: no waiting).
  const conf::Client* owed_client_ = nullptr;
  limits::SteadyTime owed_until_{};
};

}  // namespace slotgate::gateway
