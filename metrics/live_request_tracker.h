// The RequestTracker the gateway runs with: the active set, running totals,
// the error/trace logs and the 10 s history, plus a change sequence the
// admin thread polls to push live snapshots (SSE).
//
// Thread-safety: every method may be called from any thread. begin/route/end
// take one shard lock (entries are spread over kShards by address); end() and
// answered() then take one more, for the totals, logs and history together;
// progress() only sets an atomic flag when it is not already set, so a
// streaming request's per-chunk cost is one relaxed load.
//
// A request costs no allocation here: the active set is an intrusive list through the entries
// (ActiveEntry::links), the request id is a fixed array (RequestId) and the event log writes
// into its rings' existing items.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "metrics/event_log.h"
#include "metrics/futex_mutex.h"
#include "metrics/history.h"
#include "metrics/request_tracker.h"
#include "metrics/running_totals.h"

namespace slotgate::metrics {

// A copy of one in-flight request, taken under its shard lock.
struct ActiveView {
  RequestId request_id;
  std::string client;
  std::string model;
  std::string resolved_model;
  std::string provider;
  std::string provider_model;
  std::string key_id;
  bool streaming = false;
  std::chrono::system_clock::time_point started_at;
  double duration_ms = 0;
  uint64_t bytes = 0;
  TokenUsage usage;
};

class LiveRequestTracker : public RequestTracker {
 public:
  LiveRequestTracker() = default;
  ~LiveRequestTracker() override;
  LiveRequestTracker(const LiveRequestTracker&) = delete;
  LiveRequestTracker& operator=(const LiveRequestTracker&) = delete;

  // Fills started_at / started_steady when they are unset, then publishes.
  ActiveEntryPtr begin(ActiveEntryPtr entry) override;
  void route(const ActiveEntryPtr& entry, const std::string& provider,
             const std::string& provider_model, const std::string& key_id) override;
  void progress(const ActiveEntryPtr& entry) override;
  // Counts the request once: a second end() for the same entry is ignored.
  void end(const ActiveEntryPtr& entry, const FinishedRequest& outcome) override;
  void answered(const ActiveEntry& entry, const FinishedRequest& outcome) override;

  // In-flight requests, oldest first.
  [[nodiscard]] std::vector<ActiveView> active() const;
  [[nodiscard]] size_t activeCount() const;
  // JSON array of {request_id, client, model, resolved_model, provider,
  // provider_model, key_id, streaming, started_at, duration_ms, bytes,
  // input_tokens, output_tokens, cache_read_tokens, cache_creation_tokens}.
  [[nodiscard]] std::string activeJson() const;

  // Grows on every begin/route/end and on the first progress() after each
  // call (the pending progress flag is folded in here). Poll it to learn that
  // the active view changed; equal values mean nothing changed.
  [[nodiscard]] uint64_t changeSeq();

  [[nodiscard]] TotalsView totals(const TotalsFilter& filter) const;
  [[nodiscard]] const EventLog& log() const { return log_; }
  [[nodiscard]] History& history() { return history_; }

  static std::string activeJson(const std::vector<ActiveView>& views);

 private:
  static constexpr size_t kShards = 16;
  // The entries in flight of one shard: a doubly linked list through ActiveEntry::links.
  struct Shard {
    mutable FutexMutex mu;
    ActiveEntry* head = nullptr;
    size_t count = 0;
  };
  Shard& shardFor(const ActiveEntry* entry) const;
  // Totals, logs and history for a finished request (end() and answered()).
  void recordFinished(const ActiveEntry& entry, const FinishedRequest& outcome);
  void changed() { seq_.fetch_add(1, std::memory_order_release); }

  mutable std::array<Shard, kShards> shards_;
  std::atomic<uint64_t> seq_{0};
  std::atomic<bool> progress_pending_{false};
  // Guards totals_, log_ and history_: a finished request takes one lock for the three (their
  // readers lock it through their own methods).
  FutexMutex finished_mu_;
  RunningTotals totals_{&finished_mu_};
  EventLog log_{EventLog::kDefaultCapacity, &finished_mu_};
  History history_{&finished_mu_};
};

}  // namespace slotgate::metrics
