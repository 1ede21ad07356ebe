// Running totals per provider and provider model (SPEC section 6,
// GET /metrics/running-totals): counts, tokens, average duration and last
// access since the process started.
//
// The top level counts every answer the data plane gave: its `requests` is
// exactly slotgate_request_total (the gateway records every request it counts
// there, refusals included). A provider's part counts only requests that
// reached that provider (were sent to one of its keys, retries filed under the
// last provider tried). A request that never reached a provider (refused at
// auth, body, resolve, admission, an unknown path, a model list) has no
// provider or provider model to file it under, so it is counted only in the
// top level. Hence top >= sum of providers, and top - sum = the unrouted ones.
//
// Thread-safety: record() and view() may be called from any thread; one
// mutex, taken once per finished request and once per admin read. Its owner may lend it a
// mutex it shares with other state, so that one lock covers them all per request
// (recordLocked()).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "metrics/futex_mutex.h"
#include "metrics/request_tracker.h"

namespace slotgate::metrics {

struct TotalsRow {
  uint64_t requests = 0;
  uint64_t errors = 0;
  uint64_t streaming = 0;
  uint64_t non_streaming = 0;
  uint64_t input_tokens = 0;
  uint64_t output_tokens = 0;
  uint64_t cache_read_tokens = 0;
  uint64_t cache_creation_tokens = 0;
  double duration_ms_sum = 0;  // of finished requests, for avg_duration_ms
  std::chrono::system_clock::time_point last_accessed{};  // epoch = never
  uint64_t active = 0;  // in-flight requests added by include_active (not in `requests`)

  void add(const TotalsRow& other);
  void addTokens(const TokenUsage& usage);
  [[nodiscard]] double avgDurationMs() const;
  [[nodiscard]] bool everAccessed() const {
    return last_accessed != std::chrono::system_clock::time_point{};
  }
};

struct ProviderTotals {
  TotalsRow sum;
  std::map<std::string, TotalsRow> models;  // provider model name -> row
};

// A filtered copy, ready to render.
struct TotalsView {
  TotalsRow top;
  std::map<std::string, ProviderTotals> providers;
  bool include_active = false;
};

struct TotalsFilter {
  std::string provider = "*";  // conf::globMatch over provider names
  std::string model = "*";     // conf::globMatch over provider model names
  bool include_active = false;
  [[nodiscard]] bool narrows() const { return provider != "*" || model != "*"; }
};

// An in-flight request's tokens so far, for include_active.
struct ActiveTokens {
  std::string provider;  // "" when not routed yet (then it is not shown)
  std::string provider_model;
  TokenUsage usage;
  std::chrono::system_clock::time_point started_at;
};

class RunningTotals {
 public:
  // `mu` guards the totals when given (it must outlive them), else a mutex of their own.
  explicit RunningTotals(FutexMutex* mu = nullptr) : mu_(mu != nullptr ? *mu : own_mu_) {}
  RunningTotals(const RunningTotals&) = delete;
  RunningTotals& operator=(const RunningTotals&) = delete;

  void record(const FinishedRequest& outcome, std::chrono::system_clock::time_point finished_at) {
    std::lock_guard lock(mu_);
    recordLocked(outcome, finished_at);
  }
  // record() by a caller that holds the mutex given at construction.
  void recordLocked(const FinishedRequest& outcome,
                    std::chrono::system_clock::time_point finished_at);

  // Rows whose provider and provider model match the filter, summed per
  // provider and at the top. Unrouted requests join the top only when the
  // filter does not narrow (they match no provider or model).
  [[nodiscard]] TotalsView view(const TotalsFilter& filter,
                                const std::vector<ActiveTokens>& active = {}) const;

 private:
  // The row of (provider, provider model), created when new.
  TotalsRow& rowOf(std::string_view provider, std::string_view provider_model);

  FutexMutex own_mu_;
  FutexMutex& mu_;  // own_mu_ or the owner's
  TotalsRow unrouted_;
  // Looked up by string_view (std::less<>): a finished request's names are views.
  std::map<std::string, std::map<std::string, TotalsRow, std::less<>>, std::less<>> rows_;
  // The row rowOf() returned last and its names (views of its map keys: map nodes never move
  // and rows are never erased). Requests in a row mostly go to the same target, so comparing
  // the names with these usually saves rowOf() its two map lookups.
  struct LastRow {
    std::string_view provider;
    std::string_view provider_model;
    TotalsRow* row = nullptr;
  };
  LastRow last_;
};

// Renderings of a view: JSON object, or the same structure as YAML.
// Shape: {requests, errors, ..., last_accessed, providers: {NAME: {..., models: {MODEL: {...}}}}}
[[nodiscard]] std::string totalsJson(const TotalsView& view);
[[nodiscard]] std::string totalsYaml(const TotalsView& view);

}  // namespace slotgate::metrics
