// Spare string buffers, per thread (issue 12: allocations per request). A string built once per
// request (the upstream request's head and body, the kept response body) gives its buffer back
// here when its job is done, and the next one on the thread is built in that buffer instead of
// a new one: a steady stream of requests allocates none of them again. The buffers grow to what
// the thread's requests need and then stay that size.
//
// Bounded: at most kMaxSpareStrings buffers wait per thread, kMaxSpareStringBytes of capacity in
// all; a buffer over kMaxSpareStringCapacity (a big body) is freed rather than kept, and a
// thread's spares go when it ends. A string given back on another thread joins that thread's
// spares; no locks.
#pragma once

#include <cstddef>
#include <string>

namespace slotgate::gateway {

inline constexpr size_t kMaxSpareStrings = 128;
inline constexpr size_t kMaxSpareStringCapacity = 64 << 10;
inline constexpr size_t kMaxSpareStringBytes = 1 << 20;

// An empty string, holding a spare buffer when one waits on this thread.
std::string takeSpareString();
// Keeps `s`'s buffer for the next takeSpareString() on this thread (cleared), if there is room
// and it holds more than the string's inline bytes; `s` is left empty either way.
void giveSpareString(std::string&& s);
// Buffers waiting on this thread (for tests).
size_t spareStringsOnThisThread();

}  // namespace slotgate::gateway
