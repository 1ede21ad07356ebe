#include "gateway/proxy/live_entry.h"

#include <vector>

#include "gateway/event/thread_pooled.h"

namespace slotgate::gateway {
namespace {

// Ended entries kept per thread with their strings' storage; as many as requests a worker
// usually has in flight at once, the rest are freed.
constexpr size_t kMaxSpareEntries = 64;

std::vector<metrics::ActiveEntryPtr>& spareEntries() {
  thread_local std::vector<metrics::ActiveEntryPtr> spare;
  return spare;
}

// A spare entry made fresh: what begin() does not assign itself is reset.
metrics::ActiveEntryPtr takeEntry() {
  auto& spare = spareEntries();
  if (spare.empty()) {
    // From the worker's free list (thread_pooled.h) rather than malloc.
    return std::allocate_shared<metrics::ActiveEntry>(PoolAllocator<metrics::ActiveEntry>());
  }
  metrics::ActiveEntryPtr entry = std::move(spare.back());
  spare.pop_back();
  entry->bytes.store(0, std::memory_order_relaxed);
  entry->setUsage({});
  entry->provider.clear();
  entry->provider_model.clear();
  entry->key_id.clear();
  entry->ttft_ms = -1;
  return entry;
}

}  // namespace

void LiveEntry::begin(metrics::RequestTracker* tracker, const Start& start) {
  if (tracker == nullptr) {
    return;
  }
  metrics::ActiveEntryPtr entry = takeEntry();
  entry->request_id = start.request_id;
  entry->client = start.client;
  entry->model = start.model;
  entry->resolved_model = start.resolved_model;
  entry->streaming = start.streaming;
  entry->started_at = std::chrono::system_clock::now();
  entry->started_steady = start.started;
  entry_ = tracker->begin(std::move(entry));
}

void LiveEntry::giveBack(metrics::ActiveEntryPtr& entry) {
  auto& spare = spareEntries();
  // use_count 1: the tracker's set no longer holds it (end() dropped the set's reference) and
  // no reader has a copy, so nothing can see it change.
  if (entry && entry.use_count() == 1 && spare.size() < kMaxSpareEntries) {
    spare.push_back(std::move(entry));
  }
  entry.reset();
}

void LiveEntry::route(metrics::RequestTracker* tracker, const std::string& provider,
                      const std::string& provider_model, const std::string& key_id) {
  if (entry_) {
    tracker->route(entry_, provider, provider_model, key_id);
  }
}

void LiveEntry::progress(metrics::RequestTracker* tracker, uint64_t bytes,
                         const metrics::TokenUsage* stream_usage) {
  if (!entry_) {
    return;
  }
  entry_->bytes.store(bytes, std::memory_order_relaxed);
  if (stream_usage != nullptr) {
    entry_->setUsage(*stream_usage);
  }
  tracker->progress(entry_);  // one relaxed atomic: the SSE view coalesces
}

}  // namespace slotgate::gateway
