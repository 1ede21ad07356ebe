#include "gateway/event/signal_event.h"

#include <cstdlib>

namespace slotgate::gateway {

SignalEvent::SignalEvent(event_base* base, int signal, std::function<void()> cb)
    : cb_(std::move(cb)), event_(evsignal_new(base, signal, &SignalEvent::onSignal, this)) {
  if (!event_ || evsignal_add(event_.get(), nullptr) != 0) {
    std::abort();  // startup only: a gateway that cannot see SIGTERM must not run
  }
}

void SignalEvent::onSignal(evutil_socket_t, short, void* arg) {
  static_cast<SignalEvent*>(arg)->cb_();
}

}  // namespace slotgate::gateway
