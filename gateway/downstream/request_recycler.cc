#include "gateway/downstream/request_recycler.h"

#include <utility>
#include <vector>

namespace slotgate::gateway {
namespace {

struct Spare {
  IncomingRequest* request;  // owned
  size_t bytes;              // what it holds, counted against kMaxSpareBytes
};

struct Spares {
  Spares();
  ~Spares();
  std::vector<Spare> list;
  size_t bytes = 0;
};

// Set when this thread's spares are destroyed (thread exit): a request given back after that is
// freed. Trivially destructible, so it can still be read then.
thread_local bool t_spares_gone = false;

Spares::Spares() { list.reserve(kMaxSpareRequests); }  // push_back below never reallocates

Spares::~Spares() {
  t_spares_gone = true;
  for (const Spare& s : list) {
    delete s.request;
  }
}

Spares* spares() {
  if (t_spares_gone) {
    return nullptr;
  }
  thread_local Spares s;
  return &s;
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

IncomingRequestPtr takeSpareRequest(Headers& header_store) {
  Spares* pool = spares();
  if (pool == nullptr || pool->list.empty()) {
    header_store.clear();
    return IncomingRequestPtr(new IncomingRequest);
  }
  const Spare spare = pool->list.back();
  pool->list.pop_back();
  pool->bytes -= spare.bytes;
  IncomingRequest* r = spare.request;
  header_store.swap(r->headers);
  r->headers.clear();
  return IncomingRequestPtr(r);
}

void RecycleRequest::operator()(IncomingRequest* request) const noexcept {
  Spares* pool = spares();
  if (pool == nullptr || pool->list.size() >= kMaxSpareRequests) {
    delete request;
    return;
  }
  IncomingRequest& r = *request;
  if (r.headers.size() > kMaxSpareHeaders) {
    r.headers.resize(kMaxSpareHeaders);
  }
  size_t bytes = sizeof(IncomingRequest) + r.headers.capacity() * sizeof(Header);
  for (Header& h : r.headers) {
    bytes += clearKeeping(h.name);
    bytes += clearKeeping(h.value);
  }
  r.note = IncomingRequest::DispatcherNote{};
  bytes += clearKeeping(r.method);
  bytes += clearKeeping(r.path);
  bytes += clearKeeping(r.query);
  bytes += clearKeeping(r.body);
  if (pool->bytes + bytes > kMaxSpareBytes) {
    delete request;
    return;
  }
  pool->bytes += bytes;
  pool->list.push_back({request, bytes});
}

}  // namespace slotgate::gateway
