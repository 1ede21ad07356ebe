// The slow-reader rule for a client connection's output buffer: deadlines on
// progress, not on bytes. While response bytes wait in the buffer (the kernel
// would not take them), every `window` (server.idle_timeout) the client must
// take at least kMinProgressBytes, or everything that waited when the window
// began if that was less. A client that reads one byte a minute, or nothing,
// fails this within two windows and is cut (its slots are freed with it). A
// libevent write timeout alone restarts on every byte written, so a 1-byte
// trickle could hold a connection, its buffers and both slots forever.
//
// The window starts when output first waits, not on every write: bytes that
// the next loop turn flushes cost only the buffer callback (a counter).
//
// Loop-thread only. stop() (or destruction) must come before the evbuffer it
// watches is freed.
#pragma once

#include <event2/buffer.h>
#include <event2/event.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>

#include "gateway/event/timer.h"

namespace slotgate::gateway {

class DrainWatchdog {
 public:
  // A window passes with less taken than this (and than what waited) = too slow.
  static constexpr size_t kMinProgressBytes = 64 << 10;

  using StallFn = void (*)(void* arg);

  // `on_stall` runs from the window's timer, at most once; it may destroy the watchdog.
  DrainWatchdog(event_base* base, evbuffer* output, std::chrono::milliseconds window,
                StallFn on_stall, void* arg);
  ~DrainWatchdog();
  DrainWatchdog(const DrainWatchdog&) = delete;
  DrainWatchdog& operator=(const DrainWatchdog&) = delete;

  // Unhooks from the buffer and stops the window; safe inside on_stall.
  void stop();

  // Bytes the client took since the watchdog was created (tests, soak figures).
  uint64_t drained() const { return drained_; }

  // The rule itself: `taken` bytes left during a window that began with `waiting_at_start`
  // waiting. Shared with HTTP/2 streams, whose bytes wait on flow control.
  [[nodiscard]] static bool tooSlow(uint64_t taken, uint64_t waiting_at_start) {
    return waiting_at_start > 0 && taken < std::min<uint64_t>(kMinProgressBytes, waiting_at_start);
  }

 private:
  static void onBufferChanged(evbuffer*, const evbuffer_cb_info* info, void* arg);
  void onWindowEnd();
  void startWindow(size_t waiting);

  evbuffer* output_;
  evbuffer_cb_entry* callback_ = nullptr;
  Timer timer_;
  std::chrono::milliseconds window_;
  StallFn on_stall_;
  void* arg_;
  uint64_t drained_ = 0;
  uint64_t drained_at_start_ = 0;
  size_t waiting_at_start_ = 0;
  bool armed_ = false;
};

}  // namespace slotgate::gateway
