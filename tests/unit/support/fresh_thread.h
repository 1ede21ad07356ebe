// Runs a test body on a thread of its own: per-thread state (spare strings, recycled requests,
// a worker's free lists) starts empty there, whatever other tests of the binary left behind.
#pragma once

#include <thread>

namespace slotgate::testing {

template <typename F>
void onFreshThread(F f) {
  std::thread t(f);
  t.join();
}

}  // namespace slotgate::testing
