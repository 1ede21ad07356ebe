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

// The longest duration any setting accepts: one year. Longer values are
// typos, and every duration must stay far from overflowing the nanosecond
// clocks it is added to.
inline constexpr Duration kMaxDuration = std::chrono::hours(24 * 365);

// nullopt when the text is not a valid, non-negative duration, or one longer
// than kMaxDuration (then *too_long, if given, is set). Never throws,
// whatever the length of the text.
[[nodiscard]] std::optional<Duration> parseDuration(std::string_view text,
                                                    bool* too_long = nullptr);

// nullopt when the text is not a valid size or does not fit in 64 bits (then
// *too_large, if given, is set). Never throws.
[[nodiscard]] std::optional<uint64_t> parseSize(std::string_view text, bool* too_large = nullptr);

// Shortest exact form using the largest fitting unit: "30s", "250ms", "5m", "0s".
std::string formatDuration(Duration d);

// "10MiB", "64KiB", or plain bytes when not a whole number of KiB.
std::string formatSize(uint64_t bytes);

}  // namespace slotgate::conf
