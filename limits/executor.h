// The one way to run code on another worker's event loop.
#pragma once

#include <functional>

namespace slotgate::limits {

// A worker's event loop, seen from other threads. post() is thread-safe and
// runs fn later on the loop's own thread (never inline).
class Executor {
 public:
  virtual ~Executor() = default;
  virtual void post(std::function<void()> fn) = 0;
};

}  // namespace slotgate::limits
