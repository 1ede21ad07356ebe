#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>

#include "metrics/log.h"

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

TEST(LogBatch, GathersLinesUntilFlushed) {
  char path[] = "/tmp/slotgate-log-batch-XXXXXX";
  const int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  const int previous = setLogFd(fd);
  CountingBatch batch;
  setThreadLogBatch(&batch);
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
  EXPECT_TRUE(batch.pending.empty());
  // Without a batch, lines go straight out.
  setThreadLogBatch(nullptr);
  LogLine(LogLevel::kInfo, "three").emit();
  ASSERT_TRUE(flushLog(std::chrono::seconds(30)));
  EXPECT_NE(readAll(fd).find("\"event\":\"three\""), std::string::npos);
  setLogFd(previous);
  close(fd);
  unlink(path);
}

}  // namespace
}  // namespace slotgate::metrics
