// The config boundary never throws past itself (issue 10): numbers, durations and sizes of any
// length or magnitude are refused with their YAML path and an explicit range, a huge file is
// refused unread, and secrets that would split a request head are refused at load.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <malloc.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "conf/duration.h"
#include "conf/loader.h"
#include "tests/unit/conf/test_util.h"
#include "tests/unit/support/glibc_malloc.h"

namespace slotgate::conf {
namespace {

using testing::baseEnv;
using ::testing::ElementsAre;
using testing::errorLines;
using testing::errorsOf;
using testing::fakeEnv;
using ::testing::HasSubstr;
using testing::withProviders;

TEST(ParseDurationBounds, AnyLengthOfDigitsNeverThrows) {
  const std::string digits(5000, '9');
  bool too_long = false;
  EXPECT_EQ(parseDuration(digits + "s", &too_long), std::nullopt);
  EXPECT_TRUE(too_long);
  too_long = false;
  EXPECT_EQ(parseDuration("1." + digits + "s", &too_long), std::chrono::milliseconds(2000));
  EXPECT_FALSE(too_long);
  EXPECT_EQ(parseDuration("0." + std::string(5000, '0') + "1s"), std::chrono::milliseconds(0));
  EXPECT_EQ(parseDuration(digits), std::nullopt);  // no unit: invalid, not too long
}

TEST(ParseDurationBounds, OneYearIsTheLimit) {
  bool too_long = false;
  EXPECT_EQ(parseDuration("8760h", &too_long), kMaxDuration);
  EXPECT_EQ(parseDuration("8759h60m"), kMaxDuration);
  EXPECT_EQ(parseDuration("8760h1ms", &too_long), std::nullopt);
  EXPECT_TRUE(too_long);
  too_long = false;
  EXPECT_EQ(parseDuration("18446744073709551615ms", &too_long), std::nullopt);
  EXPECT_TRUE(too_long);
  too_long = false;
  // Too long first, then a typo: reported as the typo.
  EXPECT_EQ(parseDuration("99999999h5x", &too_long), std::nullopt);
  EXPECT_FALSE(too_long);
}

TEST(ParseSizeBounds, OverflowIsFlaggedNotThrown) {
  bool too_large = false;
  EXPECT_EQ(parseSize(std::string(5000, '9'), &too_large), std::nullopt);
  EXPECT_TRUE(too_large);
  too_large = false;
  EXPECT_EQ(parseSize("18446744073709551615", &too_large), 18446744073709551615ull);
  EXPECT_FALSE(too_large);
  EXPECT_EQ(parseSize("18446744073709551616", &too_large), std::nullopt);
  EXPECT_TRUE(too_large);
  too_large = false;
  EXPECT_EQ(parseSize("17179869184GiB", &too_large), std::nullopt);
  EXPECT_TRUE(too_large);
  too_large = false;
  EXPECT_EQ(parseSize(std::string(5000, '9') + "XB", &too_large), std::nullopt);
}

// Every duration and size setting, given absurd values: one error each, with its path and the
// range, never an exception, and the 5,000-digit value is not echoed whole.
TEST(ConfigBoundary, AbsurdNumbersAreErrorsWithPaths) {
  const std::string huge(5000, '9');
  const auto errors = errorsOf(withProviders(R"(
server:
  max_request_body: 18446744073709551615
  max_header_bytes: 17179869183GiB
  header_timeout: )" + huge + R"(s
  idle_timeout: 100000h
  drain_timeout: )" + huge + R"(.5ms
  workers: )" + huge + R"(
redis: { url: "redis://127.0.0.1:6379/0", lease_ttl: )" +
                                             huge + R"(m }
)"));
  EXPECT_THAT(errors, ElementsAre("server.max_request_body: must be at most 1GiB",
                                  "server.max_header_bytes: must be at most 1MiB",
                                  "server.header_timeout: must be at most 8760h",
                                  "server.idle_timeout: must be at most 8760h",
                                  "server.drain_timeout: must be at most 8760h",
                                  "server.workers: must be <= 4294967295",
                                  "redis.lease_ttl: must be at most 8760h"));
}

TEST(ConfigBoundary, AHugeInvalidValueIsQuotedShort) {
  const auto errors =
      errorsOf(withProviders("server: { header_timeout: " + std::string(5000, '7') + "x }\n"));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_THAT(errors[0], HasSubstr("server.header_timeout: invalid duration \"7777"));
  EXPECT_THAT(errors[0], HasSubstr("...\" (5001 bytes)"));
  EXPECT_LT(errors[0].size(), 300u);
}

TEST(ConfigBoundary, LimitsThemselvesAreAccepted) {
  LoadResult r = loadConfigString(withProviders(R"(
server: { max_request_body: 1GiB, max_header_bytes: 1MiB, idle_timeout: 8760h }
)"),
                                  fakeEnv(baseEnv()));
  ASSERT_TRUE(r.ok()) << errorLines(r)[0];
  EXPECT_EQ(r.config->server.max_request_body, 1ull << 30);
  EXPECT_EQ(r.config->server.max_header_bytes, 1ull << 20);
  EXPECT_EQ(r.config->server.idle_timeout, kMaxDuration);
}

TEST(ConfigBoundary, DeepNestingIsAnError) {
  const std::string deep = "server: " + std::string(100000, '[') + "\n";
  const auto errors = errorsOf(deep);
  ASSERT_FALSE(errors.empty());
}

TEST(ConfigBoundary, SecretsWithControlCharactersAreRefusedUnechoed) {
  for (const std::string& bad :
       {std::string("sk-abc\r\nx-evil: 1"), std::string("sk-abc\n"), std::string("sk-\0abc", 7),
        std::string("sk-abc\t"), std::string("sk-\x7f")}) {
    auto env = baseEnv();
    env["P1_KEY"] = bad;
    const auto errors = errorsOf(testing::kProvidersYaml, env);
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_EQ(errors[0],
              "providers[0].keys[0].secret_env: environment variable P1_KEY contains a control "
              "character (CR, LF, NUL, tab...); a secret must not");
  }
  auto env = baseEnv();
  env["ADMIN_TOKEN"] = "token\r\n";
  env["C1_KEY"] = "client\nkey";
  const auto errors = errorsOf(withProviders(R"(
admin: { listen: "127.0.0.1:0", token_env: ADMIN_TOKEN }
clients: [{ id: c1, key_env: C1_KEY }]
)"),
                               env);
  EXPECT_THAT(errors, ElementsAre(HasSubstr("admin.token_env: environment variable ADMIN_TOKEN "
                                            "contains a control character"),
                                  HasSubstr("clients[0].key_env: environment variable C1_KEY "
                                            "contains a control character")));
}

TEST(ConfigBoundary, AFileOverTheLimitIsRefusedUnread) {
  const auto path = std::filesystem::temp_directory_path() / "slotgate-boundary-huge.yaml";
  {
    std::ofstream out(path, std::ios::binary);
    out << "server:\n  workers: 1\n# ";
    out << std::string(kMaxConfigBytes, 'x') << "\n";
  }
  const LoadResult r = loadConfigFile(path.string());
  std::filesystem::remove(path);
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_THAT(r.errors[0].message, HasSubstr("is larger than 16 MiB"));
}

// Loading a config file must not hold (and free) a limit-sized buffer: freeing a 16 MiB block
// makes glibc raise its mmap threshold to 16 MiB and its trim threshold to 32 MiB for the
// rest of the process, and the gateway's large buffers then stay in the heap after use (the
// soak's RSS). Checked in a fresh process (a death-test child re-runs only this test), where
// nothing else has moved the thresholds: a 2 MiB block is still mmapped after the load.
TEST(ConfigBoundaryDeathTest, LoadingAFileLeavesMallocsMmapThresholdAlone) {
  SKIP_UNLESS_GLIBC_MALLOC();
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  const auto path = std::filesystem::temp_directory_path() / "slotgate-boundary-small.yaml";
  {
    std::ofstream out(path, std::ios::binary);
    out << "server:\n  workers: 1\n";
  }
  EXPECT_EXIT(
      {
        const LoadResult r = loadConfigFile(path.string());
        (void)r;
        const size_t before = mallinfo2().hblkhd;
        void* volatile block = std::malloc(size_t{2} << 20);
        const bool mmapped = mallinfo2().hblkhd >= before + (size_t{2} << 20);
        std::free(block);
        std::_Exit(mmapped ? 0 : 1);
      },
      ::testing::ExitedWithCode(0), "");
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace slotgate::conf
