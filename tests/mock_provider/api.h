// Names shared by the mock provider's modules: the model endpoints it serves and the
// failure modes it can be told to produce. Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace slotgate::mock {

// The model endpoints. kCount doubles as "not a model endpoint".
enum class ApiPath : uint8_t {
  kChatCompletions,
  kCompletions,
  kEmbeddings,
  kResponses,
  kMessages,
  kMessagesCountTokens,  // Anthropic's POST /v1/messages/count_tokens
  kCount,
};

[[nodiscard]] std::string_view apiPathName(ApiPath path);
[[nodiscard]] std::optional<ApiPath> apiPathFromUri(std::string_view path);
[[nodiscard]] inline bool isAnthropic(ApiPath path) {
  return path == ApiPath::kMessages || path == ApiPath::kMessagesCountTokens;
}
// Paths whose answers can stream (`"stream": true`).
[[nodiscard]] inline bool canStream(ApiPath path) {
  return path != ApiPath::kEmbeddings && path != ApiPath::kMessagesCountTokens;
}

enum class FailMode : uint8_t { kNone, k500, k429, k400, k401, kHang, kDrop, kClose };

[[nodiscard]] std::optional<FailMode> parseFailMode(std::string_view text);
[[nodiscard]] std::string_view failModeName(FailMode mode);
// HTTP status for the modes that answer with an error body, 0 for the others.
[[nodiscard]] int failStatus(FailMode mode);

}  // namespace slotgate::mock
