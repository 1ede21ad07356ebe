#include "gateway/event/spare_strings.h"

#include <utility>
#include <vector>

namespace slotgate::gateway {
namespace {

// Trivially destructible, so still readable while the thread's other thread_local objects are
// destroyed (one of them may give a string back after the spares are gone).
thread_local bool spares_ended = false;

struct Spares {
  std::vector<std::string> strings;
  size_t bytes = 0;  // capacity of the kept strings, in all
  Spares() { strings.reserve(kMaxSpareStrings); }
  Spares(const Spares&) = delete;
  Spares& operator=(const Spares&) = delete;
  ~Spares() { spares_ended = true; }
};

Spares& spares() {
  thread_local Spares s;
  return s;
}

}  // namespace

std::string takeSpareString() {
  if (spares_ended) {
    return {};
  }
  Spares& s = spares();
  if (s.strings.empty()) {
    return {};
  }
  std::string out = std::move(s.strings.back());
  s.strings.pop_back();
  s.bytes -= out.capacity();
  return out;
}

void giveSpareString(std::string&& str) {
  std::string kept = std::move(str);
  str.clear();  // a moved-from string is valid but unspecified: empty from here on
  const size_t capacity = kept.capacity();
  if (spares_ended || capacity <= std::string().capacity() || capacity > kMaxSpareStringCapacity) {
    return;
  }
  Spares& s = spares();
  if (s.strings.size() >= kMaxSpareStrings || s.bytes + capacity > kMaxSpareStringBytes) {
    return;
  }
  kept.clear();
  s.bytes += capacity;
  s.strings.push_back(std::move(kept));
}

size_t spareStringsOnThisThread() { return spares_ended ? 0 : spares().strings.size(); }

}  // namespace slotgate::gateway
