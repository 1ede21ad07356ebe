#include "gateway/downstream/request_recycler.h"

#include <utility>
#include <vector>

namespace slotgate::gateway {
namespace {

std::vector<IncomingRequest>& spares() {
  thread_local std::vector<IncomingRequest> s;
  return s;
}

// Clears `s`, keeping its buffer unless it grew past what is worth keeping.
void clearKeeping(std::string& s) {
  if (s.capacity() > kMaxKeptCapacity) {
    std::string().swap(s);
  } else {
    s.clear();
  }
}

}  // namespace

IncomingRequest takeSpareRequest(Headers& header_store) {
  auto& requests = spares();
  if (requests.empty()) {
    header_store.clear();
    return IncomingRequest{};
  }
  IncomingRequest r = std::move(requests.back());
  requests.pop_back();
  header_store.swap(r.headers);
  r.headers.clear();
  return r;
}

void recycleRequest(IncomingRequest&& request) {
  auto& requests = spares();
  const bool worth_keeping = request.headers.capacity() > 0 || request.body.capacity() > 64;
  if (!worth_keeping || requests.size() >= kMaxSpareRequests) {
    request = IncomingRequest{};
    return;
  }
  if (request.headers.size() > kMaxSpareHeaders) {
    request.headers.resize(kMaxSpareHeaders);
  }
  for (Header& h : request.headers) {
    clearKeeping(h.name);
    clearKeeping(h.value);
  }
  request.note = IncomingRequest::DispatcherNote{};
  clearKeeping(request.method);
  clearKeeping(request.path);
  clearKeeping(request.query);
  clearKeeping(request.body);
  if (requests.capacity() == 0) {
    requests.reserve(kMaxSpareRequests);
  }
  requests.push_back(std::move(request));
  request = IncomingRequest{};
}

}  // namespace slotgate::gateway
