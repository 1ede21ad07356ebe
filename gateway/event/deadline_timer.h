// A one-shot timer for a deadline that moves often: a connection's idle, header and body
// timeouts, set and cancelled several times per request. A Timer's enable() and disable() are
// an event_add and an event_del each (a min-heap update: ~250 instructions apiece, five or six
// per proxied request). This one keeps the deadline itself and touches libevent only when a
// deadline comes before the pending event's: a later deadline, or a cancel, leaves the event
// where it is; when it fires before the deadline it is added again for the rest (haproxy's
// task expiry works the same way). So the callback runs when the deadline passes, as a
// Timer's would, never earlier, and cancelled means it does not run.
//
// The deadline is read on CLOCK_MONOTONIC_COARSE (the clock libevent's own timers use on
// Linux, a few ns to read): a wall-clock step moves nothing. Loop thread only. The callback
// may destroy its own DeadlineTimer as its very last act (like Timer's).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>

#include "gateway/event/libevent_ptr.h"

namespace slotgate::gateway {

class DeadlineTimer {
 public:
  DeadlineTimer(event_base* base, std::function<void()> cb);
  DeadlineTimer(const DeadlineTimer&) = delete;
  DeadlineTimer& operator=(const DeadlineTimer&) = delete;

  // The callback runs once, `after` from now; a deadline already set is replaced.
  void arm(std::chrono::microseconds after);
  // The callback does not run (until armed again). The event may stay pending: it costs a
  // wake-up when it fires, not a min-heap update now.
  void cancel() { deadline_us_ = kNone; }
  [[nodiscard]] bool armed() const { return deadline_us_ != kNone; }

 private:
  static constexpr int64_t kNone = INT64_MIN;
  static int64_t nowUs();
  static void onFire(evutil_socket_t, short, void* arg);
  void addEvent(int64_t after_us);

  std::function<void()> cb_;
  EventPtr event_;
  int64_t deadline_us_ = kNone;  // when the callback is due
  int64_t event_at_us_ = kNone;  // when the pending event fires; kNone: not pending
};

}  // namespace slotgate::gateway
