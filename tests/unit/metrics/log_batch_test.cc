#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "metrics/log.h"
#include "nlohmann/json.hpp"

namespace slotgate::metrics {
namespace {

class CountingBatch : public LogBatch {
 public:
  void onFirstLine() override { ++first_lines; }
  int first_lines = 0;
};

std::string readAll(int fd) {
  std::string out;
  char buf[4096];
  lseek(fd, 0, SEEK_SET);
  for (ssize_t n; (n = read(fd, buf, sizeof buf)) > 0;) {
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

// Log lines go to a temporary file, through `batch` as this thread's log batch.
class LogBatch : public ::testing::Test {
 protected:
  void SetUp() override {
    fd = mkstemp(path);
    ASSERT_GE(fd, 0);
    previous = setLogFd(fd);
    setThreadLogBatch(&batch);
  }
  void TearDown() override {
    setThreadLogBatch(nullptr);
    setLogFd(previous);
    close(fd);
    unlink(path);
  }

  char path[31] = "/tmp/slotgate-log-batch-XXXXXX";
  int fd = -1;
  int previous = -1;
  CountingBatch batch;
};

TEST_F(LogBatch, GathersLinesUntilFlushed) {
  LogLine(LogLevel::kInfo, "one").num("n", 1).emit();
  LogLine(LogLevel::kInfo, "two").num("n", 2).emit();
  EXPECT_EQ(batch.first_lines, 1);  // one flush scheduled for the turn
  ASSERT_TRUE(flushLog(std::chrono::seconds(30)));
  EXPECT_EQ(readAll(fd), "");  // nothing written yet
  flushLogBatch(batch);
  ASSERT_TRUE(flushLog(std::chrono::seconds(30)));
  const std::string text = readAll(fd);
  EXPECT_NE(text.find("\"event\":\"one\""), std::string::npos);
  EXPECT_NE(text.find("\"event\":\"two\""), std::string::npos);
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 2);
  EXPECT_TRUE(batch.pending().empty());
  // Without a batch, lines go straight out.
  setThreadLogBatch(nullptr);
  LogLine(LogLevel::kInfo, "three").emit();
  ASSERT_TRUE(flushLog(std::chrono::seconds(30)));
  EXPECT_NE(readAll(fd).find("\"event\":\"three\""), std::string::npos);
}

// Lines are written in place at the end of the batch's pending text: a line built while
// another is open, a line dropped unemitted and a line longer than its first room must each
// leave only whole lines behind, in emit order for the batch's own.
TEST_F(LogBatch, LinesWrittenInPlaceStayWholeWhenNestedDroppedOrLong) {
  {
    LogLine dropped(LogLevel::kInfo, "dropped");
    dropped.str("k", "never emitted");
  }
  EXPECT_TRUE(batch.pending().empty());
  EXPECT_EQ(batch.first_lines, 0);
  const std::string long_value(5000, 'v');
  {
    LogLine outer(LogLevel::kInfo, "outer");
    outer.str("before", "a");
    LogLine inner(LogLevel::kInfo, "inner");  // its own buffer, straight to the queue
    inner.str("k", "i\"q").emit();
    outer.str("long", long_value).num("n", 7).emit();
  }
  LogLine(LogLevel::kInfo, "after").emit();
  EXPECT_EQ(batch.first_lines, 1);
  flushLogBatch(batch);
  ASSERT_TRUE(flushLog(std::chrono::seconds(30)));
  const std::string text = readAll(fd);
  std::vector<std::string> events;
  for (size_t at = 0; at < text.size();) {
    const size_t end = text.find('\n', at);
    ASSERT_NE(end, std::string::npos);
    const auto line = nlohmann::json::parse(text.substr(at, end - at));
    events.push_back(line["event"]);
    if (line["event"] == "outer") {
      EXPECT_EQ(line["before"], "a");
      EXPECT_EQ(line["long"], long_value);
      EXPECT_EQ(line["n"], 7);
    }
    if (line["event"] == "inner") {
      EXPECT_EQ(line["k"], "i\"q");
    }
    at = end + 1;
  }
  EXPECT_EQ(events, (std::vector<std::string>{"inner", "outer", "after"}));
}

}  // namespace
}  // namespace slotgate::metrics
