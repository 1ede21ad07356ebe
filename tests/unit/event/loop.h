// A bare event_base on the test thread, for the event toolkit's own tests.
#pragma once

#include <event2/event.h>

#include "gateway/event/libevent_ptr.h"

namespace slotgate::testing {

struct TestLoop {
  gateway::EventBasePtr base{event_base_new()};
  // Runs the loop until at least one event fired (blocking: a timeout is waited for).
  void runOnce() { event_base_loop(base.get(), EVLOOP_ONCE); }
  // Runs what is ready now, without waiting.
  void runReady() { event_base_loop(base.get(), EVLOOP_NONBLOCK); }
};

}  // namespace slotgate::testing
