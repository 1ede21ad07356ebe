// Internals of ClusterSlots (not for other modules): the state that leases and pending
// acquisitions reach weakly, so that either may outlive the ClusterSlots. Loop-thread only.
#pragma once

#include <deque>
#include <list>
#include <unordered_map>
#include <utility>

#include "limits/cluster/cluster_slots.h"

namespace slotgate::limits::detail {

struct AcquireOp {
  std::weak_ptr<ClusterCore> core;
  std::weak_ptr<AcquireOp> self;  // for the retry timer, which holds a raw pointer
  std::vector<SlotRequest> candidates;
  ClusterSlots::Callback cb;
  SteadyTime retry_until{};
  std::string lease_id;
  bool cancelled = false;
  bool in_flight = false;
  bool listed = false;  // in ClusterCore::waiting_
  // A lease of one of its keys was released while its attempt was in flight: that attempt was
  // answered before the release, so a "full" reply is retried at once, not after a delay.
  bool woken = false;
  gateway::TimerPtr retry_timer;  // made at the first retry
  // ClusterSlots::admit: candidates are the client key, then the provider key if any; never
  // retried.
  ClusterSlots::AdmitCallback admit_cb;
  std::string provider_lease_id;
};

class ClusterCore : public std::enable_shared_from_this<ClusterCore> {
 public:
  ClusterCore(gateway::Dispatcher& loop, RedisEndpoint endpoint, ClusterOptions options);
  ~ClusterCore();

  void start();
  void attempt(const std::shared_ptr<AcquireOp>& op);
  void attemptAdmit(const std::shared_ptr<AcquireOp>& op) { sendAdmit(op); }
  void scheduleRetry(const std::shared_ptr<AcquireOp>& op);
  void release(LeaseEntry& entry);
  void renew();
  void releaseAll(std::chrono::milliseconds timeout, std::function<void()> done);
  std::string nextLeaseId();
  // Runs fn later on this loop (Dispatcher::post), never inside the current callback.
  void defer(std::function<void()> fn) { loop_.post(std::move(fn)); }

  event_base* base() const { return loop_.base(); }
  RedisConnection& conn() { return *conn_; }
  const ClusterOptions& options() const { return options_; }
  size_t leasesHeld() const { return live_.size(); }
  uint64_t leasesLost() const { return lost_; }
  void setStateListener(std::function<void(bool)> fn) { on_state_ = std::move(fn); }

 private:
  void onReply(const std::shared_ptr<AcquireOp>& op, const redisReply* reply);
  void sendAdmit(const std::shared_ptr<AcquireOp>& op);
  void onAdmitReply(const std::shared_ptr<AcquireOp>& op, const redisReply* reply);
  std::shared_ptr<LeaseEntry> track(const SlotRequest& request, const std::string& lease_id);
  void deliverAdmit(const std::shared_ptr<AcquireOp>& op, ClusterSlots::AdmitOutcome outcome,
                    ClusterLease client, ClusterLease provider);
  void deliver(const std::shared_ptr<AcquireOp>& op, ClusterSlots::Outcome outcome,
               ClusterLease lease);
  // Queues a release for the end of this loop turn (flushReleases).
  void sendRelease(std::string zkey, std::string lease_id);
  // Sends the queued releases: one ZREM, or one script call for several. Runs at the end of
  // the loop turn, and before any acquisition goes out, so that an acquisition woken by a
  // release (wakeWaiter) reaches Redis behind it.
  void flushReleases();
  void onConnected();
  void checkDrained();
  // A lease of key_id was released here: the oldest acquisition waiting for that key tries at
  // once (its script goes out behind the release on the same connection, so it sees the room), or,
  // if its attempt is in flight, again as soon as that attempt is answered.
  void wakeWaiter(const std::string& key_id);

  gateway::Dispatcher& loop_;
  const ClusterOptions options_;
  RedisConnectionPtr conn_;
  uint64_t counter_ = 0;
  uint64_t lost_ = 0;
  std::unordered_map<LeaseEntry*, std::weak_ptr<LeaseEntry>> live_;
  // Releases that could not be sent (Redis down): sent on reconnect. Bounded; past the bound
  // the TTL frees them.
  std::deque<std::pair<std::string, std::string>> unreleased_;
  // Releases of this loop turn, not sent yet: (zset, lease id).
  std::vector<std::pair<std::string, std::string>> release_batch_;
  gateway::SchedulableCallbackPtr release_flush_;
  std::list<std::weak_ptr<AcquireOp>> waiting_;  // acquisitions between retries, oldest first
  gateway::TimerPtr renew_timer_;                // every lease_ttl / 3 (at least 10 ms)
  std::chrono::milliseconds renew_period_;
  gateway::TimerPtr drain_timer_;  // every 5 ms while releaseAll waits
  SteadyTime drain_deadline_{};
  std::function<void()> drain_done_;
  std::function<void(bool)> on_state_;
};

}  // namespace slotgate::limits::detail
