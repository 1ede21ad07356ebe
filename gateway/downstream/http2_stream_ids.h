// Which identifier a client's HEADERS frame may use (RFC 9113 5.1.1): a new
// stream's identifier must be greater than every one the client opened before,
// and a HEADERS frame on a lower identifier is a connection error
// (PROTOCOL_ERROR) unless it belongs to a stream that is still open (trailers).
//
// nghttp2 does not enforce this: it cannot tell a stream that never existed
// from one it has forgotten, so it ignores such a HEADERS frame instead. This
// class tells them apart with what the connection knows: the highest client
// identifier seen, the streams still open (the caller's), and the last few
// streams the gateway reset itself, on which the client may still have frames
// in flight that must be ignored (RFC 9113 5.1, "closed").
//
// One per connection, used on its loop thread only.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace slotgate::gateway {

class Http2StreamIds {
 public:
  // A HEADERS frame's header arrived on `stream_id`; `open` says whether a
  // stream with that identifier is still open. False when the frame must be
  // answered with a connection error.
  [[nodiscard]] bool onHeadersFrame(int32_t stream_id, bool open);

  // The stream opened by an h2c upgrade (identifier 1, no HEADERS frame).
  void onUpgradeStream(int32_t stream_id);

  // The gateway sent RST_STREAM on `stream_id`.
  void onResetSent(int32_t stream_id);

  int32_t highest() const { return highest_; }

 private:
  static constexpr size_t kRecentResets = 64;

  bool resetRecently(int32_t stream_id) const;

  int32_t highest_ = 0;
  std::array<int32_t, kRecentResets> recent_resets_{};
  size_t next_reset_ = 0;
};

}  // namespace slotgate::gateway
