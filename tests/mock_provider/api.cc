#include "tests/mock_provider/api.h"

#include <array>

namespace slotgate::mock {
namespace {

constexpr std::array<std::string_view, static_cast<size_t>(ApiPath::kCount)> kPathNames = {
    "/v1/chat/completions", "/v1/completions", "/v1/embeddings",
    "/v1/responses",        "/v1/messages",    "/v1/messages/count_tokens",
};

struct FailName {
  FailMode mode;
  std::string_view name;
  int status;
};

constexpr std::array<FailName, 8> kFailNames = {{
    {FailMode::kNone, "none", 0},
    {FailMode::k500, "500", 500},
    {FailMode::k429, "429", 429},
    {FailMode::k400, "400", 400},
    {FailMode::k401, "401", 401},
    {FailMode::kHang, "hang", 0},
    {FailMode::kDrop, "drop", 0},
    {FailMode::kClose, "close", 0},
}};

}  // namespace

std::string_view apiPathName(ApiPath path) {
  if (path >= ApiPath::kCount) {
    return "other";
  }
  return kPathNames[static_cast<size_t>(path)];
}

std::optional<ApiPath> apiPathFromUri(std::string_view path) {
  for (size_t i = 0; i < kPathNames.size(); ++i) {
    if (kPathNames[i] == path) {
      return static_cast<ApiPath>(i);
    }
  }
  return std::nullopt;
}

std::optional<FailMode> parseFailMode(std::string_view text) {
  for (const auto& entry : kFailNames) {
    if (entry.name == text) {
      return entry.mode;
    }
  }
  return std::nullopt;
}

std::string_view failModeName(FailMode mode) {
  for (const auto& entry : kFailNames) {
    if (entry.mode == mode) {
      return entry.name;
    }
  }
  return "none";
}

int failStatus(FailMode mode) {
  for (const auto& entry : kFailNames) {
    if (entry.mode == mode) {
      return entry.status;
    }
  }
  return 0;
}

}  // namespace slotgate::mock
