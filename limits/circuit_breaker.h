// The circuit breaker of one provider key (SPEC section 4).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "conf/config.h"
#include "limits/clock.h"

namespace slotgate::limits {

enum class CircuitState { kClosed, kOpen, kHalfOpen };
// "closed", "open", "half_open".
std::string_view circuitStateName(CircuitState state);

class CircuitBreaker;

// A transition this breaker made on its own (permit outcomes), for cluster mode to share:
// opened for `open_for`, or closed by a good probe. Transitions made from outside (forceOpen,
// forceClose) are not reported, so that shared state never echoes back.
struct CircuitTransition {
  bool opened = false;
  std::chrono::milliseconds open_for{0};  // when opened
};
// Called after the breaker's lock is released, on the thread that reported the outcome.
using CircuitListener = std::function<void(CircuitBreaker& breaker, CircuitTransition transition)>;

// Permission to send one request to a key. Move-only. Report the outcome once with success() or
// failure(); the permit is spent afterwards (operator bool turns false). Destroying it without a
// report is neutral (client left, upstream 4xx other than 429): a half-open probe place is freed
// without a verdict. Not thread-safe itself (one request owns it); may be destroyed on any thread.
// Outcomes of permits issued before the breaker last changed state are ignored: a slow request
// admitted while closed cannot re-open or close a circuit that has moved on since.
class BreakerPermit {
 public:
  BreakerPermit() = default;  // rejected
  BreakerPermit(BreakerPermit&& other) noexcept;
  BreakerPermit& operator=(BreakerPermit&& other) noexcept;  // a permit replaced is neutral
  BreakerPermit(const BreakerPermit&) = delete;
  BreakerPermit& operator=(const BreakerPermit&) = delete;
  ~BreakerPermit();

  explicit operator bool() const { return breaker_ != nullptr; }  // false = rejected or spent
  bool isProbe() const { return probe_; }

  // Closes a half-open circuit (resetting the re-open doubling); in closed state it resets the
  // consecutive-failure count.
  void success();
  // Counts toward failure_threshold; a failed probe re-opens for twice the last open duration
  // (capped at 10x open_duration).
  void failure();

 private:
  friend class CircuitBreaker;
  BreakerPermit(CircuitBreaker* breaker, std::shared_ptr<CircuitBreaker> keep_alive, uint64_t epoch,
                bool probe)
      : breaker_(breaker), keep_alive_(std::move(keep_alive)), epoch_(epoch), probe_(probe) {}
  void neutral();

  CircuitBreaker* breaker_ = nullptr;
  std::shared_ptr<CircuitBreaker> keep_alive_;  // set when the breaker is owned by a shared_ptr
  uint64_t epoch_ = 0;
  bool probe_ = false;
};

// Thread-safe: all workers share one breaker per provider key. Survives reloads (setConfig()).
// The closed-state path (admits(), tryAdmit(), success()) is one atomic load, no lock, no clock
// read; everything else takes a mutex. Own breakers by std::shared_ptr (create() or make_shared)
// so that permits keep a breaker alive after a reload dropped its key; otherwise the breaker must
// outlive its permits.
class CircuitBreaker : public std::enable_shared_from_this<CircuitBreaker> {
 public:
  static std::shared_ptr<CircuitBreaker> create(std::string key_id,
                                                conf::CircuitBreakerConfig config,
                                                Clock& clock = Clock::real());
  CircuitBreaker(std::string key_id, conf::CircuitBreakerConfig config,
                 Clock& clock = Clock::real());
  CircuitBreaker(const CircuitBreaker&) = delete;
  CircuitBreaker& operator=(const CircuitBreaker&) = delete;

  // Would tryAdmit() succeed now? Takes nothing (for choosing a target).
  bool admits() const;
  // Closed → permit. Open and open_duration passed → half-open: up to half_open_requests probes
  // in flight at once. Otherwise rejected (empty permit).
  [[nodiscard]] BreakerPermit tryAdmit();
  // An open circuit whose duration has passed reports kHalfOpen.
  CircuitState state() const;
  // Takes effect from the next transition; a running open period keeps its end, but the doubling
  // is capped at the new 10x open_duration.
  void setConfig(conf::CircuitBreakerConfig config);
  // Time until an open circuit admits probes; 0 when closed or half-open (even with every probe
  // place taken: a place frees when a probe ends, at no known time).
  std::chrono::milliseconds retryAfter() const;
  const std::string& keyId() const { return key_id_; }

  // For cluster mode: open from outside until `until` (another instance opened it). Extends an
  // open period that would end earlier; never shortens one.
  void forceOpen(SteadyTime until);
  // forceOpen(now + remaining) on this breaker's clock (a remote open arrives as a duration, so
  // that clock skew between instances does not matter).
  void forceOpenFor(std::chrono::milliseconds remaining);
  // For cluster mode: another instance closed it after a good probe. Closes an open or half-open
  // circuit (resetting the doubling); a closed one is left alone.
  void forceClose();
  // For cluster mode: told of this breaker's own transitions (see CircuitTransition). One
  // listener; nullptr removes it. Thread-safe.
  void setListener(CircuitListener listener);

  // For metrics, logs and tests.
  uint32_t consecutiveFailures() const { return failures_.load(std::memory_order_relaxed); }
  // The length of the current (or, when closed, the next) open period.
  std::chrono::milliseconds currentOpenDuration() const;
  uint32_t probesInFlight() const;

 private:
  friend class BreakerPermit;

  // Permit outcomes, by the epoch the permit was issued in.
  void onSuccess(uint64_t epoch, bool probe);
  void onFailure(uint64_t epoch, bool probe);
  void onNeutral(uint64_t epoch, bool probe);

  void openLocked(SteadyTime until, std::chrono::milliseconds duration);
  void closeLocked();
  void publishLocked();  // word_ = epoch_ << 1 | closed_
  std::chrono::milliseconds maxOpenLocked() const { return config_.open_duration * 10; }
  uint32_t probeLimitLocked() const;
  BreakerPermit makePermit(uint64_t epoch, bool probe);

  const std::string key_id_;
  Clock& clock_;

  // Lock-free view of the state: (epoch << 1) | closed. The epoch changes on every transition
  // (open, re-open, close, forceOpen), which is how stale permits are recognised.
  alignas(64) std::atomic<uint64_t> word_;
  std::atomic<uint32_t> failures_{0};  // consecutive, in the current closed epoch

  alignas(64) mutable std::mutex mu_;  // guards everything below
  conf::CircuitBreakerConfig config_;
  uint64_t epoch_ = 0;
  bool closed_ = true;
  SteadyTime open_until_{};
  std::chrono::milliseconds last_open_{};
  uint32_t probes_in_flight_ = 0;
  std::shared_ptr<const CircuitListener> listener_;  // copied out under mu_, called outside
};

using CircuitBreakerPtr = std::shared_ptr<CircuitBreaker>;

}  // namespace slotgate::limits
