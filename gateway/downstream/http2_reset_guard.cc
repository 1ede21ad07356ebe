#include "gateway/downstream/http2_reset_guard.h"

namespace slotgate::gateway {

void Http2ResetGuard::roll(Clock::time_point now) {
  if (opened_ == 0 && resets_ == 0) {
    window_start_ = now;
    return;
  }
  if (now - window_start_ >= window_) {
    window_start_ = now;
    opened_ = 0;
    resets_ = 0;
  }
}

void Http2ResetGuard::onStreamOpened(Clock::time_point now) {
  roll(now);
  ++opened_;
}

bool Http2ResetGuard::onClientReset(Clock::time_point now) {
  roll(now);
  ++resets_;
  return opened_ >= min_streams_ && resets_ * 2 > opened_;
}

}  // namespace slotgate::gateway
