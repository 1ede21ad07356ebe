// Internals of ClusterSlots (not for other modules): the state that leases and pending
// acquisitions reach weakly, so that either may outlive the ClusterSlots. Loop-thread only.
//
// The admission path allocates nothing of its own once warm: operation records and lease
// entries come from per-thread free lists (gateway::PoolAllocator), script calls write their
// keys and arguments straight into the connection's command buffer (ScriptCall), lease ids are
// a prefix and a number, live leases are an intrusive list, and release calls are reused.
#pragma once

#include <deque>
#include <list>
#include <utility>

#include "limits/cluster/cluster_slots.h"
#include "limits/cluster/redis_script.h"

namespace slotgate::limits::detail {

// A release not sent yet: the key (its lease zset is <prefix>slots:<key_id>) and lease number.
struct PendingRelease {
  std::string key_id;
  uint64_t lease_no = 0;
};

// One acquisition or admission: its own script call (while in flight, `in_flight_hold` keeps it
// alive; the Pending handle holds it too).
struct AcquireOp final : ScriptCall {
  ClusterCore* owner = nullptr;  // valid whenever a reply arrives (the core owns the connection)
  std::weak_ptr<ClusterCore> core;
  std::weak_ptr<AcquireOp> self;  // for the retry timer, which holds a raw pointer
  std::shared_ptr<AcquireOp> in_flight_hold;
  std::vector<SlotRequest> candidates;
  ClusterSlots::Callback cb;
  SteadyTime retry_until{};
  uint64_t lease_no = 0;
  bool cancelled = false;
  bool in_flight = false;
  bool listed = false;  // in ClusterCore::waiting_
  // A lease of one of its keys was released while its attempt was in flight: that attempt was
  // answered before the release, so a "full" reply is retried at once, not after a delay.
  bool woken = false;
  gateway::TimerPtr retry_timer;  // made at the first retry
  // ClusterSlots::admit: candidates are the client key, then the provider key if any; never
  // retried.
  bool admit = false;
  ClusterSlots::AdmitListener* admit_listener = nullptr;
  uint64_t provider_lease_no = 0;

  size_t keyCount() const override;
  size_t argCount() const override;
  void writeKeysAndArgs(RespWriter& out) const override;
  void onScriptReply(const redisReply* reply) override;
  void onRedisDropped() override;
};

// One release command (a ZREM, or the release script for several): reused.
struct ReleaseCall final : ScriptCall {
  ClusterCore* owner = nullptr;
  std::vector<PendingRelease> releases;

  size_t keyCount() const override { return releases.size(); }
  size_t argCount() const override { return releases.size(); }
  void writeKeysAndArgs(RespWriter& out) const override;
  void onScriptReply(const redisReply* reply) override;
  void onRedisDropped() override;
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
  uint64_t nextLeaseNo() { return ++counter_; }
  // <instance id>:<worker>:<n>
  std::string leaseId(uint64_t lease_no) const { return lease_prefix_ + std::to_string(lease_no); }
  const std::string& leasePrefix() const { return lease_prefix_; }
  // lease_ttl in ms as one RESP argument (the scripts' ARGV[1]), formatted once.
  const std::string& ttlArg() const { return ttl_arg_; }
  // Runs fn later on this loop (Dispatcher::post), never inside the current callback.
  void defer(std::function<void()> fn) { loop_.post(std::move(fn)); }

  event_base* base() const { return loop_.base(); }
  RedisConnection& conn() { return *conn_; }
  const ClusterOptions& options() const { return options_; }
  size_t leasesHeld() const { return live_count_; }
  uint64_t leasesLost() const { return lost_; }
  void setStateListener(std::function<void(bool)> fn) { on_state_ = std::move(fn); }

  // Replies of the script calls (AcquireOp, ReleaseCall).
  void onReply(const std::shared_ptr<AcquireOp>& op, const redisReply* reply);
  void onAdmitReply(const std::shared_ptr<AcquireOp>& op, const redisReply* reply);
  void releaseCallDone(ReleaseCall& call, bool answered);

 private:
  void sendAdmit(const std::shared_ptr<AcquireOp>& op);
  std::shared_ptr<LeaseEntry> track(const SlotRequest& request, uint64_t lease_no);
  void link(LeaseEntry& entry);
  void unlink(LeaseEntry& entry);
  void deliverAdmit(const std::shared_ptr<AcquireOp>& op, ClusterSlots::AdmitOutcome outcome,
                    ClusterLease client, ClusterLease provider);
  void deliver(const std::shared_ptr<AcquireOp>& op, ClusterSlots::Outcome outcome,
               ClusterLease lease);
  // Queues a release for the end of this loop turn (flushReleases).
  void sendRelease(const std::string& key_id, uint64_t lease_no);
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
  const std::string lease_prefix_;  // <instance id>:<worker>:
  const std::string ttl_arg_;
  RedisConnectionPtr conn_;
  uint64_t counter_ = 0;
  uint64_t lost_ = 0;
  LeaseEntry* live_head_ = nullptr;  // leases held (renewed), newest first
  size_t live_count_ = 0;
  // Releases that could not be sent (Redis down): sent on reconnect. Bounded; past the bound
  // the TTL frees them.
  std::deque<PendingRelease> unreleased_;
  // Releases of this loop turn, not sent yet.
  std::vector<PendingRelease> release_batch_;
  // Release calls, each reused once answered (their vectors keep their capacity).
  std::vector<std::unique_ptr<ReleaseCall>> release_calls_;
  std::vector<ReleaseCall*> idle_release_calls_;
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
