// SLOTGATE_POISON / SLOTGATE_UNPOISON(pointer, bytes): the free lists of thread_heap.cc and
// thread_pooled.cc hand out blocks malloc never sees again, so under AddressSanitizer they mark
// a parked block unaddressable themselves (a use after it was given back is then reported as
// with malloc's own blocks). Without ASan both are nothing.
#pragma once

#if defined(__SANITIZE_ADDRESS__)
#define SLOTGATE_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SLOTGATE_ASAN 1
#endif
#endif

#ifdef SLOTGATE_ASAN
#include <sanitizer/asan_interface.h>
#define SLOTGATE_POISON(p, n) ASAN_POISON_MEMORY_REGION(p, n)
#define SLOTGATE_UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION(p, n)
#else
#define SLOTGATE_POISON(p, n) ((void)(p), (void)(n))
#define SLOTGATE_UNPOISON(p, n) ((void)(p), (void)(n))
#endif
