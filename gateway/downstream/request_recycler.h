// Spare requests, per thread: a finished request (IncomingRequestPtr) goes back here with its
// strings and header entries cleared, capacity kept, and the next request read on the thread is
// built in it, so a steady stream of similar requests allocates none of them again (issue 12:
// allocations per request). Requests are handed on by pointer: nothing is moved member by member
// from the codec to the handler or in and out of the spares.
//
// Bounded by count and by bytes: at most kMaxSpareRequests requests holding at most
// kMaxSpareBytes of heap between them wait per thread (enough for every stream of a few
// HTTP/2 connections at 32 streams each to find one), at most kMaxSpareHeaders header entries
// per request, and a string that grew past kMaxKeptCapacity (a large body) is freed rather
// than kept. Loop-thread use only (a thread's spares are its own; a request given back on
// another thread simply joins that thread's spares; one given back while its thread exits is
// freed).
#pragma once

#include <cstddef>

#include "gateway/downstream/http_message.h"

namespace slotgate::gateway {

inline constexpr size_t kMaxSpareRequests = 256;
inline constexpr size_t kMaxSpareBytes = 1 << 20;  // heap held by a thread's spares, in all
inline constexpr size_t kMaxSpareHeaders = 128;    // entries kept per spare request
inline constexpr size_t kMaxKeptCapacity = 64 << 10;

// An empty request (every field empty, the note default), never null. Its header list stays
// empty; the entries of a spare one (each cleared, its buffers kept) go to `header_store`, for
// the codec to swap into the request when it reads the head and assign the fields in place.
IncomingRequestPtr takeSpareRequest(Headers& header_store);

}  // namespace slotgate::gateway
