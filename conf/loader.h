// Loads and validates a YAML config into an immutable conf::Config.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "conf/config.h"

namespace slotgate::conf {

// One validation problem; path is the YAML path, e.g.
// "providers[1].keys[0].max_concurrency", message e.g. "must be > 0".
struct ConfigError {
  std::string path;
  std::string message;
  std::string toString() const { return path + ": " + message; }
};

struct LoadResult {
  ConfigPtr config;                 // null when errors is non-empty
  std::vector<ConfigError> errors;  // every problem found, in document order
  bool ok() const { return errors.empty() && config != nullptr; }
};

// Reads environment variables; tests pass their own.
using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;
EnvLookup processEnv();

// Config files larger than this are refused unread.
inline constexpr size_t kMaxConfigBytes = 16u << 20;

// Neither function throws: every problem, however the input is malformed, is
// an entry of `errors`.
[[nodiscard]] LoadResult loadConfigFile(const std::string& path,
                                        const EnvLookup& env = processEnv());
[[nodiscard]] LoadResult loadConfigString(const std::string& yaml,
                                          const EnvLookup& env = processEnv());

}  // namespace slotgate::conf
