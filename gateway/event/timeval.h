// The one conversion from a std::chrono duration to libevent's timeval.
#pragma once

#include <sys/time.h>

#include <algorithm>
#include <chrono>
#include <cstdint>

namespace slotgate::gateway {

// Negative durations become zero (fire on the next loop turn), never a negative timeval.
template <class Rep, class Period>
constexpr timeval toTimeval(std::chrono::duration<Rep, Period> d) {
  const auto us =
      std::max<int64_t>(0, std::chrono::duration_cast<std::chrono::microseconds>(d).count());
  return timeval{static_cast<time_t>(us / 1000000), static_cast<suseconds_t>(us % 1000000)};
}

}  // namespace slotgate::gateway
