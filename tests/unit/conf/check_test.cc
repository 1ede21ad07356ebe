#include "conf/check.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "tests/unit/conf/test_util.h"

namespace slotgate::conf {
namespace {

using testing::fakeEnv;

class CheckTest : public ::testing::Test {
 protected:
  std::string write(const std::string& text) {
    path_ = std::filesystem::temp_directory_path() /
            ("slotgate_check_" + std::to_string(::getpid()) + ".yaml");
    std::ofstream(path_) << text;
    return path_.string();
  }
  void TearDown() override { std::filesystem::remove(path_); }
  std::filesystem::path path_;
};

TEST_F(CheckTest, ShippedConfigIsOk) {
  std::ostringstream out;
  auto env = fakeEnv({{"MOCK_PROVIDER_KEY", "m"}, {"SLOTGATE_DEMO_KEY", "d"}});
  int rc = runCheck((testing::repoRoot() / "conf" / "slotgate.yaml").string(), out, env);
  EXPECT_EQ(rc, 0);
  EXPECT_EQ(out.str(), "config OK: 2 providers, 2 models, 1 clients\n");
}

TEST_F(CheckTest, PrintsEveryErrorWithPath) {
  std::string path = write(std::string(testing::kProvidersYaml) +
                           "routing: { retries: -1, x: 1 }\nserver: { workers: z }\n");
  std::ostringstream out;
  int rc = runCheck(path, out, fakeEnv({}));
  EXPECT_EQ(rc, 1);
  EXPECT_EQ(out.str(),
            "providers[0].keys[0].secret_env: environment variable P1_KEY is not set or is empty\n"
            "routing.retries: must be >= 0\n"
            "routing.x: unknown key\n"
            "server.workers: must be an integer\n");
}

TEST_F(CheckTest, WarnsAboutConflictsButPasses) {
  std::string path = write(std::string(testing::kProvidersYaml) + R"(
models:
  - { name: a, aliases: [x], targets: [{ provider: p1, model: a }] }
  - { name: b, aliases: [x], targets: [{ provider: p1, model: b }] }
)");
  std::ostringstream out;
  int rc = runCheck(path, out, fakeEnv(testing::baseEnv()));
  EXPECT_EQ(rc, 0);
  EXPECT_EQ(out.str(),
            "warning: \"x\" is claimed by models \"a\" and \"b\"; \"a\" wins\n"
            "config OK: 1 providers, 2 models, 0 clients\n");
}

TEST_F(CheckTest, MissingFileFails) {
  std::ostringstream out;
  EXPECT_EQ(runCheck("/nonexistent/x.yaml", out, fakeEnv({})), 1);
  EXPECT_EQ(out.str(),
            "cannot read config file \"/nonexistent/x.yaml\": No such file or directory\n");
}

}  // namespace
}  // namespace slotgate::conf
