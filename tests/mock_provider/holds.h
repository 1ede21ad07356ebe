// Requests kept waiting by `x-mock-hold: NAME` until the test releases them (POST
// /mock/release), so a test decides when a request that holds a slot finishes instead of
// guessing with a delay. Counts per name tell the test how many requests are held right now.
//
// Thread-safety: every method may be called from any worker thread (one mutex). A held
// request lives on the worker that accepted it; release() hands each released id back to that
// worker (Worker::postRelease), which resumes the request on its own thread, or ignores the id
// when the request's client went away in the meantime.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <unordered_map>

namespace slotgate::mock {

class Worker;

struct HoldCounts {
  uint64_t held = 0;      // waiting now
  uint64_t arrived = 0;   // ever held under the name (since start or reset)
  uint64_t released = 0;  // handed back by release()
};

class Holds {
 public:
  // Registers a request held on `worker` under `name`; returns its id (never 0).
  [[nodiscard]] uint64_t hold(const std::string& name, Worker& worker);
  // A held request ended without being released (its client went away). Unknown ids (already
  // released) are ignored.
  void forget(const std::string& name, uint64_t id);
  // Releases up to `count` of the requests held under `name`, oldest first; returns how many.
  size_t release(const std::string& name, size_t count);
  // Releases every held request and clears all counts (POST /mock/reset).
  void reset();
  [[nodiscard]] HoldCounts counts(const std::string& name) const;

 private:
  struct Held {
    uint64_t id = 0;
    Worker* worker = nullptr;
  };
  struct Group {
    std::deque<Held> waiting;  // arrival order
    uint64_t arrived = 0;
    uint64_t released = 0;
  };

  // Hands `taken` back to their workers; called without the lock.
  static void resume(const std::deque<Held>& taken);

  mutable std::mutex mu_;
  std::unordered_map<std::string, Group> groups_;
  uint64_t nextId_ = 0;
};

}  // namespace slotgate::mock
