#include "limits/slot_pool.h"

#include <limits>
#include <utility>

namespace slotgate::limits {

// Why no waiter is ever left queued while a slot is free (no lost wake-up)
// ------------------------------------------------------------------------
// A slot is freed by releaseSlot():   (R1) in_use_.fetch_sub   then (R2) load waiting_.
// A waiter is queued by wait():       (W1) waiting_.fetch_add  then (W2) load in_use_ (via
//                                     tryIncrement() in grantLocked(), under mu_).
// A limit is raised by setLimit():    (L1) limit_.store        then (L2) load waiting_.
// All of these are seq_cst, so they sit in one total order that agrees with program order.
// If R1 comes before W1, W2 comes after R1 and sees the freed slot, so the new waiter (or an
// older one, all under the same mu_) takes it. If W1 comes before R1, R2 comes after W1 and sees
// waiting_ != 0, so the releaser takes mu_ and runs grantLocked(). The same pairing holds for
// L1/L2 against W1/W2. Whichever side runs grantLocked() second (mu_ serialises them) sees both
// effects. Cancelling a waiter never frees a slot, so it needs no such argument.
// The invariant that follows: after every grantLocked(), the queue is empty or no slot is free.

struct SlotPool::Waiter {
  Waiter(Executor& ex, std::function<void(SlotLease)> fn)
      : executor(ex), on_granted(std::move(fn)) {}

  Executor& executor;
  // Touched only on the waiter's worker thread (by the posted grant or by cancel()), or by
  // wait() before the waiter is published.
  std::function<void(SlotLease)> on_granted;
  // Set by cancel(); read by a grant already posted, which then gives its lease back.
  std::atomic<bool> cancelled{false};
  // Guarded by the pool's mu_.
  bool queued = false;
  std::list<std::shared_ptr<Waiter>>::iterator pos;  // valid while queued
};

class SlotPool::Handle final : public WaitHandle {
 public:
  Handle(std::shared_ptr<SlotPool> pool, std::shared_ptr<Waiter> waiter)
      : pool_(std::move(pool)), waiter_(std::move(waiter)) {}
  ~Handle() override { cancel(); }

  void cancel() override {
    if (pool_) {
      pool_->cancelWaiter(waiter_);
      pool_.reset();
    }
  }

 private:
  std::shared_ptr<SlotPool> pool_;  // null once cancelled
  std::shared_ptr<Waiter> waiter_;
};

std::shared_ptr<SlotPool> SlotPool::create(std::string key_id, uint32_t limit,
                                           SlotObserver* observer, Clock& clock) {
  return std::shared_ptr<SlotPool>(new SlotPool(std::move(key_id), limit, observer, clock));
}

SlotPool::SlotPool(std::string key_id, uint32_t limit, SlotObserver* observer, Clock& clock)
    : key_id_(std::move(key_id)), observer_(observer), clock_(clock), limit_(limit) {}

// Leases and wait handles hold the pool by shared_ptr, so by now nothing is held or queued.
SlotPool::~SlotPool() = default;

bool SlotPool::tryIncrement() {
  uint32_t current = in_use_.load(std::memory_order_seq_cst);
  for (;;) {
    const uint32_t limit = limit_.load(std::memory_order_seq_cst);
    if (limit != 0 && current >= limit) {
      return false;
    }
    if (in_use_.compare_exchange_weak(current, current + 1, std::memory_order_seq_cst,
                                      std::memory_order_seq_cst)) {
      return true;
    }
  }
}

SlotLease SlotPool::tryAcquire() {
  // A racing wait() may queue right after this check; that is a concurrent arrival, not an
  // overtake, and the waiter's own re-check (see top of file) keeps it from getting stuck.
  if (waiting_.load(std::memory_order_seq_cst) != 0 || !tryIncrement()) {
    return {};
  }
  return SlotLease(shared_from_this(), observer_ != nullptr ? clock_.now() : SteadyTime{});
}

void SlotPool::releaseSlot(SteadyTime acquired_at, bool completed, bool notify) {
  std::chrono::duration<double> held{0};
  const bool tell = notify && observer_ != nullptr;
  if (tell) {
    held = clock_.now() - acquired_at;
  }
  in_use_.fetch_sub(1, std::memory_order_seq_cst);
  if (waiting_.load(std::memory_order_seq_cst) != 0) {
    std::lock_guard<std::mutex> lock(mu_);
    grantLocked();
  }
  if (tell) {
    observer_->onSlotReleased(held, !completed);
  }
}

void SlotPool::grantLocked() {
  while (!queue_.empty()) {
    if (!tryIncrement()) {
      return;
    }
    std::shared_ptr<Waiter> waiter = std::move(queue_.front());
    queue_.pop_front();
    waiter->queued = false;
    waiting_.fetch_sub(1, std::memory_order_seq_cst);
    postGrantLocked(waiter);
  }
}

void SlotPool::postGrantLocked(const std::shared_ptr<Waiter>& waiter) {
  // std::function needs a copyable callable, so the move-only lease travels in a shared box. If
  // the executor drops the task without running it, the box's lease is released by its destructor.
  auto box = std::make_shared<SlotLease>(
      SlotLease(shared_from_this(), observer_ != nullptr ? clock_.now() : SteadyTime{}));
  waiter->executor.post([waiter, box]() {
    if (waiter->cancelled.load(std::memory_order_acquire)) {
      box->abandon();  // the waiter left; the slot goes to the next one
      return;
    }
    // Moved out first: on_granted may destroy the wait handle, and its captures should die
    // with this call rather than with the waiter state.
    std::function<void(SlotLease)> on_granted = std::move(waiter->on_granted);
    waiter->on_granted = nullptr;
    if (on_granted) {
      on_granted(std::move(*box));
    }
  });
}

WaitHandlePtr SlotPool::wait(Executor& executor, uint32_t max_waiting,
                             std::function<void(SlotLease)> on_granted) {
  auto waiter = std::make_shared<Waiter>(executor, std::move(on_granted));
  std::lock_guard<std::mutex> lock(mu_);
  if (queue_.empty() && tryIncrement()) {
    // A slot freed since the caller's tryAcquire(): grant it, still through the executor.
    postGrantLocked(waiter);
    return std::make_unique<Handle>(shared_from_this(), std::move(waiter));
  }
  if (queue_.size() >= max_waiting) {
    return nullptr;
  }
  waiter->pos = queue_.insert(queue_.end(), waiter);
  waiter->queued = true;
  waiting_.fetch_add(1, std::memory_order_seq_cst);
  grantLocked();  // the re-check against a racing release (see top of file)
  return std::make_unique<Handle>(shared_from_this(), std::move(waiter));
}

void SlotPool::cancelWaiter(const std::shared_ptr<Waiter>& waiter) {
  waiter->cancelled.store(true, std::memory_order_release);
  bool removed = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (waiter->queued) {
      queue_.erase(waiter->pos);
      waiter->queued = false;
      waiting_.fetch_sub(1, std::memory_order_seq_cst);
      removed = true;
    }
  }
  if (removed) {
    // No grant was posted, so nothing else reads on_granted: drop the request's captures now.
    waiter->on_granted = nullptr;
  }
}

void SlotPool::setLimit(uint32_t limit) {
  limit_.store(limit, std::memory_order_seq_cst);
  if (waiting_.load(std::memory_order_seq_cst) != 0) {
    std::lock_guard<std::mutex> lock(mu_);
    grantLocked();
  }
}

uint32_t SlotPool::available() const {
  if (waiting() != 0) {
    return 0;
  }
  const uint32_t limit = this->limit();
  if (limit == 0) {
    return std::numeric_limits<uint32_t>::max();
  }
  const uint32_t used = inUse();
  return used >= limit ? 0 : limit - used;
}

}  // namespace slotgate::limits
