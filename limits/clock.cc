#include "limits/clock.h"

#include <time.h>

namespace slotgate::limits {

namespace {

class SteadyClock final : public Clock {
 public:
  SteadyTime now() const override { return std::chrono::steady_clock::now(); }
};

class CoarseClock final : public Clock {
 public:
  SteadyTime now() const override {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return SteadyTime(std::chrono::duration_cast<SteadyTime::duration>(
        std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec)));
  }
};

}  // namespace

Clock& Clock::real() {
  // A function-local static: built on first use, thread-safe, never destroyed before users
  // that are themselves statics created later.
  static SteadyClock clock;
  return clock;
}

Clock& Clock::coarse() {
  static CoarseClock clock;
  return clock;
}

}  // namespace slotgate::limits
