// The live view of requests (SPEC section 6): every request in flight, the
// running totals per provider and provider model, and the last errors and
// traces. Fed by the data plane, read by the admin endpoints.
//
// Thread-safety: every method may be called from any thread. The data path
// cost is one short lock at begin and at end (sharded), and relaxed atomic
// stores while a request streams (through its ActiveEntry).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "metrics/history.h"
#include "metrics/request_id.h"
#include "metrics/token_usage.h"

namespace slotgate::metrics {

// One request in flight. Fixed fields are written before the entry is
// published (begin) or under the tracker's lock (route); the counters are
// atomics the owning request updates as bytes flow.
struct ActiveEntry {
  RequestId request_id;
  std::string client;          // client id, or "unknown"
  std::string model;           // as requested (already validated as a resolvable name)
  std::string resolved_model;  // global model name
  bool streaming = false;
  std::chrono::system_clock::time_point started_at;
  std::chrono::steady_clock::time_point started_steady;
  std::atomic<uint64_t> bytes{0};
  std::atomic<uint64_t> input_tokens{0};
  std::atomic<uint64_t> output_tokens{0};
  std::atomic<uint64_t> cache_read_tokens{0};
  std::atomic<uint64_t> cache_creation_tokens{0};
  // Set by RequestTracker::route (may change on retry); read and written only
  // under the tracker's lock, so the owning request must not touch them.
  std::string provider;
  std::string provider_model;
  std::string key_id;
  // Time to first token in ms (negative: none yet). Written and read only by the owning
  // request, on its worker (it feeds the history's p50/p99 at end()).
  float ttft_ms = -1;

  // The tracker's links while the entry is in its active set (an intrusive list per shard, so
  // publishing a request allocates nothing); `self` is the set's reference, which keeps the
  // entry alive while it is in the set. Read and written only under the tracker's shard lock.
  struct ActiveLinks {
    ActiveEntry* prev = nullptr;
    ActiveEntry* next = nullptr;
    std::shared_ptr<ActiveEntry> self;
  };
  ActiveLinks links;

  // Stores the token counts seen so far (relaxed; readers may see a mix of
  // old and new fields, which a live view tolerates).
  void setUsage(const TokenUsage& usage) {
    input_tokens.store(usage.input_tokens, std::memory_order_relaxed);
    output_tokens.store(usage.output_tokens, std::memory_order_relaxed);
    cache_read_tokens.store(usage.cache_read_tokens, std::memory_order_relaxed);
    cache_creation_tokens.store(usage.cache_creation_tokens, std::memory_order_relaxed);
  }
};
using ActiveEntryPtr = std::shared_ptr<ActiveEntry>;

// How a request ended. Its names are views of the caller's strings (config names, fixed
// labels), valid for the call it is passed to: the tracker copies what it keeps.
struct FinishedRequest {
  std::string_view provider;        // "" when no provider was reached
  std::string_view provider_model;  // the target's provider model name ("" likewise)
  std::string_view key_id;
  bool streaming = false;
  bool error = false;
  int status = 0;               // HTTP status sent (499 when the client left)
  std::string_view error_type;  // SPEC code, "client_closed", or ""
  double duration_ms = 0;
  TokenUsage usage;
  RequestLatencies latencies;  // time to first token, overhead, queue wait (history)
};

class RequestTracker {
 public:
  virtual ~RequestTracker() = default;
  // Publishes a request in flight; returns its entry.
  virtual ActiveEntryPtr begin(ActiveEntryPtr entry) = 0;
  // The request was sent to (provider, provider_model, key_id).
  virtual void route(const ActiveEntryPtr& entry, const std::string& provider,
                     const std::string& provider_model, const std::string& key_id) = 0;
  // Tokens seen so far changed (cheap: may only mark the view dirty).
  virtual void progress(const ActiveEntryPtr& entry) = 0;
  // The request finished: removed from the active set, added to the totals and logs.
  virtual void end(const ActiveEntryPtr& entry, const FinishedRequest& outcome) = 0;
  // A request answered without ever being in flight in the active set (refused at auth, body,
  // resolve or the client's models, an unknown path, a model list): added to the totals and
  // logs like end(), so that they count every answer (the totals' top level is exactly
  // request_total). `entry` gives request_id, client and model only.
  virtual void answered(const ActiveEntry& entry, const FinishedRequest& outcome) = 0;
};

}  // namespace slotgate::metrics
