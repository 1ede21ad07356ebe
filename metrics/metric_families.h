// The one table of every metric family slotgate exports (SPEC section 8, then slotgate_*
// extras), in export order: a new family is one entry here. From it come Metrics' accessor and
// member (metrics/metrics.h), the registration with its help and buckets (metrics.cc), its place
// in /metrics and /metrics/json, and kMetricFamilies, which tests hold every series to.
//
//   X(accessor, kind, name, labels, buckets, help)
//
// kind: what the accessor returns —
//   Counter, Gauge                a prometheus-cpp family; callers add the series of their labels;
//   ShardedHistogram              a ShardedHistogramFamily (metrics/sharded_histogram.h): lock-free
//                                 observations folded at scrape time (every histogram: a
//                                 prometheus-cpp Histogram::Observe takes a mutex);
//   SingleCounter, SingleGauge,   a family of one unlabelled series; the accessor returns
//   SingleShardedHistogram        that series.
// labels: the label names every series carries, comma-separated ("" for none). Label values
// come from config ids and fixed sets only (SPEC section 8), never from request data.
// buckets: upper bounds in parentheses for histograms, () otherwise.
// Thread-safety: a compile-time table.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

// clang-format off
#define SLOTGATE_METRIC_FAMILIES(X)                                                                \
  /* SPEC section 8, in its order. */                                                              \
  X(slotDuration, ShardedHistogram,                                                                \
    "concurrency_slot_duration_seconds", "key_id,exception",                                       \
    (0.1, 0.5, 1, 5, 10, 30, 60, 120, 300, 600),                                                   \
    "Time a concurrency slot was held, by key_id and whether it ended without a completed "        \
    "response (exception).")                                                                       \
  X(slotRelease, Counter, "concurrency_slot_release_total", "key_id,exception", (),                \
    "Concurrency slots released, by key_id and whether the slot ended without a completed "        \
    "response (exception).")                                                                       \
  X(slotsInUse, Gauge, "concurrency_slots_in_use", "key_id", (),                                   \
    "Concurrency slots currently held, by key_id.")                                                \
  X(streamingDuration, ShardedHistogram,                                                           \
    "streaming_request_duration_seconds", "key_id,status",                                         \
    (1, 5, 10, 30, 60, 120, 300, 600, 1800),                                                       \
    "Duration of streaming requests from admission to the end of the stream, by key_id and "       \
    "status.")                                                                                     \
  X(requestTotal, Counter, "request_total", "type,status", (),                                     \
    "Finished inference requests by type (streaming, non-streaming) and status.")                  \
  X(openCircuits, SingleGauge, "health_open_circuits", "", (),                                     \
    "Provider key circuit breakers currently open.")                                               \
  X(aliasResolution, Counter, "model_alias_resolution_total", "method,cache_hit", (),              \
    "Model name resolutions by method and whether the alias cache answered.")                      \
  X(aliasResolutionDuration, ShardedHistogram,                                                     \
    "model_alias_resolution_duration_seconds", "method",                                           \
    (0.00001, 0.00005, 0.0001, 0.0005, 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0),      \
    "Time to resolve a requested model name, by method.")                                          \
  X(aliasConflicts, SingleCounter, "model_alias_conflict_total", "", (),                           \
    "Names claimed by more than one global model.")                                                \
  X(inferenceRequests, Counter, "inference_requests_total", "model,version,tenant", (),            \
    "Inference requests by global model, provider model (version) and client (tenant).")           \
  X(inferenceErrors, Counter, "inference_errors_total", "model,version,error_type,tenant", (),     \
    "Failed inference requests by model, version, error_type (an error code, or "                  \
    "upstream_status for an upstream error passed through) and tenant.")                           \
  X(inferenceLatency, ShardedHistogram,                                                            \
    "inference_latency_seconds", "model,version,tenant",                                           \
    (0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10),                                        \
    "Inference request duration from arrival to the last byte, by model, version and tenant.")     \
  X(upstreamInflight, Gauge, "upstream_inflight", "provider", (),                                  \
    "Requests in flight to each provider, by provider.")                                           \
  X(upstreamTimeouts, Counter, "upstream_timeouts_total", "provider", (),                          \
    "Upstream requests that timed out, by provider.")                                              \
  X(jobQueueDepth, Gauge, "job_queue_depth", "model,version", (),                                  \
    "Requests waiting for a concurrency slot, by model and version.")                              \
  /* Extras. Reasons/results are fixed strings chosen by the caller's code. */                     \
  X(downstreamCloses, Counter, "slotgate_downstream_connections_closed_total", "reason", (),       \
    "Client connections closed, by reason.")                                                       \
  X(httpRejects, Counter, "slotgate_http_rejects_total", "reason", (),                             \
    "Requests refused by the HTTP codec before routing (malformed, too large, header timeout), "   \
    "by reason.")                                                                                  \
  X(connectionsRefused, Counter, "slotgate_connections_refused_total", "reason", (),               \
    "Client connections not served, by reason: max_connections (accepted and closed at the "      \
    "limit), descriptors or memory (accept() failed: EMFILE/ENFILE, ENOBUFS/ENOMEM), "             \
    "accept_error. Accepting pauses with a back-off after each.")                                  \
  X(connectionsOpen, SingleGauge, "slotgate_downstream_connections_open", "", (),                  \
    "Client connections open now, all workers.")                                                   \
  X(maxConnections, SingleGauge, "slotgate_max_connections", "", (),                               \
    "Client connections allowed (server.max_connections, or derived from RLIMIT_NOFILE when 0).")  \
  X(upstreamRetries, Counter, "slotgate_upstream_retries_total", "provider", (),                   \
    "Upstream attempts retried on the next target, by provider.")                                  \
  X(configReloads, Counter, "slotgate_config_reloads_total", "result", (),                         \
    "Config reloads by result (success, failure).")                                                \
  X(configVersion, SingleGauge, "slotgate_config_version", "", (),                                 \
    "Version of the config snapshot serving requests.")                                            \
  X(redisUp, SingleGauge, "slotgate_redis_up", "", (),                                             \
    "1 while the shared-state Redis connection is up, else 0.")                                    \
  X(redisConfigured, SingleGauge, "slotgate_redis_configured", "", (),                             \
    "1 when the config shares state through Redis, else 0.")                                       \
  X(slotsLimit, Gauge, "slotgate_concurrency_slots_limit", "key_id", (),                           \
    "max_concurrency of each client and provider key, by key_id (0 = unlimited).")                 \
  X(clusterFallbacks, Counter, "slotgate_cluster_fallbacks_total", "on_unavailable", (),           \
    "Slot acquisitions that found Redis unavailable, by the on_unavailable action taken "          \
    "(local: served with per-instance limits; reject: refused with 503).")                         \
  X(logLinesDropped, SingleCounter, "slotgate_log_lines_dropped_total", "", (),                    \
    "Log lines dropped because the log reader fell behind (the in-memory queue was full) or the "  \
    "log fd failed.")                                                                              \
  X(requestsWithoutUsage, Counter, "slotgate_requests_without_usage_total", "provider", (),        \
    "Successful answers that ended without a usage report (tokens unknown, not zero), by "         \
    "provider.")                                                                                   \
  /* 10 ms steps up to 100 ms, where first tokens of fast models land. */                          \
  X(timeToFirstToken, ShardedHistogram, "slotgate_time_to_first_token_seconds", "provider,model",  \
    (0.005, 0.01, 0.02, 0.03, 0.04, 0.05, 0.06, 0.07, 0.08, 0.09, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4,  \
     0.5, 0.75, 1, 1.5, 2, 3, 5, 7.5, 10, 20, 30, 60),                                             \
    "Time from the request's arrival to the first content chunk of a stream (to the first body "   \
    "byte otherwise), by provider and model.")                                                     \
  X(streamChunkGap, ShardedHistogram, "slotgate_stream_chunk_gap_seconds", "provider",             \
    (0.001, 0.0025, 0.005, 0.01, 0.02, 0.03, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.5, 0.75, 1, 2, 5, \
     10, 30),                                                                                      \
    "Time between consecutive content chunks of a stream as slotgate reads them, by provider.")    \
  /* 100 us steps up to 1 ms, where a proxied request's own cost lands. */                         \
  X(overhead, SingleShardedHistogram, "slotgate_overhead_seconds", "", (0.00001, 0.000025,         \
    0.00005, 0.0001, 0.0002, 0.0003, 0.0004, 0.0005, 0.0006, 0.0007, 0.0008, 0.0009, 0.001,        \
    0.0015, 0.002, 0.003, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1),                                 \
    "Time a request spent inside slotgate: from its arrival to its upstream send, plus from each " \
    "upstream read to the matching client write; waiting for a slot excluded.")                    \
  X(queueWait, SingleShardedHistogram, "slotgate_queue_wait_seconds", "",                          \
    (0.0001, 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),              \
    "Time a request that had to wait for its concurrency slots waited (client queue and "          \
    "cluster-wide slots); requests served at once are not observed.")
// clang-format on

namespace slotgate::metrics {

enum class MetricKind : uint8_t {
  Counter,
  Gauge,
  ShardedHistogram,
  SingleCounter,
  SingleGauge,
  SingleShardedHistogram,
};

// One row of the table, for what reads it as data (tests, the declared-family list).
struct MetricFamilySpec {
  std::string_view name;
  MetricKind kind;
  std::string_view labels;  // comma-separated label names, "" for none
  std::string_view help;
};

inline constexpr std::array kMetricFamilies = {
#define SLOTGATE_METRIC_FAMILY_SPEC(accessor, kind, name, labels, buckets, help) \
  MetricFamilySpec{name, MetricKind::kind, labels, help},
    SLOTGATE_METRIC_FAMILIES(SLOTGATE_METRIC_FAMILY_SPEC)
#undef SLOTGATE_METRIC_FAMILY_SPEC
};

}  // namespace slotgate::metrics
