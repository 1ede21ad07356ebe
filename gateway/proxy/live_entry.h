// A request's entry in the live view (metrics::RequestTracker: the requests in flight and their
// SSE stream, SPEC section 6): published once the request passed its checks, routed at each
// attempt, its bytes and tokens updated as the answer streams; RequestOutcome ends it. Without
// a tracker installed every call is nothing. Every call names the tracker (the request's
// context holds it; a second pointer here would cost the request 8 bytes of its size budget).
// One per request; loop-thread only.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "metrics/request_tracker.h"
#include "metrics/token_usage.h"

namespace slotgate::gateway {

class LiveEntry {
 public:
  // What the view shows of the request from its start.
  struct Start {
    std::string_view request_id;
    const std::string& client;          // client id
    const std::string& model;           // as requested
    const std::string& resolved_model;  // the global model
    bool streaming;
    std::chrono::steady_clock::time_point started;
  };

  // Publishes the request on `tracker` (null: none installed, nothing is shown).
  void begin(metrics::RequestTracker* tracker, const Start& start);
  // The attempt went to (provider, provider model, key id): config names.
  void route(metrics::RequestTracker* tracker, const std::string& provider,
             const std::string& provider_model, const std::string& key_id);
  // `bytes` went to the client so far; `stream_usage` the stream's tokens so far (null: none).
  void progress(metrics::RequestTracker* tracker, uint64_t bytes,
                const metrics::TokenUsage* stream_usage);

  // The published entry, or null.
  metrics::ActiveEntry* get() const { return entry_.get(); }
  // For RequestOutcome, which ends it (and gives it back).
  metrics::ActiveEntryPtr& entry() { return entry_; }
  // An ended entry goes to this thread's spare list when nothing else holds it (the tracker let
  // go of it at end()): the thread's next begin() assigns into it, so its names keep their
  // storage (a name past 15 characters would cost a malloc per request otherwise). `entry` is
  // null afterwards.
  static void giveBack(metrics::ActiveEntryPtr& entry);
  // Time to first token in ms as the entry keeps it; -1 without one.
  float ttftMs() const { return entry_ ? entry_->ttft_ms : -1.0f; }

 private:
  metrics::ActiveEntryPtr entry_;  // null when no tracker is installed (or once ended)
};

}  // namespace slotgate::gateway
