// Duration and size literals of the config file (SPEC section 2).
//
// Durations need a unit: "250ms", "30s", "5m", "1h", also compound ("1m30s")
// and decimal ("1.5s"); a bare number is rejected so "30" is never guessed to
// be seconds or milliseconds. Sizes are plain bytes ("65536") or take a binary
// unit: "512B", "64KiB", "10MiB", "1GiB". Pure functions, thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "conf/config.h"

namespace slotgate::conf {

// nullopt when the text is not a valid, non-negative duration.
[[nodiscard]] std::optional<Duration> parseDuration(std::string_view text);

// nullopt when the text is not a valid size or does not fit in 64 bits.
[[nodiscard]] std::optional<uint64_t> parseSize(std::string_view text);

// Shortest exact form using the largest fitting unit: "30s", "250ms", "5m", "0s".
std::string formatDuration(Duration d);

// "10MiB", "64KiB", or plain bytes when not a whole number of KiB.
std::string formatSize(uint64_t bytes);

}  // namespace slotgate::conf
