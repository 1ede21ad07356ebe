// The owning handle of one cluster-wide slot: a lease in Redis (SPEC section 4, cluster mode).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace slotgate::limits {

class ClusterSlots;

namespace detail {
class ClusterCore;
// Shared by the handle and, weakly, by the renewal of its ClusterSlots. Loop-thread only.
struct LeaseEntry : std::enable_shared_from_this<LeaseEntry> {
  std::weak_ptr<ClusterCore> core;
  std::string key_id;
  uint64_t lease_no = 0;  // the lease id is its ClusterSlots' lease prefix and this number
  uint32_t limit = 0;
  std::function<void()> on_lost;
  bool lost = false;
  bool released = false;
  // The core's list of live (renewed) leases, linked through the entries: no node to allocate.
  bool live = false;
  LeaseEntry* prev_live = nullptr;
  LeaseEntry* next_live = nullptr;
};
}  // namespace detail

// Move-only. While held, its ClusterSlots renews it every lease_ttl / 3; destroying it (or
// release()) removes it from Redis, fire-and-forget (if that ZREM never arrives, the TTL frees
// the slot). Not thread-safe: owned by one request and destroyed on its worker's loop thread.
// It may outlive its ClusterSlots (then it is simply forgotten; the TTL frees the slot).
class ClusterLease {
 public:
  ClusterLease() = default;  // empty
  ClusterLease(ClusterLease&& other) noexcept = default;
  ClusterLease& operator=(ClusterLease&& other) noexcept;  // releases the lease held before
  ClusterLease(const ClusterLease&) = delete;
  ClusterLease& operator=(const ClusterLease&) = delete;
  ~ClusterLease();

  explicit operator bool() const { return entry_ != nullptr; }

  // Releases now (idempotent); the handle becomes empty.
  void release();

  // fn runs on the loop, at most once, when a renewal finds the lease gone and its key full
  // (this instance stalled past lease_ttl and another one holds the slot now): the owner must
  // stop using the slot (abort its request). Never runs after release() or destruction.
  void onLost(std::function<void()> fn);
  bool lost() const { return entry_ != nullptr && entry_->lost; }

  // "" for an empty lease (leaseId: also once its ClusterSlots is gone).
  const std::string& keyId() const;
  std::string leaseId() const;

 private:
  friend class detail::ClusterCore;
  explicit ClusterLease(std::shared_ptr<detail::LeaseEntry> entry) : entry_(std::move(entry)) {}

  std::shared_ptr<detail::LeaseEntry> entry_;
};

}  // namespace slotgate::limits
