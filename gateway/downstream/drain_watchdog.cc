#include "gateway/downstream/drain_watchdog.h"

namespace slotgate::gateway {

DrainWatchdog::DrainWatchdog(event_base* base, evbuffer* output, std::chrono::milliseconds window,
                             StallFn on_stall, void* arg)
    : output_(output),
      timer_(base, [this] { onWindowEnd(); }),
      window_(window),
      on_stall_(on_stall),
      arg_(arg) {
  callback_ = evbuffer_add_cb(output_, &DrainWatchdog::onBufferChanged, this);
  if (evbuffer_get_length(output_) > 0) {
    startWindow(evbuffer_get_length(output_));
  }
}

DrainWatchdog::~DrainWatchdog() { stop(); }

void DrainWatchdog::stop() {
  if (callback_ != nullptr) {
    evbuffer_remove_cb_entry(output_, callback_);
    callback_ = nullptr;
  }
  timer_.disable();
  armed_ = true;  // nothing starts a window any more
}

void DrainWatchdog::onBufferChanged(evbuffer*, const evbuffer_cb_info* info, void* arg) {
  auto* self = static_cast<DrainWatchdog*>(arg);
  self->drained_ += info->n_deleted;
  if (!self->armed_) {
    const size_t waiting = info->orig_size + info->n_added - info->n_deleted;
    if (waiting > 0) {
      self->startWindow(waiting);
    }
  }
}

void DrainWatchdog::startWindow(size_t waiting) {
  armed_ = true;
  drained_at_start_ = drained_;
  waiting_at_start_ = waiting;
  timer_.enable(window_);
}

void DrainWatchdog::onWindowEnd() {
  const size_t waiting = evbuffer_get_length(output_);
  if (waiting == 0) {
    armed_ = false;  // the next byte that waits starts a new window
    return;
  }
  if (tooSlow(drained_ - drained_at_start_, waiting_at_start_)) {
    on_stall_(arg_);  // may delete this: nothing after it
    return;
  }
  startWindow(waiting);
}

}  // namespace slotgate::gateway
