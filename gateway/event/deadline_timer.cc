#include "gateway/event/deadline_timer.h"

#include <time.h>

#include <cstdlib>

#include "gateway/event/timeval.h"

namespace slotgate::gateway {

DeadlineTimer::DeadlineTimer(event_base* base, std::function<void()> cb)
    : cb_(std::move(cb)), event_(evtimer_new(base, &DeadlineTimer::onFire, this)) {
  if (!event_) {
    std::abort();  // out of memory; nothing sensible to do on the data path
  }
}

int64_t DeadlineTimer::nowUs() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000 + ts.tv_nsec / 1'000;
}

void DeadlineTimer::arm(std::chrono::microseconds after) {
  const int64_t now = nowUs();
  const int64_t wait = after.count() > 0 ? after.count() : 0;
  deadline_us_ = now + wait;
  if (event_at_us_ != kNone && event_at_us_ <= deadline_us_) {
    return;  // fires first; onFire waits out the rest
  }
  addEvent(wait);
}

void DeadlineTimer::addEvent(int64_t after_us) {
  const timeval tv = toTimeval(std::chrono::microseconds(after_us));
  evtimer_add(event_.get(), &tv);
  event_at_us_ = deadline_us_;
}

void DeadlineTimer::onFire(evutil_socket_t, short, void* arg) {
  auto* self = static_cast<DeadlineTimer*>(arg);
  self->event_at_us_ = kNone;
  if (self->deadline_us_ == kNone) {
    return;  // cancelled after the event was added
  }
  if (const int64_t rest = self->deadline_us_ - nowUs(); rest > 0) {
    self->addEvent(rest);  // the deadline moved on since
    return;
  }
  self->deadline_us_ = kNone;
  // Nothing after the call: the callback may have destroyed this timer as its last act.
  self->cb_();
}

}  // namespace slotgate::gateway
