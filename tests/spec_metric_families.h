// The metric families SPEC section 8 names, with their Prometheus type: the contract both the
// metrics unit tests and the gateway's /metrics integration test hold the exposition to.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace slotgate::testing {

inline const std::vector<std::pair<std::string, std::string>> kSpecMetricFamilies = {
    {"concurrency_slot_duration_seconds", "histogram"},
    {"concurrency_slot_release_total", "counter"},
    {"concurrency_slots_in_use", "gauge"},
    {"streaming_request_duration_seconds", "histogram"},
    {"request_total", "counter"},
    {"health_open_circuits", "gauge"},
    {"model_alias_resolution_total", "counter"},
    {"model_alias_resolution_duration_seconds", "histogram"},
    {"model_alias_conflict_total", "counter"},
    {"inference_requests_total", "counter"},
    {"inference_errors_total", "counter"},
    {"inference_latency_seconds", "histogram"},
    {"upstream_inflight", "gauge"},
    {"upstream_timeouts_total", "counter"},
    {"job_queue_depth", "gauge"},
    {"process_cpu_seconds_total", "counter"},
    {"process_resident_memory_bytes", "gauge"},
    {"process_open_fds", "gauge"},
    {"process_start_time_seconds", "gauge"},
};

}  // namespace slotgate::testing
