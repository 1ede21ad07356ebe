// ISO 8601 UTC timestamps for the admin views. Pure functions; thread-safe.
#pragma once

#include <chrono>
#include <string>

namespace slotgate::metrics {

// "2024-05-01T12:34:56.789Z" (millisecond precision, always UTC).
[[nodiscard]] std::string isoTimeUtcMs(std::chrono::system_clock::time_point t);

}  // namespace slotgate::metrics
