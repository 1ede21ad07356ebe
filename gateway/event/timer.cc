#include "gateway/event/timer.h"

#include <cstdlib>

#include "gateway/event/timeval.h"

namespace slotgate::gateway {

Timer::Timer(event_base* base, std::function<void()> cb)
    : cb_(std::move(cb)), event_(evtimer_new(base, &Timer::onFire, this)) {
  if (!event_) {
    std::abort();  // out of memory; nothing sensible to do on the data path
  }
}

void Timer::enable(std::chrono::microseconds after) {
  const timeval tv = toTimeval(after);
  evtimer_add(event_.get(), &tv);
}

void Timer::disable() { evtimer_del(event_.get()); }

bool Timer::enabled() const { return evtimer_pending(event_.get(), nullptr) != 0; }

void Timer::onFire(evutil_socket_t, short, void* arg) {
  // Nothing after the call: the callback may have destroyed this Timer as its last act.
  static_cast<Timer*>(arg)->cb_();
}

}  // namespace slotgate::gateway
