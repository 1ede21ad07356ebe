#include "gateway/process_hygiene.h"

#include <sys/prctl.h>
#include <sys/resource.h>

#include <mutex>

namespace slotgate::gateway {

void applyCoreDumpSetting(bool allow) {
  static std::mutex mu;
  static bool saved = false;
  static rlim_t start_soft_limit = 0;  // the soft core limit the process started with
  std::lock_guard<std::mutex> lock(mu);
  rlimit limit{};
  if (getrlimit(RLIMIT_CORE, &limit) != 0) {
    return;
  }
  if (!saved) {
    start_soft_limit = limit.rlim_cur;
    saved = true;
  }
  if (allow) {
    limit.rlim_cur = start_soft_limit;
    (void)setrlimit(RLIMIT_CORE, &limit);
    (void)prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
  } else {
    limit.rlim_cur = 0;
    (void)setrlimit(RLIMIT_CORE, &limit);
    (void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  }
}

}  // namespace slotgate::gateway
