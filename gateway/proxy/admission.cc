#include "gateway/proxy/admission.h"

#include <prometheus/gauge.h>

#include <algorithm>
#include <chrono>
#include <string>

namespace slotgate::gateway {

using metrics::ErrorType;

Admission::~Admission() { release(); }

void Admission::admitClient(Dispatcher& worker, ClusterRuntime* cluster, const ClientSlot& slot) {
  client_lease_ = slot.pool.tryAcquire();
  if (client_lease_) {
    admitClientCluster(worker, cluster, slot.client, slot.started);
    return;
  }
  if (!slot.client.queue || slot.client.queue->max_waiting == 0) {
    owner_.onRefused(
        ErrorType::kConcurrencyLimitExceeded,
        "concurrency limit of " + std::to_string(slot.pool.limit()) + " reached for this key", 1);
    return;
  }
  waitInQueue(worker, cluster, slot);
}

void Admission::waitInQueue(Dispatcher& worker, ClusterRuntime* cluster, const ClientSlot& slot) {
  owner_.onSlotWaitBegins();
  const conf::Client& client = slot.client;
  const limits::SteadyTime started = slot.started;
  wait_ = slot.pool.wait(worker, client.queue->max_waiting,
                         [this, &worker, cluster, &client, started](limits::SlotLease lease) {
                           leaveQueue();
                           owner_.onSlotWaitEnds();
                           client_lease_ = std::move(lease);
                           admitClientCluster(worker, cluster, client, started);
                         });
  if (!wait_) {
    owner_.onRefused(ErrorType::kConcurrencyLimitExceeded,
                     "concurrency limit reached and the waiting queue is full", 1);
    return;
  }
  queue_depth_ = &slot.queue_depth;
  queue_depth_->Increment();
  const auto timeout = client.queue->timeout;
  queue_timer_ = worker.createTimer([this, timeout] {
    leaveQueue();
    owner_.onSlotWaitEnds();
    const auto secs =
        std::max<int64_t>(1, std::chrono::duration_cast<std::chrono::seconds>(timeout).count());
    owner_.onRefused(ErrorType::kConcurrencyLimitExceeded,
                     "no slot became free within the queue timeout", static_cast<int>(secs));
  });
  queue_timer_->enable(std::chrono::duration_cast<std::chrono::microseconds>(timeout));
}

void Admission::leaveQueue() {
  if (wait_) {
    wait_->cancel();
    wait_.reset();
  }
  if (queue_timer_) {
    queue_timer_->disable();  // kept: this may run inside the timer's own callback
  }
  if (queue_depth_ != nullptr) {
    queue_depth_->Decrement();
    queue_depth_ = nullptr;
  }
}

// The local client slot is held; in cluster mode the cluster-wide one is taken too (waiting,
// retried, until the queue timeout when the client has a queue).
void Admission::admitClientCluster(Dispatcher& worker, ClusterRuntime* cluster,
                                   const conf::Client& client, limits::SteadyTime started) {
  if (cluster == nullptr || client.max_concurrency == 0) {
    owner_.onClientAdmitted();
    return;
  }
  const bool has_queue = client.queue && client.queue->max_waiting > 0;
  const limits::SteadyTime until =
      has_queue ? started + client.queue->timeout : limits::SteadyTime{};
  // Not asked for here: takeProvider takes it together with the provider key's slot.
  owed_client_ = &client;
  owed_until_ = until;
  owner_.onClientAdmitted();
}

void Admission::waitForClientCluster(size_t worker_index, ClusterRuntime* cluster) {
  if (owed_until_ == limits::SteadyTime{}) {
    owner_.onRefused(ErrorType::kConcurrencyLimitExceeded,
                     "concurrency limit of this key reached across the cluster", 1);
    return;
  }
  owner_.onSlotWaitBegins();
  cluster_pending_ = cluster->acquire(
      worker_index, {limits::SlotRequest{owed_client_->id, owed_client_->max_concurrency}},
      [this](ClusterRuntime::Verdict verdict, limits::ClusterLease lease) {
        owner_.onSlotWaitEnds();
        cluster_pending_.reset();
        switch (verdict) {
          case ClusterRuntime::Verdict::kGranted:
            client_cluster_ = std::move(lease);
            client_cluster_.onLost([this] { owner_.onSlotLost(); });
            [[fallthrough]];
          case ClusterRuntime::Verdict::kLocal:
            owed_client_ = nullptr;
            owner_.onProviderFull();  // not full: the owner chooses a provider again
            return;
          case ClusterRuntime::Verdict::kFull:
            owner_.onRefused(ErrorType::kConcurrencyLimitExceeded,
                             "concurrency limit of this key reached across the cluster", 1);
            return;
          case ClusterRuntime::Verdict::kUnavailable:
            owner_.onRefused(ErrorType::kNoUpstreamAvailable,
                             "shared limit state (Redis) is unavailable", 1);
            return;
        }
      },
      owed_until_);
}

Admission::Take Admission::takeProvider(Dispatcher& worker, ClusterRuntime* cluster,
                                        const ConfigSnapshot& snapshot, const routing::Candidate& c,
                                        bool holds_slots) {
  const ProviderKeyState& state = snapshot.providerKey(c.provider_index, c.key_index);
  limits::BreakerPermit permit = state.breaker->tryAdmit();
  if (!permit) {
    return Take::kBusy;
  }
  if (!holds_slots) {
    permit_ = std::move(permit);
    return Take::kTaken;
  }
  limits::SlotLease lease = state.slots->tryAcquire();
  if (!lease) {
    return Take::kBusy;  // taken by another worker since ranking; the permit goes back neutral
  }
  permit_ = std::move(permit);
  provider_lease_ = std::move(lease);
  const conf::Provider& provider = snapshot.config().providers[c.provider_index];
  const conf::ProviderKey& key = provider.keys[c.key_index];
  const bool provider_in_cluster =
      cluster != nullptr && (key.max_concurrency > 0 || permit_.isProbe());
  if (!provider_in_cluster && owed_client_ == nullptr) {
    return Take::kTaken;
  }
  std::optional<limits::SlotRequest> request;
  if (provider_in_cluster) {
    request = limits::SlotRequest{key.id, key.max_concurrency};
    if (permit_.isProbe()) {
      request->probe_limit = std::max<uint32_t>(1, provider.circuit_breaker.half_open_requests);
      request->probe_window = std::chrono::duration_cast<std::chrono::milliseconds>(
          provider.circuit_breaker.open_duration);
    }
  }
  cluster_candidate_ = c;
  owner_.onSlotWaitBegins();
  if (owed_client_ != nullptr) {
    // The client's cluster slot and this key's in one script call: one round trip.
    admit_cluster_ = cluster;
    cluster_pending_ = cluster->admit(
        worker.index(), limits::SlotRequest{owed_client_->id, owed_client_->max_concurrency},
        std::move(request), *this);
    return Take::kPending;
  }
  cluster_pending_ =
      cluster->acquire(worker.index(), {std::move(*request)},
                       [this](ClusterRuntime::Verdict verdict, limits::ClusterLease lease) {
                         onProviderVerdict(verdict, std::move(lease));
                       });
  return Take::kPending;
}

void Admission::onAdmit(limits::ClusterSlots::AdmitOutcome outcome, limits::ClusterLease client,
                        limits::ClusterLease provider) {
  onAdmitVerdict(cluster_pending_->workerIndex(), admit_cluster_,
                 admit_cluster_->admitVerdict(outcome), std::move(client), std::move(provider));
}

void Admission::onAdmitVerdict(size_t worker_index, ClusterRuntime* cluster,
                               ClusterRuntime::AdmitVerdict verdict, limits::ClusterLease client,
                               limits::ClusterLease provider) {
  owner_.onSlotWaitEnds();
  cluster_pending_.reset();
  const routing::Candidate c = cluster_candidate_;
  switch (verdict) {
    case ClusterRuntime::AdmitVerdict::kGranted:
      client_cluster_ = std::move(client);
      client_cluster_.onLost([this] { owner_.onSlotLost(); });
      if (provider) {
        provider_cluster_ = std::move(provider);
        provider_cluster_.onLost([this] { owner_.onSlotLost(); });
      }
      [[fallthrough]];
    case ClusterRuntime::AdmitVerdict::kLocal:
      owed_client_ = nullptr;
      owner_.onProviderAdmitted(c);
      return;
    case ClusterRuntime::AdmitVerdict::kProviderFull:
      // As onProviderVerdict's kFull; the client's cluster slot is still to be taken.
      providerFullAcrossCluster(c);
      return;
    case ClusterRuntime::AdmitVerdict::kClientFull:
      // Nothing was taken in Redis; the local provider slot and the permit (neutral) go back.
      dropLocalProviderHold();
      waitForClientCluster(worker_index, cluster);
      return;
    case ClusterRuntime::AdmitVerdict::kUnavailable:
      clusterUnavailable();
      return;
  }
}

void Admission::onProviderVerdict(ClusterRuntime::Verdict verdict, limits::ClusterLease lease) {
  owner_.onSlotWaitEnds();
  cluster_pending_.reset();
  const routing::Candidate c = cluster_candidate_;
  switch (verdict) {
    case ClusterRuntime::Verdict::kGranted:
      provider_cluster_ = std::move(lease);
      provider_cluster_.onLost([this] { owner_.onSlotLost(); });
      [[fallthrough]];
    case ClusterRuntime::Verdict::kLocal:
      owner_.onProviderAdmitted(c);
      return;
    case ClusterRuntime::Verdict::kFull:
      providerFullAcrossCluster(c);
      return;
    case ClusterRuntime::Verdict::kUnavailable:
      clusterUnavailable();
      return;
  }
}

void Admission::dropLocalProviderHold() {
  permit_ = limits::BreakerPermit();  // dropped without a verdict: neutral
  provider_lease_ = limits::SlotLease();
}

void Admission::providerFullAcrossCluster(const routing::Candidate& c) {
  // Full across the cluster: the local slot and the permit (neutral) go back; the next
  // candidate is tried. Not a retry: nothing was sent.
  dropLocalProviderHold();
  cluster_full_.push_back(c);
  owner_.onProviderFull();
}

void Admission::clusterUnavailable() {
  dropLocalProviderHold();
  owner_.onRefused(ErrorType::kNoUpstreamAvailable, "shared limit state (Redis) is unavailable", 1);
}

void Admission::endAttempt() {
  provider_lease_.release();
  provider_cluster_.release();
}

void Admission::markCompleted() {
  client_lease_.markCompleted();
  provider_lease_.markCompleted();
}

void Admission::release() {
  leaveQueue();
  // Provider slots first: a client slot freed here may be handed at once to a waiter on
  // another worker, which then asks for a provider slot; with the provider slot still held it
  // would find the key full and get a 503 although capacity was there.
  // Each only when held: this runs at the end of every request and again on destruction.
  if (cluster_pending_) {
    cluster_pending_.reset();
  }
  if (provider_cluster_) {
    provider_cluster_.release();
  }
  if (client_cluster_) {
    client_cluster_.release();
  }
  if (provider_lease_) {
    provider_lease_.release();
  }
  if (client_lease_) {
    client_lease_.release();
  }
}

int Admission::retryAfterSeconds(const ConfigSnapshot& snapshot, const conf::Model& model) {
  int64_t retry_ms = 0;
  for (const auto& t : model.targets) {
    const auto& provider = snapshot.config().providers[t.provider_index];
    for (size_t k = 0; k < provider.keys.size(); ++k) {
      const auto ms = snapshot.providerKey(t.provider_index, k).breaker->retryAfter().count();
      if (ms > 0 && (retry_ms == 0 || ms < retry_ms)) {
        retry_ms = ms;
      }
    }
  }
  retry_ms = std::max<int64_t>(retry_ms, 1000);
  return static_cast<int>((retry_ms + 999) / 1000);
}

}  // namespace slotgate::gateway
