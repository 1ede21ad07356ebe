// The owning handle of one concurrency slot, and the observer told of every release.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "limits/clock.h"

namespace slotgate::limits {

// Told of every release of a lease that served a request; implemented by the gateway with the
// concurrency_slot_duration_seconds / concurrency_slot_release_total series of one key_id.
// Called on whichever thread releases the lease, so implementations must be thread-safe.
class SlotObserver {
 public:
  virtual ~SlotObserver() = default;
  virtual void onSlotReleased(std::chrono::duration<double> held, bool exception) = 0;
};

class SlotPool;

// Owning, move-only handle of one slot. Its destructor releases the slot exactly once, so double
// release and leaks are impossible by construction. Not thread-safe itself (owned by one request
// on one worker), but it may be destroyed on any thread. The lease keeps its pool alive.
class SlotLease {
 public:
  SlotLease() = default;  // empty
  SlotLease(SlotLease&& other) noexcept;
  SlotLease& operator=(SlotLease&& other) noexcept;  // releases the slot held before, if any
  SlotLease(const SlotLease&) = delete;
  SlotLease& operator=(const SlotLease&) = delete;
  ~SlotLease();

  explicit operator bool() const { return pool_ != nullptr; }

  // The request completed normally: the release reports exception=false. Without this call the
  // release reports exception=true (error, timeout, client gone).
  void markCompleted() { completed_ = true; }

  // Releases now (idempotent); the handle becomes empty.
  void release();

  // The pool's key id; "" for an empty lease.
  const std::string& keyId() const;

 private:
  friend class SlotPool;
  SlotLease(std::shared_ptr<SlotPool> pool, SteadyTime acquired_at)
      : pool_(std::move(pool)), acquired_at_(acquired_at) {}

  // Returns the slot without telling the observer: used for a slot granted to a waiter that left
  // before the grant reached it, so it never served a request.
  void abandon();

  std::shared_ptr<SlotPool> pool_;
  SteadyTime acquired_at_{};  // read only when the pool has an observer (saves a clock read)
  bool completed_ = false;
};

}  // namespace slotgate::limits
