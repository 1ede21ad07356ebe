#include "gateway/event/timer.h"

#include <cstdlib>

#include "gateway/event/timeval.h"

namespace slotgate::gateway {

Timer::Timer(event_base* base, std::function<void()> cb) : cb_(std::move(cb)) {
  if (evtimer_assign(&event_, base, &Timer::onFire, this) != 0) {
    std::abort();  // no base: a bug, nothing sensible to do on the data path
  }
}

Timer::~Timer() { evtimer_del(&event_); }

void Timer::enable(std::chrono::microseconds after) {
  const timeval tv = toTimeval(after);
  evtimer_add(&event_, &tv);
}

void Timer::disable() { evtimer_del(&event_); }

bool Timer::enabled() const { return evtimer_pending(&event_, nullptr) != 0; }

void Timer::onFire(evutil_socket_t, short, void* arg) {
  // Nothing after the call: the callback may have destroyed this Timer as its last act.
  static_cast<Timer*>(arg)->cb_();
}

}  // namespace slotgate::gateway
