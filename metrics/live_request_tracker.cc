#include "metrics/live_request_tracker.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <nlohmann/json.hpp>
#include <string_view>
#include <utility>

#include "metrics/iso_time.h"

namespace slotgate::metrics {

namespace {

// Assigns `value` into `field` unless it already holds it. A ring item is written over every
// `capacity` requests, mostly with the same client and target names as before, and comparing
// two short strings costs a fraction of a string assignment.
inline void assignChanged(std::string& field, std::string_view value) {
  if (field.size() != value.size() ||
      (!value.empty() && std::memcmp(field.data(), value.data(), value.size()) != 0)) {
    field.assign(value);
  }
}

}  // namespace

LiveRequestTracker::Shard& LiveRequestTracker::shardFor(const ActiveEntry* entry) const {
  // Low bits of a heap address are alignment; the hash spreads the rest.
  return shards_[std::hash<const ActiveEntry*>{}(entry) / alignof(ActiveEntry) % kShards];
}

LiveRequestTracker::~LiveRequestTracker() {
  // Entries still in flight drop the set's reference (their owners may hold others).
  for (Shard& shard : shards_) {
    std::lock_guard lock(shard.mu);
    for (ActiveEntry* e = shard.head; e != nullptr;) {
      ActiveEntry* next = e->links.next;
      e->links.prev = e->links.next = nullptr;
      e->links.self.reset();  // may destroy *e
      e = next;
    }
    shard.head = nullptr;
    shard.count = 0;
  }
}

ActiveEntryPtr LiveRequestTracker::begin(ActiveEntryPtr entry) {
  if (!entry) {
    return entry;
  }
  if (entry->started_at == std::chrono::system_clock::time_point{}) {
    entry->started_at = std::chrono::system_clock::now();
  }
  if (entry->started_steady == std::chrono::steady_clock::time_point{}) {
    entry->started_steady = std::chrono::steady_clock::now();
  }
  Shard& shard = shardFor(entry.get());
  {
    std::lock_guard lock(shard.mu);
    if (entry->links.self) {
      return entry;  // already in flight
    }
    entry->links.self = entry;
    entry->links.prev = nullptr;
    entry->links.next = shard.head;
    if (shard.head != nullptr) {
      shard.head->links.prev = entry.get();
    }
    shard.head = entry.get();
    ++shard.count;
  }
  changed();
  return entry;
}

void LiveRequestTracker::route(const ActiveEntryPtr& entry, const std::string& provider,
                               const std::string& provider_model, const std::string& key_id) {
  if (!entry) {
    return;
  }
  Shard& shard = shardFor(entry.get());
  {
    std::lock_guard lock(shard.mu);
    entry->provider = provider;
    entry->provider_model = provider_model;
    entry->key_id = key_id;
  }
  changed();
}

void LiveRequestTracker::progress(const ActiveEntryPtr&) {
  // Load first: while the flag is already set (the common case between two
  // admin polls) no cache line is written.
  if (!progress_pending_.load(std::memory_order_relaxed)) {
    progress_pending_.store(true, std::memory_order_relaxed);
  }
}

void LiveRequestTracker::end(const ActiveEntryPtr& entry, const FinishedRequest& outcome) {
  if (!entry) {
    return;
  }
  Shard& shard = shardFor(entry.get());
  ActiveEntryPtr held;  // the set's reference, dropped outside the lock
  {
    std::lock_guard lock(shard.mu);
    ActiveEntry::ActiveLinks& links = entry->links;
    if (!links.self) {
      return;  // never begun, or already ended
    }
    (links.prev != nullptr ? links.prev->links.next : shard.head) = links.next;
    if (links.next != nullptr) {
      links.next->links.prev = links.prev;
    }
    links.prev = links.next = nullptr;
    held = std::move(links.self);
    --shard.count;
  }
  recordFinished(*entry, outcome);
}

void LiveRequestTracker::answered(const ActiveEntry& entry, const FinishedRequest& outcome) {
  recordFinished(entry, outcome);
}

void LiveRequestTracker::recordFinished(const ActiveEntry& entry, const FinishedRequest& outcome) {
  const auto finished_at = std::chrono::system_clock::now();
  {
    std::lock_guard lock(finished_mu_);
    totals_.recordLocked(outcome, finished_at);
    // Every field assigned into the ring's item, whose strings keep their storage.
    log_.recordLocked([&](LogItem& item) {
      item.request_id = entry.request_id;
      assignChanged(item.client, entry.client);
      // A refused request's model is whatever the caller sent: capped, so 200 entries stay
      // small.
      assignChanged(item.model, std::string_view(entry.model).substr(0, kLoggedModelMax));
      assignChanged(item.provider, outcome.provider);
      assignChanged(item.provider_model, outcome.provider_model);
      assignChanged(item.key_id, outcome.key_id);
      item.streaming = outcome.streaming;
      item.error = outcome.error;
      item.status = outcome.status;
      assignChanged(item.error_type, outcome.error_type);
      item.duration_ms = outcome.duration_ms;
      item.tokens = outcome.usage;
      item.finished_at = finished_at;
    });
    history_.recordLocked(outcome.duration_ms, outcome.error, outcome.latencies);
  }
  changed();
}

std::vector<ActiveView> LiveRequestTracker::active() const {
  std::vector<ActiveView> out;
  const auto now = std::chrono::steady_clock::now();
  for (const Shard& shard : shards_) {
    std::lock_guard lock(shard.mu);
    for (const ActiveEntry* e = shard.head; e != nullptr; e = e->links.next) {
      ActiveView v;
      v.request_id = e->request_id;
      v.client = e->client;
      v.model = e->model;
      v.resolved_model = e->resolved_model;
      v.provider = e->provider;
      v.provider_model = e->provider_model;
      v.key_id = e->key_id;
      v.streaming = e->streaming;
      v.started_at = e->started_at;
      v.duration_ms = std::chrono::duration<double, std::milli>(now - e->started_steady).count();
      v.bytes = e->bytes.load(std::memory_order_relaxed);
      v.usage.input_tokens = e->input_tokens.load(std::memory_order_relaxed);
      v.usage.output_tokens = e->output_tokens.load(std::memory_order_relaxed);
      v.usage.cache_read_tokens = e->cache_read_tokens.load(std::memory_order_relaxed);
      v.usage.cache_creation_tokens = e->cache_creation_tokens.load(std::memory_order_relaxed);
      out.push_back(std::move(v));
    }
  }
  std::sort(out.begin(), out.end(), [](const ActiveView& a, const ActiveView& b) {
    return a.started_at != b.started_at ? a.started_at < b.started_at : a.request_id < b.request_id;
  });
  return out;
}

size_t LiveRequestTracker::activeCount() const {
  size_t n = 0;
  for (const Shard& shard : shards_) {
    std::lock_guard lock(shard.mu);
    n += shard.count;
  }
  return n;
}

std::string LiveRequestTracker::activeJson(const std::vector<ActiveView>& views) {
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (const ActiveView& v : views) {
    nlohmann::ordered_json j;
    j["request_id"] = v.request_id.view();
    j["client"] = v.client;
    j["model"] = v.model;
    j["resolved_model"] = v.resolved_model;
    j["provider"] = v.provider;
    j["provider_model"] = v.provider_model;
    j["key_id"] = v.key_id;
    j["streaming"] = v.streaming;
    j["started_at"] = isoTimeUtcMs(v.started_at);
    j["duration_ms"] = std::round(v.duration_ms * 1000) / 1000;
    j["bytes"] = v.bytes;
    j["input_tokens"] = v.usage.input_tokens;
    j["output_tokens"] = v.usage.output_tokens;
    j["cache_read_tokens"] = v.usage.cache_read_tokens;
    j["cache_creation_tokens"] = v.usage.cache_creation_tokens;
    out.push_back(std::move(j));
  }
  return out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string LiveRequestTracker::activeJson() const { return activeJson(active()); }

uint64_t LiveRequestTracker::changeSeq() {
  if (progress_pending_.load(std::memory_order_relaxed) &&
      progress_pending_.exchange(false, std::memory_order_acq_rel)) {
    changed();
  }
  return seq_.load(std::memory_order_acquire);
}

TotalsView LiveRequestTracker::totals(const TotalsFilter& filter) const {
  std::vector<ActiveTokens> in_flight;
  if (filter.include_active) {
    for (ActiveView& v : active()) {
      in_flight.push_back(
          {std::move(v.provider), std::move(v.provider_model), v.usage, v.started_at});
    }
  }
  return totals_.view(filter, in_flight);
}

}  // namespace slotgate::metrics
