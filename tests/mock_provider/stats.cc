#include "tests/mock_provider/stats.h"

#include <nlohmann/json.hpp>

namespace slotgate::mock {

void LastRequestSlot::clear() {
  std::lock_guard lock(mu_);
  request_.seq = 0;
}

RecordedRequest LastRequestSlot::snapshot() const {
  std::lock_guard lock(mu_);
  return request_;
}

Stats::Stats(size_t workers) {
  for (size_t i = 0; i < workers; ++i) {
    slots_.push_back(std::make_unique<LastRequestSlot>());
  }
}

void Stats::begin(ApiPath path) {
  requests_.fetch_add(1, std::memory_order_relaxed);
  if (path < ApiPath::kCount) {
    byPath_[static_cast<size_t>(path)].fetch_add(1, std::memory_order_relaxed);
  }
  const int64_t now = inflight_.fetch_add(1, std::memory_order_acq_rel) + 1;
  int64_t high = maxInflight_.load(std::memory_order_relaxed);
  while (now > high && !maxInflight_.compare_exchange_weak(high, now)) {
  }
}

void Stats::end(bool cancelled) {
  inflight_.fetch_sub(1, std::memory_order_acq_rel);
  if (cancelled) {
    cancelled_.fetch_add(1, std::memory_order_relaxed);
  } else {
    completed_.fetch_add(1, std::memory_order_relaxed);
  }
}

void Stats::setFailNext(FailMode mode, int64_t count) {
  std::lock_guard lock(failMu_);
  failNextMode_ = mode;
  failNextRemaining_.store(mode == FailMode::kNone ? 0 : count);
}

FailMode Stats::takeFailNext() {
  if (failNextRemaining_.load(std::memory_order_acquire) <= 0) {
    return FailMode::kNone;
  }
  std::lock_guard lock(failMu_);
  if (failNextRemaining_.load() <= 0) {
    return FailMode::kNone;
  }
  failNextRemaining_.fetch_sub(1);
  return failNextMode_;
}

void Stats::reset() {
  setFailNext(FailMode::kNone, 0);
  requests_.store(0);
  cancelled_.store(0);
  completed_.store(0);
  for (auto& counter : byPath_) {
    counter.store(0);
  }
  maxInflight_.store(inflight_.load());
  for (auto& slot : slots_) {
    slot->clear();
  }
}

std::string Stats::toJson() const {
  nlohmann::json out;
  out["requests"] = requests_.load();
  out["inflight"] = inflight_.load();
  out["max_inflight"] = maxInflight_.load();
  out["cancelled"] = cancelled_.load();
  out["completed"] = completed_.load();
  nlohmann::json byPath = nlohmann::json::object();
  for (size_t i = 0; i < byPath_.size(); ++i) {
    byPath[std::string(apiPathName(static_cast<ApiPath>(i)))] = byPath_[i].load();
  }
  out["by_path"] = std::move(byPath);

  RecordedRequest latest;
  for (const auto& slot : slots_) {
    RecordedRequest candidate = slot->snapshot();
    if (candidate.seq > latest.seq) {
      latest = std::move(candidate);
    }
  }
  if (latest.seq == 0) {
    out["last_request"] = nullptr;
  } else {
    nlohmann::json headers = nlohmann::json::object();
    for (size_t i = 0; i < latest.headerCount; ++i) {
      headers[latest.headers[i].first] = latest.headers[i].second;
    }
    out["last_request"] = {{"method", latest.method},
                           {"path", latest.path},
                           {"headers", std::move(headers)},
                           {"body", latest.body}};
  }
  {
    std::lock_guard lock(failMu_);
    out["fail_next"] = {{"mode", failModeName(failNextMode_)},
                        {"remaining", failNextRemaining_.load()}};
  }
  // Replace invalid UTF-8 instead of throwing: a test may send arbitrary bytes.
  return out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace slotgate::mock
