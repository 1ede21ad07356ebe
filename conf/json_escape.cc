#include "conf/json_escape.h"

#include <array>
#include <bit>
#include <cstdint>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace slotgate::conf {
namespace {

// Length of the valid UTF-8 sequence starting at p (before end), or 0 if invalid.
size_t utf8SequenceLength(const char* p, const char* end) {
  const auto avail = static_cast<size_t>(end - p);
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(p[k]); };
  const auto cont = [&](size_t k, unsigned char lo = 0x80, unsigned char hi = 0xBF) {
    return k < avail && byte(k) >= lo && byte(k) <= hi;
  };
  const unsigned char c = byte(0);
  if (c >= 0xC2 && c <= 0xDF) {
    return cont(1) ? 2 : 0;
  }
  if (c >= 0xE0 && c <= 0xEF) {
    const unsigned char lo = c == 0xE0 ? 0xA0 : 0x80;
    const unsigned char hi = c == 0xED ? 0x9F : 0xBF;  // no UTF-16 surrogates
    return cont(1, lo, hi) && cont(2) ? 3 : 0;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    const unsigned char lo = c == 0xF0 ? 0x90 : 0x80;
    const unsigned char hi = c == 0xF4 ? 0x8F : 0xBF;  // ≤ U+10FFFF
    return cont(1, lo, hi) && cont(2) && cont(3) ? 4 : 0;
  }
  return 0;
}

// Bytes copied verbatim into a JSON string without a look at their neighbours: printable
// ASCII but '"' and '\\'.
constexpr std::array<bool, 256> makeVerbatimTable() {
  std::array<bool, 256> t{};
  for (int c = 0x20; c < 0x80; ++c) {
    t[c] = c != '"' && c != '\\';
  }
  return t;
}
constexpr std::array<bool, 256> kVerbatim = makeVerbatimTable();

constexpr uint64_t kOnes = 0x0101010101010101ULL;
constexpr uint64_t kHighBits = 0x8080808080808080ULL;

// The high bit of each byte of `word` that is not verbatim (< 0x20, '"', '\\' or ≥ 0x80).
// A borrow of the subtractions can only mark a byte above one already marked for itself, so
// the lowest mark is always exact, which is all the scan below reads.
uint64_t specialBytes(uint64_t word) {
  const uint64_t control = (word - kOnes * 0x20) & ~word;
  const uint64_t quote = word ^ (kOnes * '"');
  const uint64_t backslash = word ^ (kOnes * '\\');
  return (control | ((quote - kOnes) & ~quote) | ((backslash - kOnes) & ~backslash) | word) &
         kHighBits;
}

uint64_t loadWord(const char* p) {
  uint64_t word;
  std::memcpy(&word, p, sizeof(word));
  return word;
}

// The leading run of verbatim bytes of a short [p, p + n), n < 16: 8 bytes per step, the last
// partial word read as an overlapping full one (its first bytes are known verbatim already).
size_t shortVerbatimRun(const char* p, size_t n) {
  static_assert(std::endian::native == std::endian::little, "the lowest mark is the first byte");
  if (n < sizeof(uint64_t)) {
    size_t i = 0;
    while (i < n && kVerbatim[static_cast<unsigned char>(p[i])]) {
      ++i;
    }
    return i;
  }
  size_t i = 0;
  for (; i + sizeof(uint64_t) <= n; i += sizeof(uint64_t)) {
    if (const uint64_t marks = specialBytes(loadWord(p + i)); marks != 0) {
      return i + static_cast<size_t>(std::countr_zero(marks)) / 8;
    }
  }
  if (i == n) {
    return n;
  }
  const size_t last = n - sizeof(uint64_t);
  const uint64_t marks = specialBytes(loadWord(p + last));
  return marks == 0 ? n : last + static_cast<size_t>(std::countr_zero(marks)) / 8;
}

#if defined(__SSE2__)
// The bytes of a 16-byte block that are not verbatim, one bit each. A signed compare with 0x20
// takes in both the control bytes and those >= 0x80.
unsigned specialBytesOf(__m128i bytes) {
  const __m128i special = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(bytes, _mm_set1_epi8('"')),
                                                    _mm_cmpeq_epi8(bytes, _mm_set1_epi8('\\'))),
                                       _mm_cmplt_epi8(bytes, _mm_set1_epi8(0x20)));
  return static_cast<unsigned>(_mm_movemask_epi8(special));
}
// The same of p[0, 16).
unsigned specialBytes16(const char* p) {
  return specialBytesOf(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
}
#endif

// Length of the leading run of verbatim bytes of [p, p + n). Config ids, paths, request ids
// and JSON keys are that run from end to end, so it goes 16 bytes per step (SSE2, in every
// x86-64) or 8 (elsewhere); the last partial block is read as an overlapping full one.
size_t verbatimRun(const char* p, size_t n) {
#if defined(__SSE2__)
  constexpr size_t kBlock = 16;
  if (n < kBlock) {
    return shortVerbatimRun(p, n);
  }
  size_t i = 0;
  for (; i + kBlock <= n; i += kBlock) {
    if (const unsigned marks = specialBytes16(p + i); marks != 0) {
      return i + static_cast<size_t>(std::countr_zero(marks));
    }
  }
  if (i == n) {
    return n;
  }
  const size_t last = n - kBlock;
  const unsigned marks = specialBytes16(p + last);
  return marks == 0 ? n : last + static_cast<size_t>(std::countr_zero(marks));
#else
  if (n < 16) {
    return shortVerbatimRun(p, n);
  }
  size_t i = 0;
  for (; i + 16 <= n; i += 8) {
    if (const uint64_t marks = specialBytes(loadWord(p + i)); marks != 0) {
      return i + static_cast<size_t>(std::countr_zero(marks)) / 8;
    }
  }
  return i + shortVerbatimRun(p + i, n - i);
#endif
}

char* put(char* out, std::string_view text) {
  std::memcpy(out, text.data(), text.size());
  return out + text.size();
}

// The escape of one ASCII byte that is not verbatim.
char* writeEscape(char* out, unsigned char c) {
  static constexpr char kHex[] = "0123456789abcdef";
  switch (c) {
    case '"':
      return put(out, "\\\"");
    case '\\':
      return put(out, "\\\\");
    case '\n':
      return put(out, "\\n");
    case '\r':
      return put(out, "\\r");
    case '\t':
      return put(out, "\\t");
    case '\b':
      return put(out, "\\b");
    case '\f':
      return put(out, "\\f");
    default:
      out = put(out, "\\u00");
      *out++ = kHex[c >> 4];
      *out++ = kHex[c & 0xF];
      return out;
  }
}

// writeJsonEscaped from `p`, all before it written already.
char* writeEscapedFrom(char* out, const char* p, const char* end) {
  while (p != end) {
    const auto c = static_cast<unsigned char>(*p);
    if (c >= 0x80) {
      if (const size_t len = utf8SequenceLength(p, end); len > 0) {
        out = put(out, std::string_view(p, len));
        p += len;
      } else {
        out = put(out, "\xEF\xBF\xBD");  // U+FFFD for a byte that is not valid UTF-8
        ++p;
      }
    } else {
      out = writeEscape(out, c);
      ++p;
    }
    const size_t run = verbatimRun(p, static_cast<size_t>(end - p));
    out = put(out, std::string_view(p, run));
    p += run;
  }
  return out;
}

// writeJsonEscaped, the general way (out of line: the short verbatim strings it is spared
// need none of its registers).
[[gnu::noinline]] char* writeEscapedString(char* out, std::string_view s) {
  if (s.empty()) {
    return out;  // a default string_view's data() is null, which memcpy may not see
  }
  const size_t run = verbatimRun(s.data(), s.size());
  out = put(out, s.substr(0, run));
  if (run == s.size()) {
    return out;
  }
  return writeEscapedFrom(out, s.data() + run, s.data() + s.size());
}

}  // namespace

size_t jsonVerbatimRun(std::string_view s) { return verbatimRun(s.data(), s.size()); }

char* writeJsonEscaped(char* out, std::string_view s) {
#if defined(__SSE2__)
  // The short strings of a log line (ids, names, a method, a path) are verbatim end to end: a
  // length from 4 to 32 is checked as one or two 16-byte blocks loaded as two overlapping
  // halves (4, 8 or 16 bytes each) and copied as two overlapping stores, without a scan loop
  // or a call to memcpy. Anything else, or a special byte found, takes the general way from
  // the start (`out` has the room either way).
  const char* p = s.data();
  const size_t n = s.size();
  if (n >= sizeof(uint64_t) && n <= 2 * sizeof(uint64_t)) {
    const uint64_t head = loadWord(p);
    const uint64_t tail = loadWord(p + n - sizeof(uint64_t));
    if (specialBytesOf(_mm_set_epi64x(static_cast<int64_t>(tail), static_cast<int64_t>(head))) ==
        0) {
      std::memcpy(out, &head, sizeof(head));
      std::memcpy(out + n - sizeof(uint64_t), &tail, sizeof(tail));
      return out + n;
    }
  } else if (n >= sizeof(uint32_t) && n < sizeof(uint64_t)) {
    uint32_t head;
    uint32_t tail;
    std::memcpy(&head, p, sizeof(head));
    std::memcpy(&tail, p + n - sizeof(uint32_t), sizeof(tail));
    constexpr int kPlain = 0x61616161;  // "aaaa" in the lanes not loaded
    if (specialBytesOf(
            _mm_set_epi32(kPlain, kPlain, static_cast<int>(tail), static_cast<int>(head))) == 0) {
      std::memcpy(out, &head, sizeof(head));
      std::memcpy(out + n - sizeof(uint32_t), &tail, sizeof(tail));
      return out + n;
    }
  } else if (n > 16 && n <= 32) {
    const __m128i head = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    const __m128i tail = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + n - 16));
    if ((specialBytesOf(head) | specialBytesOf(tail)) == 0) {
      _mm_storeu_si128(reinterpret_cast<__m128i*>(out), head);
      _mm_storeu_si128(reinterpret_cast<__m128i*>(out + n - 16), tail);
      return out + n;
    }
  }
#endif
  return writeEscapedString(out, s);
}

void appendJsonEscaped(std::string& out, std::string_view s) {
  const size_t run = verbatimRun(s.data(), s.size());
  if (run == s.size()) {
    out.append(s);
    return;
  }
  const size_t start = out.size();
  out.resize(start + run + kJsonEscapeMaxGrowth * (s.size() - run));
  char* end = put(out.data() + start, s.substr(0, run));
  end = writeEscapedFrom(end, s.data() + run, s.data() + s.size());
  out.resize(static_cast<size_t>(end - out.data()));
}

}  // namespace slotgate::conf
