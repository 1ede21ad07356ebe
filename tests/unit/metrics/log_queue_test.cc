#include "metrics/log_queue.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace slotgate::metrics {
namespace {

constexpr auto kGenerous = std::chrono::seconds(60);

struct Pipe {
  Pipe() { EXPECT_EQ(pipe(fds), 0); }
  ~Pipe() {
    for (int fd : fds) {
      if (fd >= 0) {
        close(fd);
      }
    }
  }
  void closeRead() {
    close(fds[0]);
    fds[0] = -1;
  }
  int fds[2] = {-1, -1};
};

std::string line(int thread, int i, size_t pad) {
  return "t" + std::to_string(thread) + " i" + std::to_string(i) + " " + std::string(pad, 'x') +
         "\n";
}

TEST(LogQueueTest, LinesFromManyThreadsArriveWholeAndInOrderPerThread) {
  Pipe p;
  std::string all;
  std::thread reader([&] {
    char buf[4096];
    for (ssize_t n; (n = read(p.fds[0], buf, sizeof buf)) > 0;) {
      all.append(buf, static_cast<size_t>(n));
    }
  });
  constexpr int kThreads = 4;
  constexpr int kLines = 200;
  {
    LogQueue queue(p.fds[1], 64 << 20);  // large enough that nothing is dropped
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0; i < kLines; ++i) {
          EXPECT_TRUE(queue.push(line(t, i, 5000)));  // over PIPE_BUF: split across writes
        }
      });
    }
    for (auto& t : threads) {
      t.join();
    }
    EXPECT_TRUE(queue.flush(kGenerous));
    EXPECT_EQ(queue.droppedLines(), 0u);
  }
  close(p.fds[1]);
  p.fds[1] = -1;
  reader.join();
  std::vector<int> next(kThreads, 0);
  std::istringstream in(all);
  int count = 0;
  for (std::string l; std::getline(in, l); ++count) {
    int t = -1;
    int i = -1;
    ASSERT_EQ(sscanf(l.c_str(), "t%d i%d", &t, &i), 2) << l.substr(0, 40);
    ASSERT_GE(t, 0);
    ASSERT_LT(t, kThreads);
    EXPECT_EQ(i, next[t]++);
    EXPECT_EQ(l, line(t, i, 5000).substr(0, l.size()));
    EXPECT_EQ(l.size() + 1, line(t, i, 5000).size());
  }
  EXPECT_EQ(count, kThreads * kLines);
}

TEST(LogQueueTest, AStalledReaderNeverBlocksPushersAndDropsAreCounted) {
  Pipe p;  // nobody ever reads fds[0]
  // Fill the pipe first, so the writer is stuck from its first line on.
  const int flags = fcntl(p.fds[1], F_GETFL);
  ASSERT_EQ(fcntl(p.fds[1], F_SETFL, flags | O_NONBLOCK), 0);
  const std::string filler(4096, 'f');
  while (write(p.fds[1], filler.data(), filler.size()) > 0) {
  }
  ASSERT_EQ(fcntl(p.fds[1], F_SETFL, flags), 0);

  constexpr int kThreads = 4;
  constexpr int kLines = 2000;
  std::atomic<uint64_t> accepted{0};
  LogQueue queue(p.fds[1], 16 << 10);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kLines; ++i) {
        if (queue.push(line(t, i, 200))) {
          accepted.fetch_add(1);
        }
      }
    });
  }
  // Every pusher finishes although nothing can be written: nobody waited for the reader.
  for (auto& t : threads) {
    t.join();
  }
  EXPECT_GT(accepted.load(), 0u);                                        // up to 16 KiB queued
  EXPECT_LT(accepted.load(), static_cast<uint64_t>(kThreads * kLines));  // the rest dropped
  EXPECT_EQ(queue.droppedLines(), kThreads * kLines - accepted.load());
  EXPECT_FALSE(queue.flush(std::chrono::milliseconds(200)));  // cannot go out
  // Shutdown gives up after its bound although the pipe stays full; the lines it could not
  // write count as dropped too, so every line is accounted for.
  queue.stop(std::chrono::milliseconds(200));
  EXPECT_EQ(queue.droppedLines(), static_cast<uint64_t>(kThreads * kLines));
}

TEST(LogQueueTest, AFailingFdDropsAndCountsInsteadOfRetrying) {
  std::signal(SIGPIPE, SIG_IGN);
  Pipe p;
  p.closeRead();  // writes fail with EPIPE
  LogQueue queue(p.fds[1], 1 << 20);
  for (int i = 0; i < 10; ++i) {
    EXPECT_TRUE(queue.push(line(0, i, 10)));
  }
  EXPECT_TRUE(queue.flush(kGenerous));  // the writer finished with them, by dropping them
  EXPECT_EQ(queue.droppedLines(), 10u);
}

TEST(LogQueueTest, SetFdFlushesToThePreviousFdFirst) {
  char path_a[] = "/tmp/slotgate-log-queue-a-XXXXXX";
  char path_b[] = "/tmp/slotgate-log-queue-b-XXXXXX";
  const int a = mkstemp(path_a);
  const int b = mkstemp(path_b);
  ASSERT_GE(a, 0);
  ASSERT_GE(b, 0);
  {
    LogQueue queue(a, 1 << 20);
    EXPECT_TRUE(queue.push("first\n"));
    EXPECT_EQ(queue.setFd(b, kGenerous), a);
    EXPECT_TRUE(queue.push("second\n"));
    EXPECT_TRUE(queue.flush(kGenerous));
  }
  auto contents = [](int fd) {
    std::string out(64, '\0');
    const ssize_t n = pread(fd, out.data(), out.size(), 0);
    out.resize(n > 0 ? static_cast<size_t>(n) : 0);
    return out;
  };
  EXPECT_EQ(contents(a), "first\n");
  EXPECT_EQ(contents(b), "second\n");
  close(a);
  close(b);
  unlink(path_a);
  unlink(path_b);
}

TEST(LogQueueTest, AnOversizedPushIsDroppedWhole) {
  Pipe p;
  LogQueue queue(p.fds[1], 100);
  EXPECT_FALSE(queue.push(std::string(60, 'a') + "\n" + std::string(60, 'b') + "\n"));
  EXPECT_EQ(queue.droppedLines(), 2u);
}

}  // namespace
}  // namespace slotgate::metrics
