#include "conf/duration.h"

#include <cctype>
#include <cmath>
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

std::optional<Duration> parseDuration(std::string_view text) {
  text = trim(text);
  if (text.empty()) {
    return std::nullopt;
  }
  // Accumulate in long double: every literal a human writes is exact enough,
  // and the final value is range-checked before conversion.
  long double total_ms = 0;
  while (!text.empty()) {
    size_t i = 0;
    while (i < text.size() && isDigit(text[i])) {
      ++i;
    }
    size_t int_digits = i;
    size_t frac_digits = 0;
    if (i < text.size() && text[i] == '.') {
      ++i;
      while (i < text.size() && isDigit(text[i])) {
        ++i;
        ++frac_digits;
      }
    }
    if (int_digits == 0 && frac_digits == 0) {
      return std::nullopt;
    }
    long double number = std::stold(std::string(text.substr(0, i)));
    text.remove_prefix(i);
    long double unit_ms = 0;
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
    total_ms += number * unit_ms;
  }
  // ~292 million years; anything larger is a typo.
  if (total_ms > static_cast<long double>(std::numeric_limits<int64_t>::max() / 2)) {
    return std::nullopt;
  }
  return Duration(static_cast<int64_t>(std::llround(total_ms)));
}

std::optional<uint64_t> parseSize(std::string_view text) {
  text = trim(text);
  size_t i = 0;
  uint64_t value = 0;
  while (i < text.size() && isDigit(text[i])) {
    uint64_t digit = static_cast<uint64_t>(text[i] - '0');
    if (value > (std::numeric_limits<uint64_t>::max() - digit) / 10) {
      return std::nullopt;
    }
    value = value * 10 + digit;
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
  if (value > std::numeric_limits<uint64_t>::max() / multiplier) {
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
