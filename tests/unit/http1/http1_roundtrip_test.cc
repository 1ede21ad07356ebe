// Round-trip property of the request parser: any request it accepts,
// re-serialised in canonical form and parsed again, is the same message
// (method, target, version, fields, framing, body). Requests come from a
// deterministic generator of valid messages in varied spellings (OWS, hex
// case, leading zeros, chunk extensions, trailers), a third of them with one
// random byte changed, inserted or removed.
#include <gtest/gtest.h>

#include <random>
#include <string>

#include "tests/unit/http1/http1_driver.h"

namespace slotgate::gateway::testing {
namespace {

constexpr std::string_view kTchar =
    "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
constexpr std::string_view kTargetChars =
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~!$&'()*+,;=:@/?%";

class Generator {
 public:
  explicit Generator(uint64_t seed) : rng_(seed) {}

  size_t below(size_t n) {
    return n == 0 ? 0 : std::uniform_int_distribution<size_t>(0, n - 1)(rng_);
  }
  bool chance(int percent) { return below(100) < static_cast<size_t>(percent); }

  std::string pick(std::string_view set, size_t min_len, size_t max_len) {
    std::string s;
    const size_t n = min_len + below(max_len - min_len + 1);
    for (size_t i = 0; i < n; ++i) {
      s += set[below(set.size())];
    }
    return s;
  }
  std::string ows() { return pick(" \t", 0, 2); }
  std::string value() {
    std::string v;
    const size_t n = below(24);
    for (size_t i = 0; i < n; ++i) {
      const size_t kind = below(10);
      unsigned char c = kind == 0   ? static_cast<unsigned char>(0x80 + below(128))
                        : kind == 1 ? ' '
                        : kind == 2 ? '\t'
                                    : static_cast<unsigned char>(0x21 + below(0x7e - 0x21 + 1));
      v += static_cast<char>(c);
    }
    return v;
  }
  std::string hex(size_t n) {
    char buf[32];
    std::snprintf(buf, sizeof buf, chance(50) ? "%zx" : "%zX", n);
    return std::string(below(3), '0') + buf;
  }
  std::string extensions() {
    std::string e;
    const size_t n = below(3);
    for (size_t i = 0; i < n; ++i) {
      e += ows() + ";" + ows() + pick(kTchar, 1, 6);
      if (chance(60)) {
        e += ows() + "=" + ows();
        // quoted-string: qdtext and quoted-pairs (an escaped DQUOTE or backslash).
        e += chance(50) ? pick(kTchar, 1, 6)
                        : "\"" + pick("ab \tc", 0, 4) + (chance(50) ? "\\\"" : "\\\\") +
                              pick("ab \tc", 0, 4) + "\"";
      }
    }
    return e;
  }

  std::string request() {
    const int minor = chance(85) ? 1 : 0;
    std::string msg = pick(kTchar, 1, 8) + " /" + pick(kTargetChars, 0, 30) + " HTTP/1." +
                      std::to_string(minor) + "\r\n";
    if (chance(10)) {
      msg = "\r\n" + msg;
    }
    if (minor == 1) {
      msg += "Host:" + ows() + pick("abc.-:019", 0, 12) + ows() + "\r\n";
    }
    const size_t fields = below(8);
    for (size_t i = 0; i < fields; ++i) {
      msg += "X-" + pick(kTchar, 1, 10) + ":" + ows() + value() + ows() + "\r\n";
    }
    const std::string body = pick("abc{}\"\r\n\x01\xff", 0, 200);
    const size_t framing = below(3);
    if (framing == 1 || (framing == 2 && minor == 0)) {
      msg += "Content-Length:" + ows() + std::string(below(2), '0') + std::to_string(body.size()) +
             ows() + "\r\n\r\n" + body;
    } else if (framing == 2) {
      msg +=
          "Transfer-Encoding:" + ows() + (chance(50) ? "chunked" : "Chunked") + ows() + "\r\n\r\n";
      size_t at = 0;
      while (at < body.size()) {
        const size_t n = 1 + below(std::min<size_t>(body.size() - at, 64));
        msg += hex(n) + extensions() + "\r\n" + body.substr(at, n) + "\r\n";
        at += n;
      }
      msg += std::string(1 + below(2), '0') + extensions() + "\r\n";
      const size_t trailers = below(3);
      for (size_t i = 0; i < trailers; ++i) {
        msg += pick(kTchar, 1, 8) + ":" + ows() + value() + "\r\n";
      }
      msg += "\r\n";
    } else {
      msg += "\r\n";
    }
    return msg;
  }

  void mutate(std::string& msg) {
    const size_t at = below(msg.size());
    const char byte = static_cast<char>(below(256));
    switch (below(3)) {
      case 0:
        msg[at] = byte;
        break;
      case 1:
        msg.insert(msg.begin() + static_cast<std::ptrdiff_t>(at), byte);
        break;
      default:
        msg.erase(at, 1);
        break;
    }
  }

 private:
  std::mt19937_64 rng_;
};

TEST(Http1ParserProperty, AcceptedRequestsRoundTrip) {
  Generator gen(20261203);
  int accepted = 0;
  int mutated_refused = 0;
  for (int i = 0; i < 3000; ++i) {
    std::string msg = gen.request();
    const bool mutated = gen.chance(33);
    if (mutated) {
      gen.mutate(msg);
    }
    ParsedMessage first = parseWhole(msg);
    if (first.status != Http1Parser::Status::kMessageComplete) {
      ASSERT_TRUE(mutated) << "generated request refused (" << http1ErrorName(first.error) << " at "
                           << first.error_offset << "): " << msg;
      ++mutated_refused;
      continue;
    }
    ++accepted;
    const std::string again = serialiseRequest(first);
    ParsedMessage second = parseWhole(again);
    ASSERT_EQ(second.status, Http1Parser::Status::kMessageComplete)
        << http1ErrorName(second.error) << "\n"
        << again;
    first.consumed = second.consumed = 0;
    ASSERT_EQ(first, second) << "original:\n" << msg << "\nre-serialised:\n" << again;
  }
  EXPECT_GT(accepted, 2000);
  EXPECT_GT(mutated_refused, 100);  // the mutations do reach the refusals
}

}  // namespace
}  // namespace slotgate::gateway::testing
