#include "metrics/log.h"

#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <regex>
#include <sstream>
#include <thread>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace slotgate::metrics {
namespace {

// Captures log output through a pipe drained by a thread (the output may exceed the pipe
// buffer), for the life of the object.
class Capture {
 public:
  Capture() {
    EXPECT_EQ(pipe(fds_), 0);
    previous_ = setLogFd(fds_[1]);
    reader_ = std::thread([this] {
      char buf[4096];
      ssize_t n;
      while ((n = read(fds_[0], buf, sizeof(buf))) > 0) {
        all_.append(buf, static_cast<size_t>(n));
      }
    });
  }
  ~Capture() { finish(); }
  // Every line written so far; call once the writers are done.
  std::vector<std::string> lines() {
    finish();
    std::vector<std::string> out;
    std::istringstream in(all_);
    for (std::string line; std::getline(in, line);) {
      out.push_back(line);
    }
    return out;
  }

 private:
  void finish() {
    if (reader_.joinable()) {
      setLogFd(previous_);
      close(fds_[1]);
      reader_.join();
      close(fds_[0]);
    }
  }
  int fds_[2] = {-1, -1};
  int previous_ = 2;
  std::thread reader_;
  std::string all_;
};

TEST(LogLineTest, OneJsonObjectPerLine) {
  Capture capture;
  LogLine(LogLevel::kInfo, kAccessEvent)
      .str("request_id", "r-1")
      .str("model", "we\"ird\n")
      .num("status", 200)
      .num("bytes", uint64_t{18446744073709551615ull})
      .num("delta", -5)
      .num("duration_ms", 12.5)
      .num("nan", NAN)
      .boolean("streaming", true)
      .null("error_type")
      .emit();
  auto lines = capture.lines();
  ASSERT_EQ(lines.size(), 1u);
  auto j = nlohmann::json::parse(lines[0]);
  EXPECT_EQ(j["level"], "info");
  EXPECT_EQ(j["event"], "access");
  EXPECT_EQ(j["request_id"], "r-1");
  EXPECT_EQ(j["model"], "we\"ird\n");
  EXPECT_EQ(j["status"].get<int>(), 200);
  EXPECT_EQ(j["bytes"].get<uint64_t>(), 18446744073709551615ull);
  EXPECT_EQ(j["delta"].get<int>(), -5);
  EXPECT_EQ(j["duration_ms"].get<double>(), 12.5);
  EXPECT_TRUE(j["nan"].is_null());
  EXPECT_EQ(j["streaming"], true);
  EXPECT_TRUE(j["error_type"].is_null());
  // Keys in call order after ts, level, event.
  EXPECT_EQ(lines[0].rfind("{\"ts\":\"", 0), 0u);

  const std::string ts = j["ts"];
  EXPECT_TRUE(std::regex_match(ts, std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)"))) << ts;
  tm t{};
  ASSERT_NE(strptime(ts.c_str(), "%Y-%m-%dT%H:%M:%S", &t), nullptr);
  const double diff = std::difftime(std::time(nullptr), timegm(&t));
  EXPECT_GE(diff, 0);
  EXPECT_LT(diff, 60);
}

// The text of one millis() field.
std::string millisText(std::chrono::nanoseconds value) {
  LogLine line(LogLevel::kError, "t");  // always enabled
  line.millis("ms", value);
  const std::string text = line.text();
  return text.substr(text.find("\"ms\":") + 5);
}

TEST(LogLineTest, MillisWritesExactMillisecondsFromIntegers) {
  using std::chrono::nanoseconds;
  EXPECT_EQ(millisText(std::chrono::milliseconds(250)), "250");
  EXPECT_EQ(millisText(nanoseconds(0)), "0");
  EXPECT_EQ(millisText(nanoseconds(1)), "0.000001");
  EXPECT_EQ(millisText(nanoseconds(123000)), "0.123");
  EXPECT_EQ(millisText(nanoseconds(1500000)), "1.5");
  EXPECT_EQ(millisText(nanoseconds(1234567)), "1.234567");
  EXPECT_EQ(millisText(nanoseconds(10000001)), "10.000001");
  EXPECT_EQ(millisText(std::chrono::seconds(1000)), "1000000");  // no exponent
  EXPECT_EQ(millisText(nanoseconds(-2500000)), "-2.5");
  EXPECT_EQ(millisText(nanoseconds(INT64_MIN)), "-9223372036854.775808");
  EXPECT_EQ(millisText(nanoseconds(INT64_MAX)), "9223372036854.775807");
}

// The digits are those num() writes for the double ns / 1e6 (its shortest round-trip form),
// wherever that form is not in exponent notation: the access line's duration_ms kept its format.
TEST(LogLineTest, MillisHasTheDigitsOfTheShortestDouble) {
  uint64_t state = 0x9e3779b97f4a7c15ull;
  for (int i = 0; i < 20000; ++i) {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    // Spread over 1 ns .. ~10^12 ns (17 minutes), every magnitude about as often.
    const int64_t ns = static_cast<int64_t>((state >> 24) % 1000000) *
                           static_cast<int64_t>(std::pow(10, (state >> 8) % 7)) +
                       1;
    LogLine line(LogLevel::kError, "t");
    line.num("ms", static_cast<double>(ns) / 1e6);
    const std::string text = line.text();
    const std::string shortest = text.substr(text.find("\"ms\":") + 5);
    if (shortest.find('e') != std::string::npos) {
      continue;
    }
    ASSERT_EQ(millisText(std::chrono::nanoseconds(ns)), shortest) << ns;
  }
}

TEST(LogLineTest, LevelFilterAndSingleEmit) {
  Capture capture;
  setLogLevel(LogLevel::kWarn);
  LogLine dropped(LogLevel::kInfo, "x");
  EXPECT_FALSE(dropped.enabled());
  dropped.str("k", "v").emit();
  LogLine kept(LogLevel::kError, "boom");
  kept.str("k", "v");
  kept.emit();
  kept.emit();  // second call writes nothing
  setLogLevel(LogLevel::kInfo);
  auto lines = capture.lines();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(nlohmann::json::parse(lines[0])["level"], "error");
}

TEST(LogLineTest, ConcurrentLinesNeverInterleave) {
  Capture capture;
  const std::string big(6000, 'x');  // over PIPE_BUF, so only the lock keeps lines whole
  std::vector<std::thread> threads;
  constexpr int kThreads = 4;
  // 720 KB in all: within the log queue's 1 MiB, so no line can be dropped however slowly
  // the reader thread drains the pipe (past that, dropping is the logger's job).
  constexpr int kLines = 30;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kLines; ++i) {
        LogLine(LogLevel::kInfo, "t").num("thread", t).num("i", i).str("pad", big).emit();
      }
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  auto lines = capture.lines();
  ASSERT_EQ(lines.size(), static_cast<size_t>(kThreads * kLines));
  for (const auto& line : lines) {
    auto j = nlohmann::json::parse(line);
    EXPECT_EQ(j["pad"].get<std::string>().size(), big.size());
  }
}

}  // namespace
}  // namespace slotgate::metrics
