#include "gateway/proxy/live_entry.h"

#include "gateway/event/thread_pooled.h"

namespace slotgate::gateway {

void LiveEntry::begin(metrics::RequestTracker* tracker, const Start& start) {
  if (tracker == nullptr) {
    return;
  }
  // From the worker's free list (thread_pooled.h) rather than malloc: one per request.
  auto entry = std::allocate_shared<metrics::ActiveEntry>(PoolAllocator<metrics::ActiveEntry>());
  entry->request_id = start.request_id;
  entry->client = start.client;
  entry->model = start.model;
  entry->resolved_model = start.resolved_model;
  entry->streaming = start.streaming;
  entry->started_at = std::chrono::system_clock::now();
  entry->started_steady = start.started;
  entry_ = tracker->begin(std::move(entry));
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
