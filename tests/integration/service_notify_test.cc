// systemd's notify protocol through the real binary (the unit file is Type=notify): READY=1
// only once slotgate serves, RELOADING=1 then READY=1 around a SIGHUP reload (a refused one
// too: the old config keeps serving), STOPPING=1 when SIGTERM starts the drain.
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <csignal>
#include <cstring>
#include <sstream>

#include "tests/integration/gateway_fixture.h"

namespace slotgate::testing {
namespace {

// A datagram socket standing in for systemd's $NOTIFY_SOCKET.
class NotifySocket {
 public:
  NotifySocket() : path_(dir_.path() + "/notify.sock") {
    fd_ = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path_.c_str(), sizeof(addr.sun_path) - 1);
    if (fd_ < 0 || bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
      throw std::runtime_error("cannot bind " + path_);
    }
  }
  ~NotifySocket() { close(fd_); }
  [[nodiscard]] const std::string& path() const { return path_; }

  // The next datagram, or "" when none came within the (generous) timeout.
  std::string next(Millis timeout = 30s) {
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(timeout.count())) != 1) {
      return "";
    }
    char buf[4096];
    const ssize_t n = recv(fd_, buf, sizeof(buf), 0);
    return n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
  }

 private:
  TempDir dir_;
  std::string path_;
  int fd_ = -1;
};

// True when a line of `message` is `assignment`, or starts with it when it ends in '='.
bool has(const std::string& message, const std::string& assignment) {
  std::istringstream lines(message);
  for (std::string line; std::getline(lines, line);) {
    if (assignment.back() == '=' ? line.rfind(assignment, 0) == 0 : line == assignment) {
      return true;
    }
  }
  return false;
}

TEST(ServiceNotify, ReadyReloadingAndStoppingReachSystemd) {
  MockProvider mock;
  NotifySocket notify;
  const GatewayConfig config = standardConfig(mock);
  TempDir dir;
  const std::string path = dir.writeFile("slotgate.yaml", config.yaml());
  auto env = config.env();
  env["NOTIFY_SOCKET"] = notify.path();
  Process gateway({slotgateBinary(), "-c", path}, env);

  const std::string ready = notify.next();
  EXPECT_TRUE(has(ready, "READY=1")) << ready;
  // READY comes after the listeners are up and the started line.
  EXPECT_TRUE(gateway.waitForLine(Stream::kStderr, "\"event\":\"started\"", 10s)) << ready;

  ASSERT_TRUE(gateway.signal(SIGHUP));
  const std::string reloading = notify.next();
  EXPECT_TRUE(has(reloading, "RELOADING=1")) << reloading;
  EXPECT_TRUE(has(reloading, "MONOTONIC_USEC=")) << reloading;
  const std::string reloaded = notify.next();
  EXPECT_TRUE(has(reloaded, "READY=1")) << reloaded;

  // A refused reload still ends in READY=1: the running config keeps serving.
  dir.writeFile("slotgate.yaml", "server: [not, a, mapping]\n");
  ASSERT_TRUE(gateway.signal(SIGHUP));
  EXPECT_TRUE(has(notify.next(), "RELOADING=1"));
  EXPECT_TRUE(has(notify.next(), "READY=1"));
  EXPECT_TRUE(gateway.waitForLine(Stream::kStderr, "reload_rejected", 10s));

  ASSERT_TRUE(gateway.signal(SIGTERM));
  const std::string stopping = notify.next();
  EXPECT_TRUE(has(stopping, "STOPPING=1")) << stopping;
  EXPECT_EQ(gateway.waitExit(30s), 0);
}

}  // namespace
}  // namespace slotgate::testing
