// A log reader that stalls (stderr a pipe nobody reads, like `slotgate 2>&1 | sleep 3600`)
// must not stop the data plane: lines beyond the in-memory queue are dropped and counted.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/gateway_fixture.h"

extern char** environ;

namespace slotgate::testing {
namespace {

// slotgate with its stderr the write end of a pipe whose read end this object holds open and
// never reads.
class StalledStderrGateway {
 public:
  StalledStderrGateway(const std::string& config_path,
                       const std::map<std::string, std::string>& extra_env) {
    EXPECT_EQ(pipe(stderr_pipe_), 0);
    std::vector<std::string> env_strings;
    for (char** e = environ; *e != nullptr; ++e) {
      env_strings.emplace_back(*e);
    }
    for (const auto& [k, v] : extra_env) {
      env_strings.push_back(k + "=" + v);
    }
    std::vector<char*> envp;
    for (auto& s : env_strings) {
      envp.push_back(s.data());
    }
    envp.push_back(nullptr);
    std::string binary = slotgateBinary();
    std::string dash_c = "-c";
    std::string path = config_path;
    char* argv[] = {binary.data(), dash_c.data(), path.data(), nullptr};
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_adddup2(&actions, stderr_pipe_[1], 2);
    posix_spawn_file_actions_addclose(&actions, stderr_pipe_[0]);
    EXPECT_EQ(posix_spawn(&pid_, binary.c_str(), &actions, nullptr, argv, envp.data()), 0);
    posix_spawn_file_actions_destroy(&actions);
    close(stderr_pipe_[1]);
  }
  ~StalledStderrGateway() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    close(stderr_pipe_[0]);
  }

 private:
  int stderr_pipe_[2] = {-1, -1};
  pid_t pid_ = -1;
};

// Replaces the first "listen: 127.0.0.1:0" (server) and the second (admin) with fixed ports:
// the bound ports cannot be read from a log nobody reads.
std::string withPorts(std::string yaml, uint16_t port, uint16_t admin_port) {
  const std::string any = "listen: 127.0.0.1:0";
  for (uint16_t p : {port, admin_port}) {
    const auto at = yaml.find(any);
    EXPECT_NE(at, std::string::npos);
    yaml.replace(at, any.size(), "listen: 127.0.0.1:" + std::to_string(p));
  }
  return yaml;
}

TEST(LogStall, AStderrPipeNobodyReadsStopsNoRequestAndDropsAreCounted) {
  MockProvider mock({"--threads", "2"});
  GatewayConfig config = standardConfig(mock);
  config.workers = 2;
  config.clients[0] = makeClient("team-a", kClientKey, 0);
  config.providers[0].keys[0].maxConcurrency = 0;
  // A long requested model name (resolved by this pattern) makes each access line about 2 KB,
  // so 2,000 of them overflow the pipe (64 KiB) and the log queue (1 MiB) many times over.
  config.models[0].patterns.push_back("^gpt-test-pad-x+$");
  const std::string model = "gpt-test-pad-" + std::string(1800, 'x');

  TempDir dir;
  const uint16_t port = freePort();
  const uint16_t admin_port = freePort();
  const std::string path =
      dir.writeFile("slotgate.yaml", withPorts(config.yaml(), port, admin_port));
  StalledStderrGateway gateway(path, config.env());
  const std::string admin = "http://127.0.0.1:" + std::to_string(admin_port);
  ASSERT_TRUE(eventually([&] { return request("GET", admin + "/healthz").status == 200; }, 30s));

  const std::string url = "http://127.0.0.1:" + std::to_string(port) + "/v1/chat/completions";
  const std::string body =
      R"({"model":")" + model + R"(","messages":[{"role":"user","content":"hi"}]})";
  constexpr int kThreads = 8;
  constexpr int kPerThread = 250;
  std::atomic<int> ok{0};
  std::atomic<int> failed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kPerThread; ++i) {
        const HttpResponse r = request("POST", url, bearer(kClientKey), body, 60s);
        (r.status == 200 ? ok : failed).fetch_add(1);
      }
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  EXPECT_EQ(ok.load(), kThreads * kPerThread);
  EXPECT_EQ(failed.load(), 0);

  const HttpResponse metrics = request("GET", admin + "/metrics");
  ASSERT_EQ(metrics.status, 200);
  const PrometheusText parsed = parsePrometheus(metrics.body);
  EXPECT_TRUE(parsed.errors.empty());
  const auto dropped = sampleValue(parsed, "slotgate_log_lines_dropped_total", {});
  ASSERT_TRUE(dropped.has_value()) << metrics.body;
  EXPECT_GT(*dropped, 0.0);
}

}  // namespace
}  // namespace slotgate::testing
