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
};

}  // namespace slotgate::limits
