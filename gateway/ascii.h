// ASCII case folding for HTTP header names and tokens (RFC 9110: field names
// and tokens are ASCII, compared case-insensitively).
//
// Inline and locale-free: std::tolower is an out-of-line libc call per byte
// (and locale-dependent), which made lower-casing header names a visible share
// of a proxied request's CPU. Pure functions, thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace slotgate::gateway {

constexpr char asciiLower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

// Appends `s` to `out`, lower-cased.
inline void appendAsciiLower(std::string& out, std::string_view s) {
  const size_t old = out.size();
  out.append(s);
  for (size_t i = old; i < out.size(); ++i) {
    out[i] = asciiLower(out[i]);
  }
}

inline void toAsciiLower(std::string& s) {
  for (char& c : s) {
    c = asciiLower(c);
  }
}

inline bool iequalsAscii(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) {
    return false;
  }
  for (size_t i = 0; i < a.size(); ++i) {
    if (asciiLower(a[i]) != asciiLower(b[i])) {
      return false;
    }
  }
  return true;
}

}  // namespace slotgate::gateway
