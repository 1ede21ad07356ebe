#include "gateway/proxy/usage_candidate.h"

#include <string.h>  // memrchr (GNU)

namespace slotgate::gateway {
namespace {

constexpr std::string_view kKey = "\"usage\"";

bool isSpace(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

size_t skipSpace(std::string_view text, size_t i) {
  while (i < text.size() && isSpace(text[i])) {
    ++i;
  }
  return i;
}

// Start of the last kKey in text, or npos. Anchored on the 'u' (memrchr):
// quotes are too frequent in JSON to anchor on.
size_t rfindKey(std::string_view text) {
  size_t end = text.size();
  while (end > 0) {
    const void* hit = memrchr(text.data(), 'u', end);
    if (hit == nullptr) {
      return std::string_view::npos;
    }
    const size_t u = static_cast<size_t>(static_cast<const char*>(hit) - text.data());
    if (u >= 1 && text.substr(u - 1, kKey.size()) == kKey) {
      return u - 1;
    }
    end = u;
  }
  return std::string_view::npos;
}

}  // namespace

size_t lastUsageValueOffset(std::string_view body) {
  constexpr size_t kNone = std::string_view::npos;
  const size_t first = skipSpace(body, 0);
  size_t end = body.size();
  while (end > first && isSpace(body[end - 1])) {
    --end;
  }
  if (first >= end || body[first] != '{' || body[end - 1] != '}') {
    return kNone;
  }
  const size_t at = rfindKey(body.substr(0, end));
  // at > first: the body's opening '{' comes before any key.
  if (at == kNone || at <= first || body[at - 1] == '\\') {
    return kNone;
  }
  size_t i = skipSpace(body, at + kKey.size());
  if (i >= end || body[i] != ':') {
    return kNone;
  }
  i = skipSpace(body, i + 1);
  if (i >= end || body[i] != '{') {
    return kNone;
  }
  if (rfindKey(body.substr(0, at)) != kNone) {
    return kNone;  // cheaper than memmem: few 'u's precede usage in a provider body
  }
  return i;
}

}  // namespace slotgate::gateway
