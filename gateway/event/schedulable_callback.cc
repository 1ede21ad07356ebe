#include "gateway/event/schedulable_callback.h"

#include <cstdlib>

namespace slotgate::gateway {

SchedulableCallback::SchedulableCallback(event_base* base, std::function<void()> cb)
    : cb_(std::move(cb)) {
  if (event_assign(&event_, base, -1, 0, &SchedulableCallback::onRun, this) != 0) {
    std::abort();  // no base: a bug, nothing sensible to do on the data path
  }
}

SchedulableCallback::~SchedulableCallback() { event_del(&event_); }

void SchedulableCallback::schedule() {
  if (!armed_) {
    armed_ = true;
    event_active(&event_, EV_TIMEOUT, 0);
  }
}

void SchedulableCallback::cancel() {
  armed_ = false;
  event_del(&event_);
}

bool SchedulableCallback::scheduled() const {
  return event_pending(&event_, EV_TIMEOUT, nullptr) != 0;
}

void SchedulableCallback::onRun(evutil_socket_t, short, void* arg) {
  // Nothing after the call: like a Timer's, the callback may destroy this as its last act.
  auto* self = static_cast<SchedulableCallback*>(arg);
  self->armed_ = false;  // the callback may schedule the next run
  self->cb_();
}

}  // namespace slotgate::gateway
