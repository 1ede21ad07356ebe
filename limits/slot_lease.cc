#include "limits/slot_lease.h"

#include <utility>

#include "limits/slot_pool.h"

namespace slotgate::limits {

SlotLease::SlotLease(SlotLease&& other) noexcept
    : pool_(std::move(other.pool_)),
      acquired_at_(other.acquired_at_),
      completed_(std::exchange(other.completed_, false)) {}

SlotLease& SlotLease::operator=(SlotLease&& other) noexcept {
  if (this != &other) {
    release();
    pool_ = std::move(other.pool_);
    acquired_at_ = other.acquired_at_;
    completed_ = std::exchange(other.completed_, false);
  }
  return *this;
}

SlotLease::~SlotLease() { release(); }

void SlotLease::release() {
  if (!pool_) {
    return;
  }
  // Empty the handle first so that nothing reached from the release can release it again; the
  // local keeps the pool alive for the call.
  std::shared_ptr<SlotPool> pool = std::move(pool_);
  pool->releaseSlot(acquired_at_, std::exchange(completed_, false), /*notify=*/true);
}

void SlotLease::abandon() {
  if (!pool_) {
    return;
  }
  std::shared_ptr<SlotPool> pool = std::move(pool_);
  completed_ = false;
  pool->releaseSlot(acquired_at_, false, /*notify=*/false);
}

const std::string& SlotLease::keyId() const {
  static const std::string kEmpty;
  return pool_ ? pool_->keyId() : kEmpty;
}

}  // namespace slotgate::limits
