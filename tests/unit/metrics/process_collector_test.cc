#include "metrics/process_collector.h"

#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <map>

#include "gtest/gtest.h"
#include "tests/unit/support/glibc_malloc.h"

namespace slotgate::metrics {
namespace {

double nowSeconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

TEST(ProcessStatsTest, ValuesAreSane) {
  ProcessStats s = readProcessStats();
  EXPECT_GT(s.rss_bytes, 1u << 20);  // a gtest binary is bigger than 1 MiB
  EXPECT_GE(s.virtual_bytes, s.rss_bytes);
  EXPECT_GE(s.open_fds, 3u);  // stdin, stdout, stderr
  EXPECT_GE(s.cpu_seconds, 0.0);
  rlimit lim{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &lim), 0);
  EXPECT_EQ(s.max_fds, static_cast<uint64_t>(lim.rlim_cur));
  const double now = nowSeconds();
  EXPECT_LE(s.start_time_seconds, now + 1);  // jiffy rounding
  EXPECT_GT(s.start_time_seconds, now - 3600);
}

TEST(ProcessStatsTest, OpenFdsFollowsOpenAndClose) {
  const uint64_t before = readProcessStats().open_fds;
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  EXPECT_EQ(readProcessStats().open_fds, before + 2);
  close(fds[0]);
  close(fds[1]);
  EXPECT_EQ(readProcessStats().open_fds, before);
}

TEST(ProcessStatsTest, HeapInUseFollowsMallocAndFree) {
  SKIP_UNLESS_GLIBC_MALLOC();
  constexpr uint64_t kBlock = uint64_t{64} << 20;
  const ProcessStats before = readProcessStats();
  void* volatile block = std::malloc(kBlock);  // volatile: the pair is not optimised away
  ASSERT_NE(block, nullptr);
  const ProcessStats during = readProcessStats();
  std::free(block);
  const ProcessStats after = readProcessStats();
  EXPECT_GE(during.heap_in_use_bytes, before.heap_in_use_bytes + kBlock);
  EXPECT_LE(after.heap_in_use_bytes + kBlock, during.heap_in_use_bytes);
}

TEST(ProcessStatsTest, CpuSecondsGrowWithWork) {
  const double before = readProcessStats().cpu_seconds;
  // Burn CPU until the clock-tick resolution (10 ms at USER_HZ 100) shows it.
  volatile uint64_t x = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  double after = before;
  while (after <= before && std::chrono::steady_clock::now() < deadline) {
    for (int i = 0; i < 1000000; ++i) {
      x = x + static_cast<uint64_t>(i);
    }
    after = readProcessStats().cpu_seconds;
  }
  EXPECT_GT(after, before);
}

TEST(ProcessCollectorTest, ExportsPrometheusClientFamilies) {
  ProcessCollector collector;
  std::map<std::string, prometheus::MetricFamily> by_name;
  for (auto& f : collector.Collect()) {
    by_name[f.name] = f;
  }
  const std::map<std::string, prometheus::MetricType> expected = {
      {"process_cpu_seconds_total", prometheus::MetricType::Counter},
      {"process_resident_memory_bytes", prometheus::MetricType::Gauge},
      {"process_virtual_memory_bytes", prometheus::MetricType::Gauge},
      {"process_open_fds", prometheus::MetricType::Gauge},
      {"process_max_fds", prometheus::MetricType::Gauge},
      {"process_start_time_seconds", prometheus::MetricType::Gauge},
      {"slotgate_heap_in_use_bytes", prometheus::MetricType::Gauge},
      {"slotgate_heap_free_bytes", prometheus::MetricType::Gauge},
  };
  ASSERT_EQ(by_name.size(), expected.size());
  for (const auto& [name, type] : expected) {
    ASSERT_TRUE(by_name.count(name)) << name;
    EXPECT_EQ(by_name[name].type, type) << name;
    ASSERT_EQ(by_name[name].metric.size(), 1u) << name;
    EXPECT_TRUE(by_name[name].metric[0].label.empty()) << name;
  }
  EXPECT_GT(by_name["process_resident_memory_bytes"].metric[0].gauge.value, 0);
  EXPECT_GE(by_name["process_open_fds"].metric[0].gauge.value, 3);
  EXPECT_GT(by_name["process_start_time_seconds"].metric[0].gauge.value, nowSeconds() - 3600);
}

}  // namespace
}  // namespace slotgate::metrics
