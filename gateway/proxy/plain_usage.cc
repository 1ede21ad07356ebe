#include "gateway/proxy/plain_usage.h"

#include <bit>
#include <cstdint>

#include "conf/json_escape.h"
#include "gateway/proxy/usage_fields.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace slotgate::gateway {
namespace {

// One forward pass over the usage text. Every step is written out inline (the text is ~250
// bytes of ~80 tokens: a call or a generic scan per token would cost more than the token);
// every method returns false where the text leaves the plain shape.
class PlainUsageReader {
 public:
  explicit PlainUsageReader(std::string_view text)
      : p_(text.data()), end_(text.data() + text.size()) {}

  // The usage object: '{' [member (',' member)*] '}'.
  bool read(metrics::TokenUsage& u, bool& any) {
    if (!open()) {
      return false;
    }
    if (closesEmpty()) {
      return true;
    }
    do {
      std::string_view k;
      if (!key(k)) {
        return false;
      }
      if (uint64_t* target = usageCountOf(u, k); target != nullptr) {
        if (!count(*target)) {  // an object where a count goes too (left to simdjson)
          return false;
        }
        any = true;
      } else if (isUsageDetails(k)) {
        bool found = false;
        if (!open() || !details(u.cache_read_tokens, found)) {
          return false;
        }
        any = any || found;
      } else {
        // Another member: a count, or a flat object of counts (skipped).
        uint64_t ignored = 0;
        bool unused = false;
        skipSpace();
        if (p_ != end_ && *p_ == '{') {
          ++p_;
          if (!details(ignored, unused)) {
            return false;
          }
        } else if (!count(ignored)) {
          return false;
        }
      }
    } while (next());
    return ok_;
  }

  // After the usage object: more members of the body's outermost object with a plain value
  // (OpenAI's "system_fingerprint"), its closing brace, then only space.
  bool closesTheBody() {
    while (next()) {
      std::string_view k;
      if (!key(k) || !plainScalar()) {
        return false;
      }
    }
    if (!ok_) {
      return false;
    }
    skipSpace();
    return p_ == end_;
  }

 private:
  static bool isSpace(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

  void skipSpace() {
    // Compact bodies have no space between tokens: one compare says so.
    if (p_ != end_ && static_cast<unsigned char>(*p_) > ' ') {
      return;
    }
    while (p_ != end_ && isSpace(*p_)) {
      ++p_;
    }
  }

  // '{' after optional space.
  bool open() {
    skipSpace();
    if (p_ == end_ || *p_ != '{') {
      return false;
    }
    ++p_;
    return true;
  }

  // After an object's '{': whether '}' closes it at once (consumed).
  bool closesEmpty() {
    skipSpace();
    if (p_ != end_ && *p_ == '}') {
      ++p_;
      return true;
    }
    return false;
  }

  // After a member: true on ',', false on '}' (ok_ stays) or anything else (ok_ cleared).
  bool next() {
    skipSpace();
    if (p_ != end_) {
      const char c = *p_++;
      if (c == ',') {
        return true;
      }
      if (c == '}') {
        return false;
      }
    }
    ok_ = false;
    return false;
  }

  // A string of printable ASCII without escapes (anything else: simdjson decides), after
  // optional space.
  bool plainString(std::string_view& out) {
    skipSpace();
    if (p_ == end_ || *p_ != '"') {
      return false;
    }
    ++p_;
    const auto left = static_cast<size_t>(end_ - p_);
    size_t run = 0;
#if defined(__SSE2__)
    // 16 bytes per step while that many are left (keys end within one or two); the rest, out
    // of line. A signed compare with 0x20 takes in the control bytes and those >= 0x80.
    for (; left - run >= 16; run += 16) {
      const __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p_ + run));
      const __m128i quote = _mm_cmpeq_epi8(bytes, _mm_set1_epi8('"'));
      const __m128i special =
          _mm_or_si128(_mm_or_si128(quote, _mm_cmpeq_epi8(bytes, _mm_set1_epi8('\\'))),
                       _mm_cmplt_epi8(bytes, _mm_set1_epi8(0x20)));
      if (const auto marks = static_cast<unsigned>(_mm_movemask_epi8(special)); marks != 0) {
        // The first special byte ends the string: it must be the closing quote.
        const auto at = static_cast<unsigned>(std::countr_zero(marks));
        if (((static_cast<unsigned>(_mm_movemask_epi8(quote)) >> at) & 1) == 0) {
          return false;
        }
        out = std::string_view(p_, run + at);
        p_ += run + at + 1;
        return true;
      }
    }
#endif
    run += conf::jsonVerbatimRun(std::string_view(p_ + run, left - run));
    if (run == left || p_[run] != '"') {
      return false;
    }
    out = std::string_view(p_, run);
    p_ += run + 1;
    return true;
  }

  // A member's key and its colon.
  bool key(std::string_view& out) {
    if (!plainString(out)) {
      return false;
    }
    skipSpace();
    if (p_ == end_ || *p_ != ':') {
      return false;
    }
    ++p_;
    return true;
  }

  bool literal(std::string_view word) {
    if (static_cast<size_t>(end_ - p_) < word.size() || std::string_view(p_, word.size()) != word) {
      return false;
    }
    p_ += word.size();
    return true;
  }

  // A JSON unsigned integer as simdjson's get_uint64 reads it: "0" or no leading zero, at most
  // 19 digits (always within uint64). A fraction or exponent is left for simdjson: the caller
  // then finds neither ',' nor '}' after it. `out` is written even when false.
  bool count(uint64_t& out) {
    skipSpace();
    const char* start = p_;
    uint64_t n = 0;
    while (p_ != end_) {
      const auto digit = static_cast<unsigned>(static_cast<unsigned char>(*p_) - '0');
      if (digit > 9) {
        break;
      }
      n = n * 10 + digit;
      ++p_;
    }
    out = n;
    const auto digits = static_cast<size_t>(p_ - start);
    return digits - 1 < 19 && (digits == 1 || *start != '0');
  }

  // A plain string, a count, null, true or false: values any JSON reader takes as they are.
  bool plainScalar() {
    skipSpace();
    if (p_ == end_) {
      return false;
    }
    std::string_view text;
    uint64_t n = 0;
    switch (*p_) {
      case '"':
        return plainString(text);
      case 'n':
        return literal("null");
      case 't':
        return literal("true");
      case 'f':
        return literal("false");
      default:
        return count(n);
    }
  }

  // After a '{': a flat object of counts; `cached_tokens` of it (the last one) into `cached`.
  bool details(uint64_t& cached, bool& found) {
    if (closesEmpty()) {
      return true;
    }
    do {
      std::string_view k;
      uint64_t n = 0;
      if (!key(k) || !count(n)) {
        return false;
      }
      if (k == kUsageCachedTokens) {
        cached = n;
        found = true;
      }
    } while (next());
    return ok_;
  }

  const char* p_;
  const char* const end_;
  bool ok_ = true;  // cleared where a member is followed by neither ',' nor '}'
};

}  // namespace

bool readPlainUsage(std::string_view tail, metrics::TokenUsage& out) {
  PlainUsageReader reader(tail);
  metrics::TokenUsage u;
  bool any = false;
  if (!reader.read(u, any) || !any || !reader.closesTheBody()) {
    return false;
  }
  u.seen = true;
  out = u;
  return true;
}

}  // namespace slotgate::gateway
