// An owning "run this on the next loop turn" event (Envoy's SchedulableCallback): schedule()
// from anywhere on the loop's thread, the callback runs once after the current callback
// returned; scheduling again before it ran is one run. Destroying it cancels. For work that
// must not run inside the caller's stack (a flush at the end of the turn, a kick after a
// constructor), where a Timer would go through the timer heap for nothing.
#pragma once

#include <event2/event_struct.h>

#include <functional>
#include <memory>

#include "gateway/event/libevent_ptr.h"

namespace slotgate::gateway {

class SchedulableCallback {
 public:
  SchedulableCallback(event_base* base, std::function<void()> cb);
  ~SchedulableCallback();
  SchedulableCallback(const SchedulableCallback&) = delete;
  SchedulableCallback& operator=(const SchedulableCallback&) = delete;

  void schedule();
  void cancel();
  bool scheduled() const;

 private:
  static void onRun(evutil_socket_t, short, void* arg);

  std::function<void()> cb_;
  event event_;  // held by value, as Timer's is (timer.h says why)
  // Scheduled and not yet run or cancelled: scheduling again is then a no-op without a call
  // into libevent (event_active takes the base's lock even for an event already active; an
  // HTTP/2 response schedules its connection's flush three times).
  bool armed_ = false;
};
using SchedulableCallbackPtr = std::unique_ptr<SchedulableCallback>;

}  // namespace slotgate::gateway
