// The dashboard in a real browser (SPEC section 6): headless Chromium opens /dashboard while a
// slow stream runs and must show that request's row (read from the SSE stream with fetch) and
// a slot bar for its key. Saves <build>/artifacts/dashboard.png.
//
// Chromium is driven over the DevTools protocol on --remote-debugging-pipe (fd 3: commands in,
// fd 4: replies out, each message NUL-terminated): --dump-dom with --virtual-time-budget never
// returns while a fetch stream is open, and a plain --dump-dom snapshots before any data came.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <future>

#include "tests/integration/gateway_fixture.h"

extern char** environ;

namespace slotgate::testing {
namespace {

using nlohmann::json;

constexpr char kChromium[] = "/usr/bin/chromium";

std::string base64Decode(const std::string& in) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  std::string out;
  int bits = 0;
  uint32_t acc = 0;
  for (char c : in) {
    const int v = value(c);
    if (v < 0) {
      continue;  // '=' padding and whitespace
    }
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  return out;
}

// One headless Chromium in its own process group with a DevTools pipe; killed with its group on
// destruction.
class Browser {
 public:
  explicit Browser(const std::string& profileDir) {
    int toChrome[2];
    int fromChrome[2];
    if (pipe2(toChrome, O_CLOEXEC) != 0 || pipe2(fromChrome, O_CLOEXEC) != 0) {
      throw std::runtime_error("pipe2 failed");
    }
    const std::string log = profileDir + "/chromium.log";
    std::vector<std::string> args = {kChromium,
                                     "--headless",
                                     "--no-sandbox",
                                     "--disable-gpu",
                                     "--disable-quic",
                                     "--no-first-run",
                                     "--disable-background-networking",
                                     "--disable-component-update",
                                     "--disable-sync",
                                     "--disable-dev-shm-usage",
                                     "--user-data-dir=" + profileDir + "/profile",
                                     "--window-size=1280,1000",
                                     "--remote-debugging-pipe",
                                     "about:blank"};
    std::vector<char*> argv;
    for (auto& a : args) {
      argv.push_back(a.data());
    }
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, toChrome[0], 3);
    posix_spawn_file_actions_adddup2(&actions, fromChrome[1], 4);
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 2, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    // Only the pipes: an inherited client socket would outlive the test's close of it.
    posix_spawn_file_actions_addclosefrom_np(&actions, 5);
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
    posix_spawnattr_setpgroup(&attr, 0);
    const int rc = posix_spawn(&pid_, kChromium, &actions, &attr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
    close(toChrome[0]);
    close(fromChrome[1]);
    write_ = toChrome[1];
    read_ = fromChrome[0];
    if (rc != 0) {
      pid_ = -1;
      throw std::runtime_error(std::string("posix_spawn chromium: ") + std::strerror(rc));
    }
  }

  ~Browser() {
    if (pid_ > 0) {
      (void)call("Browser.close", json::object(), "", 2s);
      const auto deadline = Clock::now() + 3s;
      int status = 0;
      while (waitpid(pid_, &status, WNOHANG) == 0 && Clock::now() < deadline) {
        std::this_thread::sleep_for(20ms);
      }
      kill(-pid_, SIGKILL);  // our own process group: helpers chromium left behind
      waitpid(pid_, &status, WNOHANG);
    }
    close(write_);
    close(read_);
  }

  // Sends a command; returns its "result" (or the error object under "error").
  json call(const std::string& method, const json& params, const std::string& session = "",
            Millis timeout = 10s) {
    json msg = {{"id", ++nextId_}, {"method", method}, {"params", params}};
    if (!session.empty()) {
      msg["sessionId"] = session;
    }
    std::string text = msg.dump();
    text.push_back('\0');
    if (::write(write_, text.data(), text.size()) != static_cast<ssize_t>(text.size())) {
      return {{"error", "write failed"}};
    }
    const int id = nextId_;
    const auto deadline = Clock::now() + timeout;
    for (;;) {
      size_t end;
      while ((end = buffer_.find('\0')) != std::string::npos) {
        json reply = json::parse(buffer_.substr(0, end), nullptr, false);
        buffer_.erase(0, end + 1);
        if (reply.is_object() && reply.value("id", -1) == id) {
          return reply.contains("result") ? reply["result"] : json{{"error", reply["error"]}};
        }
      }
      const auto left = std::chrono::duration_cast<Millis>(deadline - Clock::now()).count();
      pollfd pfd{read_, POLLIN, 0};
      if (left <= 0 || poll(&pfd, 1, static_cast<int>(left)) <= 0) {
        return {{"error", "timeout waiting for " + method}};
      }
      char chunk[65536];
      const ssize_t n = ::read(read_, chunk, sizeof chunk);
      if (n <= 0) {
        return {{"error", "chromium closed the pipe"}};
      }
      buffer_.append(chunk, static_cast<size_t>(n));
    }
  }

  // Opens `url` in a new tab; returns the session to talk to it.
  std::string open(const std::string& url) {
    // The first call also waits for the browser to come up (slow on a cold, busy machine).
    const json target = call("Target.createTarget", {{"url", url}}, "", 45s);
    if (!target.contains("targetId")) {
      throw std::runtime_error("createTarget: " + target.dump());
    }
    const json attached =
        call("Target.attachToTarget", {{"targetId", target["targetId"]}, {"flatten", true}});
    if (!attached.contains("sessionId")) {
      throw std::runtime_error("attachToTarget: " + attached.dump());
    }
    return attached["sessionId"];
  }

  // Evaluates a JS expression in the page; returns its value (null on error).
  json eval(const std::string& session, const std::string& expression) {
    const json r =
        call("Runtime.evaluate", {{"expression", expression}, {"returnByValue", true}}, session);
    if (r.contains("result") && r["result"].contains("value") && !r.contains("exceptionDetails")) {
      return r["result"]["value"];
    }
    lastError_ = expression + " -> " + r.dump();
    return nullptr;
  }

  // What the last failed eval() returned, for failure messages.
  [[nodiscard]] const std::string& lastError() const { return lastError_; }

  std::string screenshotPng(const std::string& session) {
    const json r = call("Page.captureScreenshot", {{"format", "png"}}, session, 20s);
    return r.contains("data") ? base64Decode(r["data"]) : "";
  }

 private:
  pid_t pid_ = -1;
  int write_ = -1;
  int read_ = -1;
  int nextId_ = 0;
  std::string buffer_;
  std::string lastError_;
};

TEST(OperatorDashboard, ShowsALiveStreamAndSlotBarsInARealBrowser) {
  if (access(kChromium, X_OK) != 0) {
    GTEST_SKIP() << kChromium << " is not installed (apt-get install -y chromium)";
  }
  MockProvider mock;
  GatewayConfig config = standardConfig(mock);
  config.providers[0].requestTimeout = "300s";  // the held stream waits as long as the browser
  Gateway gateway(config);
  const std::string token = config.adminToken;
  ASSERT_FALSE(token.empty());

  // A stream held at the mock after its first event until the test has seen what it needs,
  // however long the browser takes to start.
  auto stream = std::async(std::launch::async, [&gateway] {
    return gateway.stream("gpt-test", kClientKey,
                          mockHold("op-dash-1", {{"x-request-id", "op-dash-1"}}), {}, 300s);
  });
  ASSERT_TRUE(mock.waitHeld("op-dash-1", 1));
  ASSERT_TRUE(eventually(
      [&] {
        const auto r = request("GET", gateway.adminUrl("/metrics/active-requests"),
                               {{"Authorization", "Bearer " + token}});
        return r.body.find("op-dash-1") != std::string::npos;
      },
      20s));

  TempDir dir;
  Browser browser(dir.path());
  // The page asks for the token; a tab opened on the admin origin first stores it in
  // sessionStorage the way the token form does, then loads the dashboard.
  const std::string session = browser.open(gateway.adminUrl("/dashboard"));
  ASSERT_TRUE(eventually(
      [&] {
        return browser.eval(session,
                            "document.readyState === 'complete' && "
                            "!!document.getElementById('token-form')") == true;
      },
      10s));
  const json entered =
      browser.eval(session, "document.getElementById('token').value = " + json(token).dump() +
                                "; document.querySelector('#token-form button').click(); 'ok'");
  ASSERT_EQ(entered, "ok") << browser.lastError();

  const std::string rowQuery =
      "!!document.querySelector('table#active-requests tbody tr[data-request-id=\"op-dash-1\"]')";
  const std::string barQuery = "!!document.querySelector('.slot-bar[data-key-id=\"openai-key\"]')";
  const bool row = eventually([&] { return browser.eval(session, rowQuery) == true; }, 20s);
  const bool bar = eventually([&] { return browser.eval(session, barQuery) == true; }, 20s);
  // Totals and the token chart fill once a request finished (polled every 2 s).
  EXPECT_TRUE(row) << "no active-request row; status: "
                   << browser.eval(session, "document.getElementById('status').textContent") << "; "
                   << browser.lastError();
  EXPECT_TRUE(bar) << "no slot bar for openai-key; " << browser.lastError();
  if (bar) {
    EXPECT_EQ(browser.eval(session,
                           "document.querySelector('.slot-bar[data-key-id=\"openai-key\"]')"
                           ".getAttribute('data-limit')"),
              "64");
    EXPECT_EQ(browser.eval(session,
                           "document.querySelector('.slot-bar[data-key-id=\"openai-key\"]')"
                           ".getAttribute('data-in-use')"),
              "1");
  }
  EXPECT_EQ(browser.eval(session, "document.getElementById('status').textContent"), "live");
  EXPECT_EQ(browser.eval(session, "sessionStorage.getItem('slotgate_admin_token')"), token);

  const std::string png = browser.screenshotPng(session);
  EXPECT_GT(png.size(), 1000u);
  EXPECT_EQ(png.substr(0, 4), "\x89PNG");
  const std::filesystem::path artifacts = std::filesystem::path(binaryDir()) / "artifacts";
  std::filesystem::create_directories(artifacts);
  std::ofstream(artifacts / "dashboard.png", std::ios::binary) << png;

  // When the request ends (the test releases it) its row goes away with the next snapshot.
  EXPECT_EQ(mock.release("op-dash-1"), 1);
  EXPECT_TRUE(stream.get().cleanEnd());
  EXPECT_TRUE(eventually([&] { return browser.eval(session, rowQuery) == false; }, 20s));
  // A finished request with usage fills the totals and the token chart.
  EXPECT_EQ(gateway.chat("gpt-test").status, 200);
  EXPECT_TRUE(eventually(
      [&] {
        return browser.eval(session,
                            "!!document.querySelector('#totals tr[data-provider=\"mock-openai\"]"
                            "[data-model=\"gpt-upstream\"]') && "
                            "!!document.querySelector('#token-chart rect.seg-input')") == true;
      },
      6s))
      << browser.lastError();
}

// Issue 14: time to first token p50/p99 per provider and model, from the histograms. The mock
// waits 300 ms before each content chunk, so both percentiles are at least 300 ms however
// loaded the machine is (bucket interpolation cannot go below the bucket the value is in:
// the lowest possible, (0.3, 0.4], starts at 300 ms).
TEST(OperatorDashboard, ShowsTimeToFirstTokenPercentiles) {
  if (access(kChromium, X_OK) != 0) {
    GTEST_SKIP() << kChromium << " is not installed (apt-get install -y chromium)";
  }
  MockProvider mock;
  GatewayConfig config = standardConfig(mock);
  config.adminToken = "";
  Gateway gateway(config);
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(gateway.pacedStream(2, 300).cleanEnd());
  }
  TempDir dir;
  Browser browser(dir.path());
  const std::string session = browser.open(gateway.adminUrl("/dashboard"));
  const std::string row =
      "document.querySelector('#latency "
      "tr[data-provider=\"mock-openai\"][data-model=\"gpt-test\"]')";
  ASSERT_TRUE(eventually([&] { return browser.eval(session, "!!" + row) == true; }, 20s))
      << browser.lastError();
  const double p50 = std::stod(
      browser.eval(session, row + ".getAttribute('data-ttft-p50-ms')").get<std::string>());
  const double p99 = std::stod(
      browser.eval(session, row + ".getAttribute('data-ttft-p99-ms')").get<std::string>());
  EXPECT_GE(p50, 300.0);
  EXPECT_GE(p99, p50);
  EXPECT_EQ(browser.eval(session, row + ".cells[2].textContent"), "2");
  const json p50Text = browser.eval(session, row + ".querySelector('.ttft-p50').textContent");
  ASSERT_TRUE(p50Text.is_string());
  EXPECT_NE(p50Text.get<std::string>(), "—");
  // Overhead is shown once any request was measured.
  EXPECT_TRUE(eventually(
      [&] {
        return browser.eval(session, "document.getElementById('overhead').textContent") != "—";
      },
      10s));
}

TEST(OperatorDashboard, WorksWithoutATokenWhenNoneIsConfigured) {
  if (access(kChromium, X_OK) != 0) {
    GTEST_SKIP() << kChromium << " is not installed (apt-get install -y chromium)";
  }
  MockProvider mock;
  GatewayConfig config = standardConfig(mock);
  config.adminToken = "";
  Gateway gateway(config);
  ASSERT_EQ(gateway.chat("gpt-test").status, 200);
  TempDir dir;
  Browser browser(dir.path());
  const std::string session = browser.open(gateway.adminUrl("/dashboard"));
  EXPECT_TRUE(eventually(
      [&] {
        return browser.eval(session, "document.getElementById('status').textContent") == "live";
      },
      10s));
  EXPECT_TRUE(eventually(
      [&] { return browser.eval(session, "document.querySelectorAll('.slot-bar').length") == 4; },
      10s))
      << "expected 2 provider keys and 2 clients";
}

}  // namespace
}  // namespace slotgate::testing
