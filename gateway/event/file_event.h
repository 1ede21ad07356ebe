// An owning readiness event on a descriptor (Envoy's FileEventImpl, here one-shot): once
// enabled, the callback runs on the loop's thread when the descriptor is ready for what it
// watches or when the timeout given to enable() passed, whichever comes first, and the event
// is then disabled until enable() again. One type instead of an event_new, a static C
// trampoline and a timeval per use. Destroying it cancels; it never closes the descriptor.
// The callback may destroy its own FileEvent only as its very last act, as with Timer.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>

#include "gateway/event/libevent_ptr.h"

namespace slotgate::gateway {

class FileEvent {
 public:
  // What to watch, and what the callback is told (a bit set): ready to read or to write,
  // or the timeout passed first.
  static constexpr uint32_t kRead = EV_READ;
  static constexpr uint32_t kWrite = EV_WRITE;
  static constexpr uint32_t kTimeout = EV_TIMEOUT;
  using Callback = std::function<void(uint32_t ready)>;

  // `events`: kRead, kWrite or both.
  FileEvent(event_base* base, evutil_socket_t fd, uint32_t events, Callback cb);
  FileEvent(const FileEvent&) = delete;
  FileEvent& operator=(const FileEvent&) = delete;

  // (Re)arms without a timeout. A pending arm is replaced.
  void enable();
  // (Re)arms: the callback runs when the descriptor is ready, or with kTimeout `timeout`
  // from now.
  void enable(std::chrono::microseconds timeout);
  void disable();
  bool enabled() const;

 private:
  static void onReady(evutil_socket_t, short what, void* arg);

  Callback cb_;
  EventPtr event_;
};
using FileEventPtr = std::unique_ptr<FileEvent>;

}  // namespace slotgate::gateway
