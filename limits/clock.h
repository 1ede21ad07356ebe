// Monotonic time, swappable in tests.
#pragma once

#include <chrono>

namespace slotgate::limits {

using SteadyTime = std::chrono::steady_clock::time_point;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual SteadyTime now() const = 0;
  static Clock& real();  // std::chrono::steady_clock
  // CLOCK_MONOTONIC_COARSE: the same time base as real() but only as fine as the kernel tick
  // (1-4 ms), and about 4x cheaper to read. Enough for durations measured against second-scale
  // histogram buckets (slot hold times). Do not subtract its time points from real()'s.
  static Clock& coarse();
};

}  // namespace slotgate::limits
