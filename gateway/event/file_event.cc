#include "gateway/event/file_event.h"

#include <cstdlib>

#include "gateway/event/timeval.h"

namespace slotgate::gateway {

FileEvent::FileEvent(event_base* base, evutil_socket_t fd, uint32_t events, Callback cb)
    : cb_(std::move(cb)),
      event_(event_new(base, fd, static_cast<short>(events & (kRead | kWrite)), &FileEvent::onReady,
                       this)) {
  if (!event_) {
    std::abort();  // out of memory; nothing sensible to do on the data path
  }
}

void FileEvent::enable() { event_add(event_.get(), nullptr); }

void FileEvent::enable(std::chrono::microseconds timeout) {
  const timeval tv = toTimeval(timeout);
  event_add(event_.get(), &tv);
}

void FileEvent::disable() { event_del(event_.get()); }

bool FileEvent::enabled() const {
  return event_pending(event_.get(), EV_READ | EV_WRITE | EV_TIMEOUT, nullptr) != 0;
}

void FileEvent::onReady(evutil_socket_t, short what, void* arg) {
  // Nothing after the call: the callback may have destroyed this FileEvent as its last act.
  static_cast<FileEvent*>(arg)->cb_(static_cast<uint32_t>(what) & (kRead | kWrite | kTimeout));
}

}  // namespace slotgate::gateway
