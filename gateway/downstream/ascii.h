// ASCII case folding for HTTP header names and tokens (RFC 9110: field names
// and tokens are ASCII, compared case-insensitively), and token lists.
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

// `s` without leading and trailing optional white space (RFC 9110 5.6.3: SP and HTAB).
constexpr std::string_view trimOws(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
    s.remove_suffix(1);
  }
  return s;
}

// Whether `list` (a comma-separated header value, RFC 9110 5.6.1, e.g. Connection or Upgrade)
// holds `token`, compared case-insensitively.
inline bool listHasToken(std::string_view list, std::string_view token) {
  while (true) {
    const size_t comma = list.find(',');
    if (iequalsAscii(trimOws(list.substr(0, comma)), token)) {
      return true;
    }
    if (comma == std::string_view::npos) {
      return false;
    }
    list.remove_prefix(comma + 1);
  }
}

}  // namespace slotgate::gateway
