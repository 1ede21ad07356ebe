// ASCII case folding for HTTP header names and tokens (RFC 9110: field names
// and tokens are ASCII, compared case-insensitively), and token lists.
//
// Inline and locale-free: std::tolower is an out-of-line libc call per byte
// (and locale-dependent), which made lower-casing header names a visible share
// of a proxied request's CPU. Pure functions, thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace slotgate::gateway {

constexpr char asciiLower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

// The 8 bytes of `w`, each lower-cased (a header name is lower-cased on every request, 8 bytes
// per step). Within each byte: adding 0x3F to its low 7 bits sets bit 7 from 'A' on, adding
// 0x25 from '[' on, and bytes >= 0x80 are left out; no sum carries into the next byte.
constexpr uint64_t asciiLowerWord(uint64_t w) {
  constexpr uint64_t kLow7 = 0x7F7F7F7F7F7F7F7F;
  constexpr uint64_t kHigh = 0x8080808080808080;
  const uint64_t low7 = w & kLow7;
  const uint64_t from_a = low7 + 0x3F3F3F3F3F3F3F3F;     // bit 7: >= 'A'
  const uint64_t past_z = low7 + 0x2525252525252525;     // bit 7: >= '['
  const uint64_t upper = from_a & ~past_z & ~w & kHigh;  // 'A'..'Z', ASCII only
  return w | upper >> 2;                                 // bit 7 -> bit 5 (0x20)
}

// Appends `s` to `out`, lower-cased.
inline void appendAsciiLower(std::string& out, std::string_view s) {
  const size_t old = out.size();
  out.append(s);
  char* d = out.data() + old;
  const size_t n = s.size();
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t w;
    std::memcpy(&w, d + i, sizeof w);
    w = asciiLowerWord(w);
    std::memcpy(d + i, &w, sizeof w);
  }
  for (; i < n; ++i) {
    d[i] = asciiLower(d[i]);
  }
}

// Writes `s` lower-cased to out[0, s.size()) in one pass (out must not overlap s). From 8 bytes
// on, the last word is written overlapping the one before: lower-casing twice changes nothing.
inline void copyAsciiLower(char* out, std::string_view s) {
  const size_t n = s.size();
  if (n < 8) {
    for (size_t i = 0; i < n; ++i) {
      out[i] = asciiLower(s[i]);
    }
    return;
  }
  uint64_t w;
  for (size_t i = 0; i + 8 < n; i += 8) {
    std::memcpy(&w, s.data() + i, sizeof w);
    w = asciiLowerWord(w);
    std::memcpy(out + i, &w, sizeof w);
  }
  std::memcpy(&w, s.data() + n - 8, sizeof w);
  w = asciiLowerWord(w);
  std::memcpy(out + n - 8, &w, sizeof w);
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
