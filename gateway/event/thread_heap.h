// A heap for C libraries, kept per thread (issue 12: allocations per request): the allocator
// libevent (event_set_mem_functions) and nghttp2 (nghttp2_mem) are given. Both free and remake
// the same blocks on every request: an evbuffer frees its chain the moment it drains empty and
// makes a new one on the next read or write, an event made per upstream call goes with it, and
// nghttp2 makes and frees its stream, frame and header records per stream. Every block freed
// here goes to a free list of its size class on the freeing thread (haproxy's pools, as
// thread_pooled.h does for our own objects) and the next request for that class on that thread
// takes it back instead of calling malloc.
//
// Every block is an ordinary malloc block, never a piece of a larger one: the size class is
// read back from malloc_usable_size() on free, so no header is added and a block costs exactly
// the memory malloc would have given it (the idle-streams figure depends on that). Hence the
// lists and malloc/free mix freely: a block libevent made before the functions were installed
// can be freed through them, and memory libevent hands out (evbuffer_readln's line) can still
// be freed with free().
//
// Bounded: blocks up to kThreadHeapBlockBytes (rounded up to malloc's chunk) are kept, at most
// kThreadHeapKeptBytes of them per thread (the rest go back to malloc), and a thread's kept
// blocks go when it ends. A block made on one thread and freed on another joins the freeing
// thread's lists; no locks.
//
// Under AddressSanitizer a kept block is poisoned, so a use after free still reports.
#pragma once

#include <cstddef>

namespace slotgate::gateway {

inline constexpr size_t kThreadHeapBlockBytes = 16 << 10;  // an 8 KiB read chain fits
inline constexpr size_t kThreadHeapKeptBytes = 1 << 20;    // per thread

// Installs the per-thread lists as libevent's allocator. Call first thing in main(), before
// any other libevent call (libevent's own rule; the lists would cope, see above).
void routeLibeventMemory();

namespace thread_heap {

// malloc, realloc and free on this thread's lists (routeLibeventMemory installs them; nghttp2
// gets them through its nghttp2_mem).
void* allocate(size_t size);
void* reallocate(void* block, size_t size);
void release(void* block);

// This thread's lists: blocks and bytes kept, and blocks taken from malloc because the list of
// their class was empty (or they were too large to be kept).
size_t keptBlocksOnThisThread();
size_t keptBytesOnThisThread();
size_t heapAllocationsOnThisThread();

}  // namespace thread_heap
}  // namespace slotgate::gateway
