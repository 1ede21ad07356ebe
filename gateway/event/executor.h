// The one way to run code on another thread's event loop, seen from outside that loop.
#pragma once

#include <functional>

namespace slotgate::gateway {

// post() is thread-safe and runs fn later on the loop's own thread (never inline).
// Dispatcher implements it; limits/ waits on it without knowing what a loop is.
class Executor {
 public:
  virtual ~Executor() = default;
  virtual void post(std::function<void()> fn) = 0;
};

}  // namespace slotgate::gateway
