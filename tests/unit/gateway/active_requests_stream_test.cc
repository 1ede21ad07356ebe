// ActiveRequestsStream on a real AdminServer: snapshot at once, a new snapshot after a tracker
// change, heartbeats, watcher disconnect frees the watcher, shutdown with watchers connected.
#include "gateway/admin/active_requests_stream.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "gateway/admin/admin_server.h"

namespace slotgate::gateway {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

class Client {
 public:
  explicit Client(uint16_t port) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  }
  ~Client() { close(); }
  bool connected() const { return connected_; }
  void send(const std::string& s) { (void)::write(fd_, s.data(), s.size()); }
  // Reads until `needle` (counted from `from`) shows up or the timeout passes.
  bool readUntil(const std::string& needle, std::chrono::milliseconds timeout, size_t from = 0) {
    const auto deadline = Clock::now() + timeout;
    while (received_.find(needle, from) == std::string::npos) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
      pollfd p{fd_, POLLIN, 0};
      if (left <= 0 || poll(&p, 1, static_cast<int>(left)) <= 0) {
        return false;
      }
      char buf[4096];
      const ssize_t n = ::read(fd_, buf, sizeof buf);
      if (n <= 0) {
        return false;
      }
      received_.append(buf, static_cast<size_t>(n));
    }
    return true;
  }
  const std::string& received() const { return received_; }
  void close() {
    if (fd_ >= 0) {
      ::close(fd_);
      fd_ = -1;
    }
  }

 private:
  int fd_ = -1;
  bool connected_ = false;
  std::string received_;
};

template <typename Condition>
bool eventually(Condition c, std::chrono::milliseconds timeout = 3s) {
  const auto deadline = Clock::now() + timeout;
  while (!c()) {
    if (Clock::now() > deadline) {
      return false;
    }
    std::this_thread::sleep_for(5ms);
  }
  return true;
}

struct Fixture {
  Fixture() : admin("") {
    auto s = std::make_shared<ActiveRequestsStream>(admin.base(), tracker, 50ms, 200ms);
    stream = s.get();
    admin.own(s);
    admin.streamRoute("GET", "/stream", false,
                      [this](evhttp_request* req, const AdminRequest&) { stream->add(req); });
    std::string error;
    port = admin.start("127.0.0.1", 0, &error);
  }
  metrics::LiveRequestTracker tracker;
  AdminServer admin;
  ActiveRequestsStream* stream = nullptr;
  uint16_t port = 0;
};

const char kGet[] = "GET /stream HTTP/1.1\r\nHost: localhost\r\n\r\n";

TEST(ActiveRequestsStream, SnapshotChangeHeartbeatAndDisconnect) {
  Fixture f;
  ASSERT_NE(f.port, 0);
  Client c(f.port);
  ASSERT_TRUE(c.connected());
  c.send(kGet);
  ASSERT_TRUE(c.readUntil("event: snapshot\ndata: []\n\n", 2s)) << c.received();
  EXPECT_NE(c.received().find("Content-Type: text/event-stream"), std::string::npos);
  EXPECT_NE(c.received().find("Transfer-Encoding: chunked"), std::string::npos);
  EXPECT_TRUE(eventually([&] { return f.stream->watchers() == 1; }));

  auto entry = std::make_shared<metrics::ActiveEntry>();
  entry->request_id = "stream-req-1";
  entry->client = "c";
  f.tracker.begin(entry);
  const size_t mark = c.received().size();
  ASSERT_TRUE(c.readUntil("\"request_id\":\"stream-req-1\"", 1s, mark)) << c.received();
  ASSERT_TRUE(c.readUntil(": heartbeat\n\n", 1s, mark)) << c.received();

  f.tracker.end(entry, {});
  ASSERT_TRUE(c.readUntil("data: []\n\n", 1s, mark)) << c.received();

  c.close();
  EXPECT_TRUE(eventually([&] { return f.stream->watchers() == 0; }))
      << "the watcher of a closed connection was not freed";
}

TEST(ActiveRequestsStream, ManyWatchersAndShutdownWhileConnected) {
  Fixture f;
  std::vector<std::unique_ptr<Client>> clients;
  for (int i = 0; i < 5; ++i) {
    clients.push_back(std::make_unique<Client>(f.port));
    clients.back()->send(kGet);
    ASSERT_TRUE(clients.back()->readUntil("event: snapshot", 2s));
  }
  EXPECT_TRUE(eventually([&] { return f.stream->watchers() == 5; }));
  // Progress alone (a streaming request's chunks) is also a change every watcher sees.
  auto entry = f.tracker.begin(std::make_shared<metrics::ActiveEntry>());
  for (auto& c : clients) {
    const size_t mark = c->received().size();
    f.tracker.progress(entry);
    EXPECT_TRUE(c->readUntil("event: snapshot", 1s, mark));
  }
  clients[0]->close();
  EXPECT_TRUE(eventually([&] { return f.stream->watchers() == 4; }));
  // Fixture destruction with 4 watchers connected must free everything (ASan checks).
}

}  // namespace
}  // namespace slotgate::gateway
