#include "gateway/proxy/plain_usage.h"

#include <cstdint>

#include "conf/json_escape.h"
#include "gateway/proxy/usage_fields.h"

namespace slotgate::gateway {
namespace {

// One forward pass over the usage text; every method returns false where the text leaves
// the plain shape.
class PlainUsageReader {
 public:
  explicit PlainUsageReader(std::string_view text)
      : p_(text.data()), end_(text.data() + text.size()) {}

  bool read(metrics::TokenUsage& u, bool& any) {
    return object([&](std::string_view key) { return member(key, u, any); });
  }

  // After the usage object: more members of the body's outermost object with a plain value
  // (OpenAI's "system_fingerprint"), its closing brace, then only space.
  bool closesTheBody() {
    while (true) {
      skipSpace();
      if (p_ == end_) {
        return false;
      }
      const char c = *p_++;
      if (c == '}') {
        skipSpace();
        return p_ == end_;
      }
      std::string_view k;
      if (c != ',' || !plainString(k) || !consume(':') || !plainScalar()) {
        return false;
      }
    }
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

  bool consume(char c) {
    skipSpace();
    if (p_ == end_ || *p_ != c) {
      return false;
    }
    ++p_;
    return true;
  }

  // A string of printable ASCII without escapes (anything else: simdjson decides).
  bool plainString(std::string_view& out) {
    if (!consume('"')) {
      return false;
    }
    const size_t run = conf::jsonVerbatimRun(std::string_view(p_, static_cast<size_t>(end_ - p_)));
    if (run == static_cast<size_t>(end_ - p_) || p_[run] != '"') {
      return false;
    }
    out = std::string_view(p_, run);
    p_ += run + 1;
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
  // then finds neither ',' nor '}' after it.
  bool count(uint64_t& out) {
    skipSpace();
    const char* start = p_;
    uint64_t n = 0;
    while (p_ != end_ && *p_ >= '0' && *p_ <= '9') {
      n = n * 10 + static_cast<uint64_t>(*p_ - '0');
      ++p_;
    }
    const auto digits = static_cast<size_t>(p_ - start);
    if (digits == 0 || digits > 19 || (digits > 1 && *start == '0')) {
      return false;
    }
    out = n;
    return true;
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

  bool nextIsObject() {
    skipSpace();
    return p_ != end_ && *p_ == '{';
  }

  // '{' [key ':' <onMember(key)> (',' key ':' <onMember(key)>)*] '}'.
  template <typename OnMember>
  bool object(OnMember&& onMember) {
    if (!consume('{')) {
      return false;
    }
    skipSpace();
    if (p_ != end_ && *p_ == '}') {
      ++p_;
      return true;
    }
    while (true) {
      std::string_view k;
      if (!plainString(k) || !consume(':') || !onMember(k)) {
        return false;
      }
      skipSpace();
      if (p_ == end_) {
        return false;
      }
      const char c = *p_++;
      if (c == '}') {
        return true;
      }
      if (c != ',') {
        return false;
      }
    }
  }

  // A flat object of counts; `cached_tokens` of it (the last one) into `cached`.
  bool details(uint64_t& cached, bool& found) {
    return object([&](std::string_view k) {
      uint64_t n = 0;
      if (!count(n)) {
        return false;
      }
      if (k == kUsageCachedTokens) {
        cached = n;
        found = true;
      }
      return true;
    });
  }

  // One member of the usage object, applied as readUsageObject applies it.
  bool member(std::string_view k, metrics::TokenUsage& u, bool& any) {
    uint64_t* target = usageCountOf(u, k);
    if (isUsageDetails(k)) {
      bool found = false;
      if (!nextIsObject() || !details(u.cache_read_tokens, found)) {
        return false;
      }
      any = any || found;
      return true;
    }
    if (nextIsObject()) {
      // Some other member's flat object of counts is skipped; a count where one is named
      // never is an object here (left to simdjson).
      bool unused = false;
      uint64_t ignored = 0;
      return target == nullptr && details(ignored, unused);
    }
    uint64_t n = 0;
    if (!count(n)) {
      return false;
    }
    if (target != nullptr) {
      *target = n;
      any = true;
    }
    return true;
  }

  const char* p_;
  const char* const end_;
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
