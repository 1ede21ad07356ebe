// Cluster-wide concurrency slots of one worker, as leases in Redis (SPEC section 4).
//
// Per key, a sorted set `<prefix>slots:<key_id>` holds lease ids scored by their expiry (Redis
// time, ms). Acquiring drops expired members and adds one if fewer than `limit` remain; a holder
// renews its leases every lease_ttl / 3 (one script call per worker for all of its leases); a
// dead instance's leases lapse after lease_ttl. Lease ids are <instance id>:<worker>:<n>.
#pragma once

#include <event2/event.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gateway/event/dispatcher.h"
#include "gateway/event/thread_pooled.h"
#include "limits/clock.h"
#include "limits/cluster/cluster_lease.h"
#include "limits/cluster/redis_connection.h"

namespace slotgate::limits {

// One key a request may take a slot on.
struct SlotRequest {
  std::string key_id;
  uint32_t limit = 0;  // max_concurrency; 0 = unlimited
  // > 0: this request is a half-open probe of the key's breaker; Redis admits at most this many
  // probes cluster-wide per probe_window (use half_open_requests and open_duration).
  uint32_t probe_limit = 0;
  std::chrono::milliseconds probe_window{0};
};

struct ClusterOptions {
  std::string prefix = "slotgate:";
  std::chrono::milliseconds lease_ttl{30000};
  std::string instance_id;  // the same for every worker of a process; see randomInstanceId()
  size_t worker_index = 0;
  // While every candidate is full, an acquisition with a retry_until tries again after a delay
  // drawn uniformly from [retry_min, retry_max] (jitter keeps instances from retrying in step).
  // A release on this worker wakes the oldest waiter at once instead.
  std::chrono::milliseconds retry_min{50};
  std::chrono::milliseconds retry_max{150};
  RedisOptions redis;
};

namespace detail {
struct AcquireOp;
}

// One per worker, on its event loop: every method is loop-thread only (construct it before the
// loop thread starts or on it; destroy it after the loop stopped or on it, never from inside
// one of its callbacks). Callbacks always run on that loop, never inside the call that asked.
class ClusterSlots {
 public:
  enum class Outcome {
    kGranted,     // the lease is valid
    kFull,        // every candidate key is at its limit (or its probe places are taken)
    kUnavailable  // Redis is down or did not answer in time: apply on_unavailable
  };
  using Callback = std::function<void(Outcome outcome, ClusterLease lease)>;

  // An acquisition in progress. Destroying it cancels: the callback never runs, and a lease
  // granted by a reply already on its way is released at once.
  class Pending : public gateway::ThreadPooled<Pending> {
   public:
    explicit Pending(std::shared_ptr<detail::AcquireOp> op) : op_(std::move(op)) {}
    ~Pending();
    Pending(const Pending&) = delete;
    Pending& operator=(const Pending&) = delete;
    // While waiting between retries (retry_until), try again now (e.g. a local slot freed).
    void retryNow();
    // The worker whose ClusterSlots this acquisition is on (while that ClusterSlots exists).
    size_t workerIndex() const;

   private:
    std::shared_ptr<detail::AcquireOp> op_;
  };
  using PendingPtr = std::unique_ptr<Pending>;

  ClusterSlots(gateway::Dispatcher& loop, RedisEndpoint endpoint, ClusterOptions options);
  ~ClusterSlots();
  ClusterSlots(const ClusterSlots&) = delete;
  ClusterSlots& operator=(const ClusterSlots&) = delete;

  // Connects (and keeps reconnecting) and starts the renewal timer.
  void start();

  // Takes a slot on the FIRST candidate, in the given order, that has room: one script call,
  // however many candidates. Acquisitions asked for in the same loop turn go out pipelined in
  // one write. When every candidate is full and retry_until lies ahead, it tries again every
  // retry_min..retry_max (jittered) until then, and only then reports kFull. kUnavailable is
  // reported at once (no retry). lease.keyId() says which candidate was granted.
  [[nodiscard]] PendingPtr acquire(std::vector<SlotRequest> candidates, Callback cb,
                                   SteadyTime retry_until = {});
  [[nodiscard]] PendingPtr acquire(const std::string& key_id, uint32_t limit, Callback cb,
                                   SteadyTime retry_until = {});

  // Admission in one script call (one round trip): the client key's slot (`client`, limit > 0)
  // and, when `provider` is given, a provider key's slot, both or neither. No waiting: a full
  // key is reported at once. The callback gets both leases on kGranted (the second empty
  // without `provider`). The listener (kept alive by the caller, as the handle) hears once,
  // on the loop, never inside admit() and never after the handle was destroyed: a direct call,
  // not a std::function per admission.
  enum class AdmitOutcome { kGranted, kClientFull, kProviderFull, kUnavailable };
  class AdmitListener {
   public:
    virtual void onAdmit(AdmitOutcome outcome, ClusterLease client, ClusterLease provider) = 0;

   protected:
    ~AdmitListener() = default;
  };
  [[nodiscard]] PendingPtr admit(SlotRequest client, std::optional<SlotRequest> provider,
                                 AdmitListener& listener);

  // The connection is up (acquisitions may succeed).
  bool up() const;
  // Told (on the loop) whenever up() changes.
  void setStateListener(std::function<void(bool up)> fn);

  // Shutdown (SIGTERM, after the drain): releases every lease still held, then calls done once
  // every release was answered, or after `timeout`, whichever comes first.
  void releaseAll(std::chrono::milliseconds timeout, std::function<void()> done);

  // Renews every held lease now (tests; the timer does it every lease_ttl / 3).
  void renewNow();

  size_t leasesHeld() const;
  uint64_t leasesLost() const;
  RedisConnection& connection();

  // The sorted set of a key, and the probe counter of its breaker.
  static std::string slotsKey(const std::string& prefix, const std::string& key_id);
  static std::string probeKey(const std::string& prefix, const std::string& key_id);
  // 16 random hex digits.
  static std::string randomInstanceId();

 private:
  std::shared_ptr<detail::ClusterCore> core_;
};

using ClusterSlotsPtr = std::unique_ptr<ClusterSlots>;

}  // namespace slotgate::limits
