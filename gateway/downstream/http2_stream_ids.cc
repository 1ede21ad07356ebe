#include "gateway/downstream/http2_stream_ids.h"

#include <algorithm>

namespace slotgate::gateway {

bool Http2StreamIds::onHeadersFrame(int32_t stream_id, bool open) {
  if (stream_id > highest_) {
    // A new stream (even identifiers and 0 are nghttp2's to refuse).
    if ((stream_id & 1) != 0) {
      highest_ = stream_id;
    }
    return true;
  }
  // An open stream's trailers, or frames in flight on a stream we reset.
  return open || (stream_id & 1) == 0 || resetRecently(stream_id);
}

void Http2StreamIds::onUpgradeStream(int32_t stream_id) {
  highest_ = std::max(highest_, stream_id);
}

void Http2StreamIds::onResetSent(int32_t stream_id) {
  recent_resets_[next_reset_ % kRecentResets] = stream_id;
  ++next_reset_;
}

bool Http2StreamIds::resetRecently(int32_t stream_id) const {
  const size_t n = std::min(next_reset_, kRecentResets);
  return std::find(recent_resets_.begin(), recent_resets_.begin() + static_cast<ptrdiff_t>(n),
                   stream_id) != recent_resets_.begin() + static_cast<ptrdiff_t>(n);
}

}  // namespace slotgate::gateway
