// Byte classes of HTTP/1.1 (RFC 9110 5.6, RFC 9112, RFC 3986), one table
// lookup per byte for the parser's inner loops. Internal to the HTTP/1.1
// parser and chunked decoder. Pure, thread-safe.
#pragma once

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#if defined(__SSSE3__)
#include <tmmintrin.h>
#endif

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

#if defined(__SSSE3__)
// A class as two 16-entry tables for a nibble lookup (pshufb) over 16 bytes at once: for each
// low nibble, which high nibbles 0..7 give a byte of the class (one bit each); bytes >= 0x80
// are all in the class or all out of it (so for every class here).
struct NibbleClass {
  alignas(16) std::array<uint8_t, 16> rows{};  // [low nibble] -> bit h: (h << 4 | low) in class
  bool high_bytes = false;                     // bytes >= 0x80 in the class
};

constexpr NibbleClass makeNibbleClass(CharClass cls) {
  NibbleClass n;
  for (unsigned c = 0; c < 0x80; ++c) {
    if ((kCharTable[c] & cls) != 0) {
      n.rows[c & 0xF] = static_cast<uint8_t>(n.rows[c & 0xF] | (1u << (c >> 4)));
    }
  }
  n.high_bytes = (kCharTable[0x80] & cls) != 0;
  return n;
}

inline constexpr NibbleClass kNibbleToken = makeNibbleClass(kToken);
inline constexpr NibbleClass kNibbleTarget = makeNibbleClass(kTarget);
inline constexpr NibbleClass kNibbleValue = makeNibbleClass(kValue);
inline constexpr NibbleClass kNibbleHost = makeNibbleClass(kHost);

constexpr const NibbleClass& nibbleClass(CharClass cls) {
  return cls == kToken    ? kNibbleToken
         : cls == kTarget ? kNibbleTarget
         : cls == kHost   ? kNibbleHost
                          : kNibbleValue;
}

// One bit per byte of b[0, 16) that is not of the class.
inline unsigned outsideClass16(const unsigned char* b, const NibbleClass& cls) {
  const __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b));
  const __m128i low = _mm_and_si128(bytes, _mm_set1_epi8(0x0F));
  const __m128i high = _mm_and_si128(_mm_srli_epi16(bytes, 4), _mm_set1_epi8(0x0F));
  const __m128i rows =
      _mm_shuffle_epi8(_mm_load_si128(reinterpret_cast<const __m128i*>(cls.rows.data())), low);
  // 1 << h for h < 8; 0 for the high nibbles of bytes >= 0x80.
  const __m128i bits =
      _mm_shuffle_epi8(_mm_setr_epi8(1, 2, 4, 8, 16, 32, 64, -128, 0, 0, 0, 0, 0, 0, 0, 0), high);
  const __m128i outside = _mm_cmpeq_epi8(_mm_and_si128(rows, bits), _mm_setzero_si128());
  auto mask = static_cast<unsigned>(_mm_movemask_epi8(outside));
  if (cls.high_bytes) {
    mask &= ~static_cast<unsigned>(_mm_movemask_epi8(bytes));
  }
  return mask;
}
#endif

// The first index in [p, limit) whose byte is not of `cls` (kToken, kTarget, kValue or kHost), or
// `limit`: the parser's inner loops. 16 bytes per step with SSSE3 (x86-64-v2), else one.
inline size_t skipClass(const unsigned char* b, size_t p, size_t limit, CharClass cls) {
#if defined(__SSSE3__)
  const NibbleClass& nibbles = nibbleClass(cls);
  while (p + 16 <= limit) {
    if (const unsigned outside = outsideClass16(b + p, nibbles); outside != 0) {
      return p + static_cast<size_t>(std::countr_zero(outside));
    }
    p += 16;
  }
#endif
  while (p < limit && is(b[p], cls)) {
    ++p;
  }
  return p;
}

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

// Whether the sizeof(Word) bytes at `t`, each with bit 0x20 set, equal those at `l`.
template <typename Word>
inline bool foldedWordEquals(const char* t, const char* l) {
  Word tw;
  Word lw;
  std::memcpy(&tw, t, sizeof tw);
  std::memcpy(&lw, l, sizeof lw);
  return (tw | static_cast<Word>(0x2020202020202020)) == lw;
}

// Whether the token `token` (tchar bytes only, as the parser hands out field names) equals
// `literal`, a lower-case literal of letters, digits and '-', ignoring case; 4 or 8 bytes per
// step. Setting bit 0x20 folds exactly here: of the bytes it maps onto a lower-case letter,
// digit or '-', only the upper-case letter is a tchar besides the byte itself.
inline bool tokenEqualsLower(std::string_view token, std::string_view literal) {
  const size_t n = literal.size();
  if (token.size() != n) {
    return false;
  }
  const char* t = token.data();
  const char* l = literal.data();
  if (n >= 8) {
    for (size_t i = 0; i + 8 < n; i += 8) {
      if (!foldedWordEquals<uint64_t>(t + i, l + i)) {
        return false;
      }
    }
    return foldedWordEquals<uint64_t>(t + n - 8, l + n - 8);
  }
  if (n >= 4) {
    return foldedWordEquals<uint32_t>(t, l) && foldedWordEquals<uint32_t>(t + n - 4, l + n - 4);
  }
  return equalsLower(token, literal);
}

constexpr int hexValue(unsigned char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  return (c | 0x20) - 'a' + 10;
}

}  // namespace slotgate::gateway::http1
