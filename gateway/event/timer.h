// An owning one-shot timer on a loop (Envoy's TimerImpl): the callback runs on the loop's
// thread when the timer fires; destroying the Timer cancels it. One type instead of an
// event_new, a static C trampoline and a timeval per use. A periodic timer re-arms itself
// from its callback. The callback may destroy its own Timer only as its very last act (like
// `delete this`: nothing of the Timer or of the callback's captures is touched afterwards);
// an owner that goes away earlier in it uses Dispatcher::deferredDelete.
#pragma once

#include <event2/event_struct.h>

#include <chrono>
#include <functional>
#include <memory>

#include "gateway/event/libevent_ptr.h"

namespace slotgate::gateway {

class Timer {
 public:
  Timer(event_base* base, std::function<void()> cb);
  ~Timer();
  Timer(const Timer&) = delete;
  Timer& operator=(const Timer&) = delete;

  // (Re)arms the timer: it fires once, `after` from now. A pending arm is replaced.
  void enable(std::chrono::microseconds after);
  void disable();
  bool enabled() const;

 private:
  static void onFire(evutil_socket_t, short, void* arg);

  std::function<void()> cb_;
  // Held by value (struct event's layout is libevent's ABI, fixed for the libevent slotgate is
  // built against, as plain_socket_read.cc already relies on): a Timer made per upstream call
  // costs no event_new/event_free.
  event event_;
};
using TimerPtr = std::unique_ptr<Timer>;

}  // namespace slotgate::gateway
