#include "conf/duration.h"

#include <cctype>
#include <limits>

namespace slotgate::conf {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) {
    s.remove_prefix(1);
  }
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) {
    s.remove_suffix(1);
  }
  return s;
}

bool isDigit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

std::optional<Duration> parseDuration(std::string_view text, bool* too_long) {
  text = trim(text);
  if (text.empty()) {
    return std::nullopt;
  }
  // Integer arithmetic with explicit bounds: no digit string, however long,
  // can overflow or throw. Whole parts are capped just above kMaxDuration
  // (the check below refuses them); fractions keep 9 digits (below 1 ns).
  constexpr uint64_t kMaxMs = static_cast<uint64_t>(kMaxDuration.count());
  constexpr uint64_t kFractionScale = 1'000'000'000;
  uint64_t total_ms = 0;
  bool over = false;
  while (!text.empty()) {
    size_t i = 0;
    uint64_t whole = 0;
    while (i < text.size() && isDigit(text[i])) {
      if (whole <= kMaxMs) {
        whole = whole * 10 + static_cast<uint64_t>(text[i] - '0');
      }
      ++i;
    }
    const size_t int_digits = i;
    size_t frac_digits = 0;
    uint64_t fraction = 0;
    uint64_t fraction_scale = 1;
    if (i < text.size() && text[i] == '.') {
      ++i;
      while (i < text.size() && isDigit(text[i])) {
        if (fraction_scale < kFractionScale) {
          fraction = fraction * 10 + static_cast<uint64_t>(text[i] - '0');
          fraction_scale *= 10;
        }
        ++i;
        ++frac_digits;
      }
    }
    if (int_digits == 0 && frac_digits == 0) {
      return std::nullopt;
    }
    text.remove_prefix(i);
    uint64_t unit_ms = 0;
    if (text.starts_with("ms")) {
      unit_ms = 1;
      text.remove_prefix(2);
    } else if (text.starts_with("s")) {
      unit_ms = 1000;
      text.remove_prefix(1);
    } else if (text.starts_with("m")) {
      unit_ms = 60'000;
      text.remove_prefix(1);
    } else if (text.starts_with("h")) {
      unit_ms = 3'600'000;
      text.remove_prefix(1);
    } else {
      return std::nullopt;  // no unit, or an unknown one
    }
    // Past the limit, the rest is still read so that a typo is reported as
    // one rather than as "too long".
    if (over || whole > kMaxMs / unit_ms) {
      over = true;
      continue;
    }
    // fraction < 10^9 and unit_ms <= 3.6 * 10^6: the product fits in 64 bits.
    total_ms += whole * unit_ms + (fraction * unit_ms + fraction_scale / 2) / fraction_scale;
    over = total_ms > kMaxMs;
  }
  if (over) {
    if (too_long != nullptr) {
      *too_long = true;
    }
    return std::nullopt;
  }
  return Duration(static_cast<int64_t>(total_ms));
}

std::optional<uint64_t> parseSize(std::string_view text, bool* too_large) {
  text = trim(text);
  size_t i = 0;
  uint64_t value = 0;
  bool overflow = false;
  while (i < text.size() && isDigit(text[i])) {
    uint64_t digit = static_cast<uint64_t>(text[i] - '0');
    if (value > (std::numeric_limits<uint64_t>::max() - digit) / 10) {
      overflow = true;
    } else {
      value = value * 10 + digit;
    }
    ++i;
  }
  if (i == 0) {
    return std::nullopt;
  }
  std::string_view unit = trim(text.substr(i));
  uint64_t multiplier = 0;
  if (unit.empty() || unit == "B") {
    multiplier = 1;
  } else if (unit == "KiB") {
    multiplier = 1ull << 10;
  } else if (unit == "MiB") {
    multiplier = 1ull << 20;
  } else if (unit == "GiB") {
    multiplier = 1ull << 30;
  } else {
    return std::nullopt;
  }
  if (overflow || value > std::numeric_limits<uint64_t>::max() / multiplier) {
    if (too_large != nullptr) {
      *too_large = true;
    }
    return std::nullopt;
  }
  return value * multiplier;
}

std::string formatDuration(Duration d) {
  int64_t ms = d.count();
  if (ms == 0) {
    return "0s";
  }
  if (ms % 3'600'000 == 0) {
    return std::to_string(ms / 3'600'000) + "h";
  }
  if (ms % 60'000 == 0) {
    return std::to_string(ms / 60'000) + "m";
  }
  if (ms % 1000 == 0) {
    return std::to_string(ms / 1000) + "s";
  }
  return std::to_string(ms) + "ms";
}

std::string formatSize(uint64_t bytes) {
  if (bytes != 0 && bytes % (1ull << 30) == 0) {
    return std::to_string(bytes >> 30) + "GiB";
  }
  if (bytes != 0 && bytes % (1ull << 20) == 0) {
    return std::to_string(bytes >> 20) + "MiB";
  }
  if (bytes != 0 && bytes % (1ull << 10) == 0) {
    return std::to_string(bytes >> 10) + "KiB";
  }
  return std::to_string(bytes);
}

}  // namespace slotgate::conf
