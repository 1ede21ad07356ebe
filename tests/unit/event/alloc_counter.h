// Counts operator new calls on this thread (the test binary replaces the global operator
// new; libevent allocates with malloc and is not counted). Under a sanitizer, whose
// allocator owns operator new, nothing is replaced and counting() is false.
#pragma once

#include <cstddef>

namespace slotgate::testing {

bool countingAllocations();
size_t allocationsOnThisThread();

}  // namespace slotgate::testing
