#include "limits/cluster/cluster_lease.h"

#include <utility>

#include "limits/cluster/cluster_core.h"

namespace slotgate::limits {

ClusterLease& ClusterLease::operator=(ClusterLease&& other) noexcept {
  if (this != &other) {
    release();
    entry_ = std::move(other.entry_);
  }
  return *this;
}

ClusterLease::~ClusterLease() { release(); }

void ClusterLease::release() {
  std::shared_ptr<detail::LeaseEntry> entry = std::move(entry_);
  if (!entry) {
    return;
  }
  entry->on_lost = nullptr;
  if (auto core = entry->core.lock()) {
    core->release(*entry);
  }
}

void ClusterLease::onLost(std::function<void()> fn) {
  if (entry_) {
    entry_->on_lost = std::move(fn);
  }
}

const std::string& ClusterLease::keyId() const {
  static const std::string kEmpty;
  return entry_ ? entry_->key_id : kEmpty;
}

std::string ClusterLease::leaseId() const {
  if (!entry_) {
    return {};
  }
  auto core = entry_->core.lock();
  return core ? core->leaseId(entry_->lease_no) : std::string();
}

}  // namespace slotgate::limits
