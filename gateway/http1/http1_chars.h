// Byte classes of HTTP/1.1 (RFC 9110 5.6, RFC 9112, RFC 3986), one table
// lookup per byte for the parser's inner loops. Internal to the HTTP/1.1
// parser and chunked decoder. Pure, thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace slotgate::gateway::http1 {

enum CharClass : uint8_t {
  kToken = 1 << 0,   // tchar: field names, methods, chunk-extension names and tokens
  kTarget = 1 << 1,  // allowed in a request-target: RFC 3986 URI characters, no '#'
  kValue = 1 << 2,   // field-vchar, SP, HTAB, obs-text: field values and reason phrases
  kHex = 1 << 3,     // HEXDIG
  kQdText = 1 << 4,  // qdtext of a quoted-string (RFC 9110 5.6.4)
  kHost = 1 << 5,    // Host value: reg-name / IP-literal characters, ':' and a port
  kOws = 1 << 6,     // SP, HTAB
};

constexpr bool isAlnum(unsigned c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

constexpr bool in(unsigned c, std::string_view set) {
  for (const char s : set) {
    if (static_cast<unsigned char>(s) == c) {
      return true;
    }
  }
  return false;
}

constexpr std::array<uint8_t, 256> makeCharTable() {
  std::array<uint8_t, 256> t{};
  for (unsigned c = 0; c < 256; ++c) {
    uint8_t f = 0;
    if (isAlnum(c) || in(c, "!#$%&'*+-.^_`|~")) {
      f |= kToken;
    }
    if (isAlnum(c) || in(c, "-._~!$&'()*+,;=:@/?%[]")) {
      f |= kTarget;
    }
    if (c == '\t' || c == ' ' || (c >= 0x21 && c <= 0x7e) || c >= 0x80) {
      f |= kValue;
    }
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')) {
      f |= kHex;
    }
    if (c == '\t' || c == ' ' || c == 0x21 || (c >= 0x23 && c <= 0x5b) ||
        (c >= 0x5d && c <= 0x7e) || c >= 0x80) {
      f |= kQdText;
    }
    if (isAlnum(c) || in(c, "-._~!$&'()*+,;=:[]%")) {
      f |= kHost;
    }
    if (c == ' ' || c == '\t') {
      f |= kOws;
    }
    t[c] = f;
  }
  return t;
}

inline constexpr std::array<uint8_t, 256> kCharTable = makeCharTable();

constexpr bool is(unsigned char c, CharClass cls) { return (kCharTable[c] & cls) != 0; }

constexpr char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

// Case-insensitive comparison with a lower-case literal.
constexpr bool equalsLower(std::string_view s, std::string_view lower_literal) {
  if (s.size() != lower_literal.size()) {
    return false;
  }
  for (size_t i = 0; i < s.size(); ++i) {
    if (lower(s[i]) != lower_literal[i]) {
      return false;
    }
  }
  return true;
}

constexpr int hexValue(unsigned char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  return (c | 0x20) - 'a' + 10;
}

}  // namespace slotgate::gateway::http1
