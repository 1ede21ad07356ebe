// Series of one config snapshot, resolved once so the data path indexes by
// config position instead of looking labels up per request.
//
// Built beside each conf::Config (at load and on every reload). The series
// themselves belong to Metrics' families, so a reload that keeps a client,
// model or key keeps counting into the same series. Label values are copied
// from the config: a RequestSeries does not need the Config to outlive it.
//
// Indices are positions in Config::clients / models / models[m].targets /
// providers / providers[p].keys; kUnknown (SIZE_MAX), or any out-of-range
// index, selects the "unknown" label value (SPEC section 3). A target index
// is only meaningful with a known model.
//
// Thread-safety: every method may be called from any thread. Per-request
// (client, model, target) series are created on first use (or at construction
// for small configs) and cached in atomics; the rest exist from construction.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "conf/config.h"
#include "metrics/error_type.h"
#include "metrics/metrics.h"

namespace slotgate::metrics {

// Slot and stream series of one key_id (a provider key id or a client id).
struct KeySeries {
  std::string key_id;
  std::array<ShardedHistogram*, 2> slot_duration{};       // [exception]
  std::array<prometheus::Counter*, 2> slot_release{};     // [exception]
  prometheus::Gauge* in_use = nullptr;                    // concurrency_slots_in_use
  std::array<ShardedHistogram*, 2> streaming_duration{};  // [0 = success, 1 = error]

  // A slot ended: observe its hold time and count the release. `exception` is false
  // only when the slot ended with a completed response (SPEC section 8). Any thread (the
  // histogram takes the thread's shard).
  void slotReleased(bool exception, std::chrono::nanoseconds held) const {
    slot_duration[exception ? 1 : 0]->observe(held);
    slot_release[exception ? 1 : 0]->Increment();
  }
  void streamFinished(bool success, std::chrono::nanoseconds duration) const {
    streaming_duration[success ? 0 : 1]->observe(duration);
  }
};

struct ProviderSeries {
  std::string provider;
  prometheus::Gauge* inflight = nullptr;         // upstream_inflight
  prometheus::Counter* timeouts = nullptr;       // upstream_timeouts_total
  prometheus::Counter* retries = nullptr;        // slotgate_upstream_retries_total
  prometheus::Counter* without_usage = nullptr;  // slotgate_requests_without_usage_total
  ShardedHistogram* chunk_gap = nullptr;         // slotgate_stream_chunk_gap_seconds
};

class RequestSeries {
 public:
  static constexpr size_t kUnknown = SIZE_MAX;
  // Up to this many configured (client, model, target) combinations get their
  // requests/latency series at construction so they read 0 before traffic; larger
  // configs create them on first use to bound the scrape size.
  static constexpr size_t kEagerCombinationLimit = 1024;

  RequestSeries(Metrics& metrics, const conf::Config& config);
  ~RequestSeries();
  RequestSeries(const RequestSeries&) = delete;
  RequestSeries& operator=(const RequestSeries&) = delete;

  // inference_requests_total / inference_latency_seconds / inference_errors_total
  // {model, version, tenant}. Same indices → same object.
  prometheus::Counter& requests(size_t client, size_t model, size_t target);
  ShardedHistogram& latency(size_t client, size_t model, size_t target);
  prometheus::Counter& errors(size_t client, size_t model, size_t target, ErrorType type);

  // request_total{type, status}.
  prometheus::Counter& requestTotal(bool streaming, bool success) {
    return *request_total_[streaming ? 1 : 0][success ? 0 : 1];
  }

  KeySeries& providerKey(size_t provider, size_t key);  // provider key; unknown → key "unknown"
  KeySeries& clientKey(size_t client);                  // client slots; unknown → key "unknown"
  KeySeries* key(std::string_view key_id);              // nullptr when no such key_id
  const std::vector<KeySeries>& keys() const { return keys_; }  // every key, for refreshers

  ProviderSeries& provider(size_t provider);  // unknown → provider "unknown"

  // slotgate_time_to_first_token_seconds{provider = the target's, model}; nullptr for an
  // unknown model or target.
  ShardedHistogram* timeToFirstToken(size_t model, size_t target) const {
    return model < ttft_.size() && target < ttft_[model].size() ? ttft_[model][target] : nullptr;
  }

  // job_queue_depth{model, version = the model's first target's provider model}.
  prometheus::Gauge& queueDepth(size_t model);

  // model_alias_resolution_total / _duration_seconds; method indexes kAliasMethodLabels.
  prometheus::Counter& aliasResolution(size_t method, bool cache_hit) {
    return *alias_resolution_[method < kAliasMethodCount ? method : kAliasMethodCount - 1]
                             [cache_hit ? 1 : 0];
  }
  ShardedHistogram& aliasDuration(size_t method) {
    return *alias_duration_[method < kAliasMethodCount ? method : kAliasMethodCount - 1];
  }

  Metrics& metrics() { return metrics_; }

 private:
  struct Cell {
    std::atomic<prometheus::Counter*> requests{nullptr};
    std::atomic<ShardedHistogram*> latency{nullptr};
    std::array<std::atomic<prometheus::Counter*>, kErrorTypeCount> errors{};
  };
  struct LabelRefs {
    const std::string* tenant;
    const std::string* model;
    const std::string* version;
  };

  size_t rowOf(size_t client) const;
  size_t columnOf(size_t model, size_t target) const;
  Cell& cell(size_t client, size_t model, size_t target);
  LabelRefs labelsOf(size_t client, size_t model, size_t target) const;

  Metrics& metrics_;
  const std::string unknown_{kUnknownLabel};
  std::vector<std::string> clients_;
  std::vector<std::string> models_;
  std::vector<std::vector<std::string>> versions_;  // [model][target]
  std::vector<size_t> column_base_;                 // [model]: first column of its targets
  size_t columns_ = 0;                              // + one "unknown target" per model + one
  // Rows are allocated on first use: most clients use few models.
  std::unique_ptr<std::atomic<Cell*>[]> rows_;

  std::array<std::array<prometheus::Counter*, 2>, 2> request_total_{};  // [streaming][error]
  std::array<std::array<prometheus::Counter*, 2>, kAliasMethodCount> alias_resolution_{};
  std::array<ShardedHistogram*, kAliasMethodCount> alias_duration_{};

  std::vector<KeySeries> keys_;            // provider keys in config order, then clients
  std::vector<size_t> provider_key_base_;  // [provider]: index of its first key in keys_
  size_t client_key_base_ = 0;
  std::unique_ptr<KeySeries> unknown_key_;
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, size_t, Hash, std::equal_to<>> key_by_id_;

  std::vector<ProviderSeries> providers_;             // + "unknown" last
  std::vector<prometheus::Gauge*> queue_depth_;       // [model] + unknown last
  std::vector<std::vector<ShardedHistogram*>> ttft_;  // [model][target]
};

using RequestSeriesPtr = std::unique_ptr<RequestSeries>;

}  // namespace slotgate::metrics
