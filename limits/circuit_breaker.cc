#include "limits/circuit_breaker.h"

#include <algorithm>
#include <utility>

namespace slotgate::limits {

using std::chrono::milliseconds;

std::string_view circuitStateName(CircuitState state) {
  switch (state) {
    case CircuitState::kClosed:
      return "closed";
    case CircuitState::kOpen:
      return "open";
    case CircuitState::kHalfOpen:
      return "half_open";
  }
  return "unknown";
}

// ---- BreakerPermit ----

BreakerPermit::BreakerPermit(BreakerPermit&& other) noexcept
    : breaker_(std::exchange(other.breaker_, nullptr)),
      keep_alive_(std::move(other.keep_alive_)),
      epoch_(other.epoch_),
      probe_(other.probe_) {}

BreakerPermit& BreakerPermit::operator=(BreakerPermit&& other) noexcept {
  if (this != &other) {
    neutral();
    breaker_ = std::exchange(other.breaker_, nullptr);
    keep_alive_ = std::move(other.keep_alive_);
    epoch_ = other.epoch_;
    probe_ = other.probe_;
  }
  return *this;
}

BreakerPermit::~BreakerPermit() { neutral(); }

void BreakerPermit::success() {
  if (CircuitBreaker* breaker = std::exchange(breaker_, nullptr)) {
    breaker->onSuccess(epoch_, probe_);
    keep_alive_.reset();
  }
}

void BreakerPermit::failure() {
  if (CircuitBreaker* breaker = std::exchange(breaker_, nullptr)) {
    breaker->onFailure(epoch_, probe_);
    keep_alive_.reset();
  }
}

void BreakerPermit::neutral() {
  if (CircuitBreaker* breaker = std::exchange(breaker_, nullptr)) {
    breaker->onNeutral(epoch_, probe_);
    keep_alive_.reset();
  }
}

// ---- CircuitBreaker ----

std::shared_ptr<CircuitBreaker> CircuitBreaker::create(std::string key_id,
                                                       conf::CircuitBreakerConfig config,
                                                       Clock& clock) {
  return std::make_shared<CircuitBreaker>(std::move(key_id), config, clock);
}

CircuitBreaker::CircuitBreaker(std::string key_id, conf::CircuitBreakerConfig config, Clock& clock)
    : key_id_(std::move(key_id)),
      clock_(clock),
      word_(1),
      config_(config),
      last_open_(config.open_duration) {}

BreakerPermit CircuitBreaker::makePermit(uint64_t epoch, bool probe) {
  // weak_from_this() is empty when the breaker is not owned by a shared_ptr (then the owner
  // guarantees it outlives its permits).
  return BreakerPermit(this, weak_from_this().lock(), epoch, probe);
}

uint32_t CircuitBreaker::probeLimitLocked() const {
  return std::max<uint32_t>(1, config_.half_open_requests);
}

void CircuitBreaker::publishLocked() {
  word_.store((epoch_ << 1) | (closed_ ? 1 : 0), std::memory_order_release);
}

bool CircuitBreaker::admits() const {
  if ((word_.load(std::memory_order_acquire) & 1) != 0) {
    return true;
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (closed_) {
    return true;
  }
  return clock_.now() >= open_until_ && probes_in_flight_ < probeLimitLocked();
}

BreakerPermit CircuitBreaker::tryAdmit() {
  const uint64_t word = word_.load(std::memory_order_acquire);
  if ((word & 1) != 0) {
    return makePermit(word >> 1, /*probe=*/false);
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (closed_) {
    return makePermit(epoch_, /*probe=*/false);
  }
  if (clock_.now() < open_until_ || probes_in_flight_ >= probeLimitLocked()) {
    return {};
  }
  ++probes_in_flight_;
  return makePermit(epoch_, /*probe=*/true);
}

CircuitState CircuitBreaker::state() const {
  if ((word_.load(std::memory_order_acquire) & 1) != 0) {
    return CircuitState::kClosed;
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (closed_) {
    return CircuitState::kClosed;
  }
  return clock_.now() < open_until_ ? CircuitState::kOpen : CircuitState::kHalfOpen;
}

milliseconds CircuitBreaker::retryAfter() const {
  if ((word_.load(std::memory_order_acquire) & 1) != 0) {
    return milliseconds(0);
  }
  std::lock_guard<std::mutex> lock(mu_);
  const SteadyTime now = clock_.now();
  if (closed_ || now >= open_until_) {
    return milliseconds(0);
  }
  // Rounded up so that a caller that waits this long finds the circuit half-open.
  return std::chrono::ceil<milliseconds>(open_until_ - now);
}

milliseconds CircuitBreaker::currentOpenDuration() const {
  std::lock_guard<std::mutex> lock(mu_);
  return last_open_;
}

uint32_t CircuitBreaker::probesInFlight() const {
  std::lock_guard<std::mutex> lock(mu_);
  return probes_in_flight_;
}

void CircuitBreaker::setConfig(conf::CircuitBreakerConfig config) {
  std::lock_guard<std::mutex> lock(mu_);
  config_ = config;
  if (closed_) {
    last_open_ = config_.open_duration;
  } else {
    last_open_ = std::min(last_open_, maxOpenLocked());
  }
}

void CircuitBreaker::forceOpen(SteadyTime until) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!closed_ && until <= open_until_) {
    return;
  }
  const SteadyTime now = clock_.now();
  if (until <= now) {
    return;  // already over: nothing to open
  }
  // A failed probe after this doubles what the other instance chose, within the usual bounds.
  const milliseconds remote = std::chrono::ceil<milliseconds>(until - now);
  openLocked(until, std::clamp(remote, config_.open_duration, maxOpenLocked()));
}

void CircuitBreaker::forceOpenFor(milliseconds remaining) { forceOpen(clock_.now() + remaining); }

void CircuitBreaker::forceClose() {
  std::lock_guard<std::mutex> lock(mu_);
  if (!closed_) {
    closeLocked();
  }
}

void CircuitBreaker::setListener(CircuitListener listener) {
  auto shared = listener ? std::make_shared<const CircuitListener>(std::move(listener)) : nullptr;
  std::lock_guard<std::mutex> lock(mu_);
  listener_ = std::move(shared);
}

void CircuitBreaker::openLocked(SteadyTime until, milliseconds duration) {
  closed_ = false;
  ++epoch_;
  open_until_ = until;
  last_open_ = duration;
  probes_in_flight_ = 0;
  failures_.store(0, std::memory_order_relaxed);
  publishLocked();
}

void CircuitBreaker::closeLocked() {
  closed_ = true;
  ++epoch_;
  last_open_ = config_.open_duration;  // the doubling starts over
  probes_in_flight_ = 0;
  failures_.store(0, std::memory_order_relaxed);
  publishLocked();
}

void CircuitBreaker::onSuccess(uint64_t epoch, bool probe) {
  if (!probe) {
    // Hot path: no lock. Only the epoch the permit came from may be reset, and only when there
    // is something to reset (no needless writes to a shared cache line).
    if (word_.load(std::memory_order_acquire) == ((epoch << 1) | 1) &&
        failures_.load(std::memory_order_relaxed) != 0) {
      failures_.store(0, std::memory_order_relaxed);
    }
    return;
  }
  std::shared_ptr<const CircuitListener> listener;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (closed_ || epoch != epoch_) {
      return;
    }
    closeLocked();
    listener = listener_;
  }
  if (listener) {
    (*listener)(*this, CircuitTransition{false, milliseconds(0)});
  }
}

void CircuitBreaker::onFailure(uint64_t epoch, bool probe) {
  std::shared_ptr<const CircuitListener> listener;
  milliseconds opened_for{0};
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (epoch != epoch_) {
      return;  // stale: the circuit changed state since this permit was issued
    }
    const SteadyTime now = clock_.now();
    if (probe) {
      if (closed_) {
        return;
      }
      opened_for = std::min(last_open_ * 2, maxOpenLocked());
    } else {
      if (!closed_) {
        return;
      }
      const uint32_t failures = failures_.fetch_add(1, std::memory_order_relaxed) + 1;
      if (failures < std::max<uint32_t>(1, config_.failure_threshold)) {
        return;
      }
      opened_for = config_.open_duration;
    }
    openLocked(now + opened_for, opened_for);
    listener = listener_;
  }
  if (listener) {
    (*listener)(*this, CircuitTransition{true, opened_for});
  }
}

void CircuitBreaker::onNeutral(uint64_t epoch, bool probe) {
  if (!probe) {
    return;  // nothing to give back
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (!closed_ && epoch == epoch_ && probes_in_flight_ > 0) {
    --probes_in_flight_;
  }
}

}  // namespace slotgate::limits
