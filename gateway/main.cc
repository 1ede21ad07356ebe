// slotgate: an LLM API gateway. See README.md and SPEC section 1 for the CLI.
#include <event2/thread.h>

#include <chrono>
#include <csignal>
#include <cstring>
#include <iostream>
#include <string>

#include "conf/check.h"
#include "conf/loader.h"
#include "gateway/event/thread_heap.h"
#include "gateway/heap_tuning.h"
#include "gateway/libevent_log.h"
#include "gateway/server.h"
#include "metrics/log.h"

namespace {

constexpr char kUsage[] =
    "usage: slotgate -c FILE          run the gateway with that config\n"
    "       slotgate --check -c FILE  validate the config, print every error, exit 0 or 1\n"
    "       slotgate --version | --help\n"
    "signals: SIGTERM/SIGINT drain and exit 0\n";

}  // namespace

int main(int argc, char** argv) {
  slotgate::gateway::pinHeapThresholds();    // before anything large is allocated and freed
  slotgate::gateway::routeLibeventMemory();  // before any other libevent call
  std::string config_path;
  bool check = false;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if ((arg == "-c" || arg == "--config") && i + 1 < argc) {
      config_path = argv[++i];
    } else if (arg == "--check") {
      check = true;
    } else if (arg == "--version") {
      std::cout << "slotgate " << SLOTGATE_VERSION << "\n";
      return 0;
    } else if (arg == "--help" || arg == "-h") {
      std::cout << kUsage;
      return 0;
    } else {
      std::cerr << "slotgate: unknown argument '" << arg << "'\n" << kUsage;
      return 2;
    }
  }
  if (config_path.empty()) {
    std::cerr << "slotgate: -c FILE is required\n" << kUsage;
    return 2;
  }
  if (check) {
    return slotgate::conf::runCheck(config_path, std::cout);
  }
  auto loaded = slotgate::conf::loadConfigFile(config_path);
  if (!loaded.ok()) {
    for (const auto& e : loaded.errors) {
      slotgate::metrics::LogLine(slotgate::metrics::LogLevel::kError, "config_error")
          .str("path", e.path)
          .str("message", e.message)
          .emit();
    }
    slotgate::metrics::flushLog(std::chrono::seconds(2));
    return 1;
  }
  evthread_use_pthreads();
  slotgate::gateway::routeLibeventLogs();
  std::signal(SIGPIPE, SIG_IGN);
  int code = 0;
  {
    slotgate::gateway::Server server(loaded.config);
    code = server.run();
  }
  // The last lines (drain, stop) are still queued: give a reader a bounded chance to take
  // them; a stalled one cannot hold the exit.
  slotgate::metrics::flushLog(std::chrono::seconds(2));
  return code;
}
