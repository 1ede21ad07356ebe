// What one data-plane request came to, recorded once at its end (DESIGN "One request, start
// to end"): the request metrics (request_total, requests, latency, errors, stream outcome,
// answers without usage, overhead and queue wait), the live view and running totals
// (RequestTracker) and the access line. A request handler fills it from its own state and
// records it; it points into that state and the config snapshot, so it lives only for the
// call. Loop-thread only.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "gateway/config_snapshot.h"
#include "gateway/gateway_context.h"
#include "gateway/proxy/auth.h"
#include "metrics/error_type.h"
#include "metrics/log.h"
#include "metrics/request_series.h"
#include "metrics/request_tracker.h"
#include "routing/target_chooser.h"

namespace slotgate::gateway {

struct RequestOutcome {
  std::string_view request_id;
  std::string_view method;
  std::string_view path;
  size_t client = kNoClient;
  std::string_view model;                 // as the client named it ("" when none)
  const conf::Model* resolved = nullptr;  // the global model, null when none was resolved
  size_t model_index = metrics::RequestSeries::kUnknown;
  const routing::Candidate* target = nullptr;  // the last (target, key) tried, if any
  bool streaming = false;
  bool success = false;
  std::optional<metrics::ErrorType> error;
  bool client_gone = false;  // the client left first: status 499, error_type client_closed
  int status = 0;            // the status sent
  std::chrono::nanoseconds duration{0};  // from the request's start to now
  metrics::TokenUsage usage;
  // A 2xx answer whose usage was looked for: ending without any counts as "without usage"
  // (tokens unknown, not zero).
  bool usage_expected = false;
  uint32_t retries = 0;
  uint64_t bytes_out = 0;
  // Issue 14 timings: the time spent inside slotgate, and waiting for a slot when it waited.
  float overhead_s = 0;
  std::optional<float> queue_wait_s;
  float ttft_ms = -1;  // -1: no content arrived

  // Records it under `snapshot`'s config; `shard` is the worker's (sharded histograms).
  // `tracked` is the request's live-view entry (ended and reset here), or null for a request
  // answered without ever being in flight.
  void record(const ConfigSnapshot& snapshot, GatewayContext& context, size_t shard,
              metrics::ActiveEntryPtr& tracked) const;
  // The access line's fields (SPEC section 6), in order, onto `line`.
  void writeAccessFields(const conf::Config& config, metrics::LogLine& line) const;

 private:
  // The config names the outcome is reported under ("" for no target; client "unknown").
  struct Names {
    std::string_view client;
    std::string_view provider;
    std::string_view provider_model;
    std::string_view key_id;
  };
  Names names(const conf::Config& config) const;
  void writeAccessFields(const Names& n, metrics::LogLine& line) const;
  int sentStatus() const { return client_gone ? 499 : status; }
};

}  // namespace slotgate::gateway
