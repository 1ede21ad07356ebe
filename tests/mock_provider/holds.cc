#include "tests/mock_provider/holds.h"

#include <algorithm>

#include "tests/mock_provider/worker.h"

namespace slotgate::mock {

uint64_t Holds::hold(const std::string& name, Worker& worker) {
  std::lock_guard lock(mu_);
  Group& group = groups_[name];
  const uint64_t id = ++nextId_;
  group.waiting.push_back(Held{id, &worker});
  ++group.arrived;
  return id;
}

void Holds::forget(const std::string& name, uint64_t id) {
  std::lock_guard lock(mu_);
  const auto group = groups_.find(name);
  if (group == groups_.end()) {
    return;
  }
  auto& waiting = group->second.waiting;
  const auto held =
      std::find_if(waiting.begin(), waiting.end(), [id](const Held& h) { return h.id == id; });
  if (held != waiting.end()) {
    waiting.erase(held);
  }
}

size_t Holds::release(const std::string& name, size_t count) {
  std::deque<Held> taken;
  {
    std::lock_guard lock(mu_);
    const auto group = groups_.find(name);
    if (group == groups_.end()) {
      return 0;
    }
    auto& waiting = group->second.waiting;
    const size_t n = std::min(count, waiting.size());
    taken.assign(waiting.begin(), waiting.begin() + static_cast<std::ptrdiff_t>(n));
    waiting.erase(waiting.begin(), waiting.begin() + static_cast<std::ptrdiff_t>(n));
    group->second.released += n;
  }
  resume(taken);
  return taken.size();
}

void Holds::reset() {
  std::deque<Held> taken;
  {
    std::lock_guard lock(mu_);
    for (auto& [name, group] : groups_) {
      taken.insert(taken.end(), group.waiting.begin(), group.waiting.end());
    }
    groups_.clear();
  }
  resume(taken);
}

HoldCounts Holds::counts(const std::string& name) const {
  std::lock_guard lock(mu_);
  const auto group = groups_.find(name);
  if (group == groups_.end()) {
    return {};
  }
  return HoldCounts{group->second.waiting.size(), group->second.arrived, group->second.released};
}

void Holds::resume(const std::deque<Held>& taken) {
  for (const Held& held : taken) {
    held.worker->postRelease(held.id);
  }
}

}  // namespace slotgate::mock
