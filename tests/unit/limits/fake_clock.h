// A limits::Clock the test moves by hand, for the limits unit tests (breakers, slot pools).
#pragma once

#include <chrono>

#include "limits/clock.h"

namespace slotgate::limits::testing {

class FakeClock final : public Clock {
 public:
  SteadyTime now() const override { return now_; }
  void advance(std::chrono::nanoseconds d) { now_ += d; }

 private:
  SteadyTime now_{std::chrono::seconds(1000)};
};

}  // namespace slotgate::limits::testing
