// Helpers shared by the conf unit tests.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "conf/loader.h"

namespace slotgate::conf::testing {

inline EnvLookup fakeEnv(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) {
      return std::nullopt;
    }
    return it->second;
  };
}

// From CMake, not __FILE__: ccache (CCACHE_BASEDIR) makes __FILE__ relative to the build dir.
inline std::filesystem::path repoRoot() { return SLOTGATE_SOURCE_DIR; }

inline std::vector<std::string> errorLines(const LoadResult& r) {
  std::vector<std::string> out;
  for (const auto& e : r.errors) {
    out.push_back(e.toString());
  }
  return out;
}

// A small valid config; tests append or replace sections.
inline const char* kProvidersYaml = R"(
providers:
  - name: p1
    type: openai
    base_url: http://127.0.0.1:9911
    keys:
      - { id: k1, secret_env: P1_KEY, max_concurrency: 2 }
)";

inline std::map<std::string, std::string> baseEnv() {
  return {{"P1_KEY", "sk-p1-secret-value"}, {"C1_KEY", "client-one-secret"}};
}

// kProvidersYaml plus extra sections.
inline std::string withProviders(const std::string& extra) {
  return std::string(kProvidersYaml) + extra;
}

// The error lines of loading `yaml`, which must fail: without throwing, and with no config.
inline std::vector<std::string> errorsOf(const std::string& yaml,
                                         std::map<std::string, std::string> env = baseEnv()) {
  LoadResult r;
  EXPECT_NO_THROW(r = loadConfigString(yaml, fakeEnv(std::move(env))));
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.config, nullptr);
  return errorLines(r);
}

}  // namespace slotgate::conf::testing
