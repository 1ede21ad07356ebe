#include "gateway/process_hygiene.h"

#include <gtest/gtest.h>
#include <sys/prctl.h>
#include <sys/resource.h>

namespace slotgate::gateway {
namespace {

rlimit coreLimit() {
  rlimit limit{};
  EXPECT_EQ(getrlimit(RLIMIT_CORE, &limit), 0);
  return limit;
}

TEST(ProcessHygiene, CoreDumpsOffThenBackOn) {
  const rlimit before = coreLimit();
  applyCoreDumpSetting(false);
  EXPECT_EQ(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0), 0);
  EXPECT_EQ(coreLimit().rlim_cur, 0u);
  EXPECT_EQ(coreLimit().rlim_max, before.rlim_max);  // kept, so dumps can come back
  applyCoreDumpSetting(true);
  EXPECT_EQ(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0), 1);
  EXPECT_EQ(coreLimit().rlim_cur, before.rlim_cur);
  applyCoreDumpSetting(false);
  applyCoreDumpSetting(false);
  EXPECT_EQ(coreLimit().rlim_cur, 0u);
  applyCoreDumpSetting(true);  // leave the test process as it was
  EXPECT_EQ(coreLimit().rlim_cur, before.rlim_cur);
}

}  // namespace
}  // namespace slotgate::gateway
