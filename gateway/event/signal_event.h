// An owning signal handler on a loop (Envoy's SignalEventImpl): from construction until
// destruction, `cb` runs on the loop's thread after each delivery of `signal` (deliveries
// that arrive together may run it once). libevent handles a signal on one base at a time:
// the process's control loop, not the workers.
#pragma once

#include <functional>
#include <memory>

#include "gateway/event/libevent_ptr.h"

namespace slotgate::gateway {

class SignalEvent {
 public:
  SignalEvent(event_base* base, int signal, std::function<void()> cb);
  SignalEvent(const SignalEvent&) = delete;
  SignalEvent& operator=(const SignalEvent&) = delete;

 private:
  static void onSignal(evutil_socket_t, short, void* arg);

  std::function<void()> cb_;
  EventPtr event_;
};
using SignalEventPtr = std::unique_ptr<SignalEvent>;

}  // namespace slotgate::gateway
