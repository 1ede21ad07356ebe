// Detects the HTTP/2 "rapid reset" attack (CVE-2023-44487): a client opens
// streams and cancels them at once, so each costs the server work (auth,
// admission, an upstream request) but never counts against
// max_concurrent_streams.
//
// Rule: within a window (10 s), once at least `min_streams` (100) streams were
// opened, more than half of them reset by the client before their response
// finished means abuse; the connection gets GOAWAY(ENHANCE_YOUR_CALM). A real
// client cancelling a generation now and then stays far below. nghttp2's own
// RST_STREAM token bucket (nghttp2_option_set_stream_reset_rate_limit) is the
// second line.
//
// Fixed windows: counts restart when a window has passed. Not thread-safe
// (one per connection, loop thread).
#pragma once

#include <chrono>
#include <cstddef>

namespace slotgate::gateway {

class Http2ResetGuard {
 public:
  using Clock = std::chrono::steady_clock;

  explicit Http2ResetGuard(size_t min_streams = 100,
                           std::chrono::milliseconds window = std::chrono::seconds(10))
      : min_streams_(min_streams), window_(window) {}

  void onStreamOpened(Clock::time_point now);
  // A client RST_STREAM on a stream whose response had not finished.
  // Returns true when the connection must be closed.
  [[nodiscard]] bool onClientReset(Clock::time_point now);

  size_t opened() const { return opened_; }
  size_t resets() const { return resets_; }

 private:
  void roll(Clock::time_point now);

  size_t min_streams_;
  std::chrono::milliseconds window_;
  Clock::time_point window_start_{};
  size_t opened_ = 0;
  size_t resets_ = 0;
};

}  // namespace slotgate::gateway
