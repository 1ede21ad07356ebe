#include "gateway/downstream/request_recycler.h"

#include <utility>
#include <vector>

namespace slotgate::gateway {
namespace {

struct Spare {
  // A constructor, so that emplace_back builds it in place with one move of the request (clang
  // 14, used by the sanitizer builds, has no parenthesized aggregate init).
  Spare(IncomingRequest&& r, size_t b) : request(std::move(r)), bytes(b) {}
  IncomingRequest request;
  size_t bytes;  // what it holds, counted against kMaxSpareBytes
};

struct Spares {
  std::vector<Spare> list;
  size_t bytes = 0;
};

Spares& spares() {
  thread_local Spares s;
  return s;
}

// Clears `s`, keeping its buffer unless it grew past what is worth keeping; returns what it
// holds then (its capacity: the small-string buffer counts too, an over-count of a few bytes).
size_t clearKeeping(std::string& s) {
  const size_t capacity = s.capacity();
  if (capacity > kMaxKeptCapacity) {
    std::string().swap(s);
    return 0;
  }
  s.clear();
  return capacity;
}

}  // namespace

IncomingRequest takeSpareRequest(Headers& header_store) {
  Spares& pool = spares();
  if (pool.list.empty()) {
    header_store.clear();
    return IncomingRequest{};
  }
  Spare& spare = pool.list.back();
  pool.bytes -= spare.bytes;
  IncomingRequest r = std::move(spare.request);
  pool.list.pop_back();
  header_store.swap(r.headers);
  r.headers.clear();
  return r;
}

void recycleRequest(IncomingRequest&& request) {
  Spares& pool = spares();
  const bool worth_keeping = request.headers.capacity() > 0 || request.body.capacity() > 64;
  if (!worth_keeping || pool.list.size() >= kMaxSpareRequests) {
    request = IncomingRequest{};
    return;
  }
  if (request.headers.size() > kMaxSpareHeaders) {
    request.headers.resize(kMaxSpareHeaders);
  }
  size_t bytes = sizeof(Spare) + request.headers.capacity() * sizeof(Header);
  for (Header& h : request.headers) {
    bytes += clearKeeping(h.name);
    bytes += clearKeeping(h.value);
  }
  request.note = IncomingRequest::DispatcherNote{};
  bytes += clearKeeping(request.method);
  bytes += clearKeeping(request.path);
  bytes += clearKeeping(request.query);
  bytes += clearKeeping(request.body);
  if (pool.bytes + bytes > kMaxSpareBytes) {
    request = IncomingRequest{};
    return;
  }
  pool.bytes += bytes;
  pool.list.emplace_back(std::move(request), bytes);
  // Left empty: the moves emptied its strings and list already, so clearing them costs a store
  // or two, where assigning a fresh request moved five empty members into them one by one.
  request.note = IncomingRequest::DispatcherNote{};
  request.method.clear();
  request.path.clear();
  request.query.clear();
  request.headers.clear();
  request.body.clear();
}

}  // namespace slotgate::gateway
