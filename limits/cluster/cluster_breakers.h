// Circuit breakers shared by every instance through Redis (SPEC section 4, cluster mode).
//
// A breaker that opens (or closes after a good probe) on this instance is recorded in Redis
// (`<prefix>breaker:<key_id>` expiring with the open period, member of `<prefix>breakers:open`)
// and published on `<prefix>breakers`; every instance subscribes and applies what others publish
// with forceOpenFor()/forceClose(). Open periods travel as remaining durations, so clock skew
// between hosts does not matter. A starting (or reconnecting) instance reads the circuits still
// open. Half-open probes are counted cluster-wide by ClusterSlots (SlotRequest::probe_limit).
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "gateway/event/dispatcher.h"
#include "limits/circuit_breaker.h"
#include "limits/cluster/redis_connection.h"

namespace slotgate::limits {

// Runs its own loop thread (a gateway::Dispatcher) with two connections: commands and the
// subscription. Public methods are thread-safe: worker threads hand their breakers'
// transitions to this loop with Dispatcher::post, never by touching its event_base.
class ClusterBreakers {
 public:
  // A circuit change crossing the cluster: one of ours going out, or another instance's applied
  // here (for logs: when each instance learnt of it).
  struct SharedTransition {
    std::string_view key_id;
    bool opened = false;
    bool remote = false;                    // applied from another instance
    std::chrono::milliseconds open_for{0};  // when opened: the (remaining) open period
  };

  struct Options {
    std::string prefix = "slotgate:";
    std::string instance_id;  // messages from this id are our own and skipped
    RedisOptions redis;
    // PING on the command connection this often, so that a Redis that stopped answering is
    // noticed (a subscription alone would wait forever).
    std::chrono::milliseconds ping_interval{500};
  };

  ClusterBreakers(RedisEndpoint endpoint, Options options);
  ~ClusterBreakers();  // stop()
  ClusterBreakers(const ClusterBreakers&) = delete;
  ClusterBreakers& operator=(const ClusterBreakers&) = delete;

  void start();
  // Stops the thread; afterwards no breaker is touched and no transition is published.
  void stop();

  // Publishes this breaker's own transitions and applies remote ones to it (replacing its
  // listener). Held weakly. Attaching the same key again replaces the previous breaker.
  void attach(const CircuitBreakerPtr& breaker);

  // Both connections are up and the subscription is confirmed.
  bool up() const { return up_.load(std::memory_order_acquire); }
  // Called (on this object's thread) whenever up() may have changed. Set before start().
  void setStateListener(std::function<void(bool up)> fn) { on_state_ = std::move(fn); }
  // Called (on this object's thread) for each local transition published and each remote one
  // applied to an attached breaker. Set before start().
  void setTransitionListener(std::function<void(const SharedTransition&)> fn) {
    on_transition_ = std::move(fn);
  }
  // Remote transitions applied so far (tests, logs).
  uint64_t applied() const { return applied_.load(std::memory_order_relaxed); }
  // Local transitions published so far.
  uint64_t published() const { return published_.load(std::memory_order_relaxed); }

 private:
  // What breaker listeners (on worker threads, possibly outliving this object) post through.
  struct Gate;
  struct Local {
    std::string key_id;
    bool opened = false;
    std::chrono::milliseconds open_for{0};
  };

  void publishLocal(const Local& local);
  void publish(const Local& local);
  void onMessage(const redisReply* reply);
  void apply(const std::string& key_id, bool opened, std::chrono::milliseconds remaining);
  void loadOpen();
  void republishOpen();
  void updateUp();
  void onTick();

  const RedisEndpoint endpoint_;
  const Options options_;
  const std::string channel_;
  gateway::Dispatcher loop_;  // first in, last out: the rest lives on its event_base
  gateway::TimerPtr tick_;    // PING every ping_interval
  RedisConnectionPtr cmd_;
  RedisConnectionPtr sub_;
  std::shared_ptr<Gate> gate_;
  bool started_ = false;

  bool subscribed_ = false;  // Redis confirmed our SUBSCRIBE on sub_ (this object's thread)
  std::atomic<bool> up_{false};
  std::function<void(bool)> on_state_;
  std::function<void(const SharedTransition&)> on_transition_;
  std::atomic<uint64_t> applied_{0};
  std::atomic<uint64_t> published_{0};

  std::mutex mu_;  // guards the two maps
  std::unordered_map<std::string, std::weak_ptr<CircuitBreaker>> breakers_;
  // Remote opens of keys not attached yet (a reload may add them later): key -> until.
  std::unordered_map<std::string, SteadyTime> remote_open_;
};

}  // namespace slotgate::limits
