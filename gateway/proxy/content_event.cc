#include "gateway/proxy/content_event.h"

#include <array>

namespace slotgate::gateway {
namespace {

size_t skipSpace(std::string_view s, size_t i) {
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')) {
    ++i;
  }
  return i;
}

// `"key"` followed by `:` and a value starting with one of `starts` (a '"' start also needs a
// non-empty string).
bool hasValue(std::string_view data, std::string_view quoted_key, std::string_view starts) {
  for (size_t at = data.find(quoted_key); at != std::string_view::npos;
       at = data.find(quoted_key, at + 1)) {
    size_t i = skipSpace(data, at + quoted_key.size());
    if (i >= data.size() || data[i] != ':') {
      continue;
    }
    i = skipSpace(data, i + 1);
    if (i >= data.size() || starts.find(data[i]) == std::string_view::npos) {
      continue;
    }
    if (data[i] != '"' || (i + 1 < data.size() && data[i + 1] != '"')) {
      return true;
    }
  }
  return false;
}

bool endsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

}  // namespace

bool isContentEvent(conf::ProviderType format, std::string_view event, std::string_view data) {
  if (format == conf::ProviderType::kAnthropic) {
    return event == "content_block_delta" ||
           (event.empty() && data.find("\"content_block_delta\"") != std::string_view::npos);
  }
  if (!event.empty()) {
    return endsWith(event, ".delta");
  }
  if (data == "[DONE]") {
    return false;
  }
  static constexpr std::array<std::string_view, 4> kTextKeys = {
      "\"content\"", "\"text\"", "\"refusal\"", "\"reasoning_content\""};
  for (std::string_view key : kTextKeys) {
    if (hasValue(data, key, "\"")) {
      return true;
    }
  }
  return hasValue(data, "\"tool_calls\"", "[") || hasValue(data, "\"function_call\"", "{");
}

}  // namespace slotgate::gateway
