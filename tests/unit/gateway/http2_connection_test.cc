// Http2Connection driven through a real ConnectionManager listener by an nghttp2 client
// session in the test thread (the worker's loop is run by hand, no threads): stream
// lifetimes, client resets, head refusals and sink backpressure.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <nghttp2/nghttp2.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <map>
#include <memory>
#include <string>

#include "gateway/connection_manager.h"

namespace slotgate::gateway {
namespace {

using namespace std::chrono_literals;

struct Events {
  std::map<std::string, class FakeHandler*> live;  // by path
  std::map<std::string, bool> destroyed;
  std::map<std::string, int> drained;
  int dispatched = 0;
  int rejected = 0;
};

class FakeHandler : public RequestHandler {
 public:
  FakeHandler(Events& events, std::string path, ResponseSink& sink)
      : events_(events), path_(std::move(path)), sink_(sink) {}
  ~FakeHandler() override {
    events_.destroyed[path_] = true;
    events_.live.erase(path_);
  }
  void start() override { events_.live[path_] = this; }
  void onSinkDrained() override { ++events_.drained[path_]; }
  ResponseSink& sink() { return sink_; }

 private:
  Events& events_;
  std::string path_;
  ResponseSink& sink_;
};

class FakeDispatcher : public RequestDispatcher, public ConnectionStats {
 public:
  explicit FakeDispatcher(Events& events) : events_(events) {}
  bool admitHead(const IncomingRequest& head, ResponseSink& sink) override {
    if (head.path != "/deny") {
      return true;
    }
    sink.sendHeaders(401, {{"content-type", "text/plain"}}, 6);
    sink.sendData("denied");
    sink.finish();
    return false;
  }
  RequestHandlerPtr dispatch(IncomingRequest&& request, ResponseSink& sink) override {
    ++events_.dispatched;
    last_body = request.body;
    last_query = request.query;
    last_host = findHeader(request.headers, "host") ? *findHeader(request.headers, "host") : "";
    return std::make_unique<FakeHandler>(events_, request.path, sink);
  }
  void reject(CodecReject, const IncomingRequest&, ResponseSink& sink) override {
    ++events_.rejected;
    sink.sendHeaders(413, {}, 0);
    sink.finish();
  }
  void onConnectionClosed(const char* reason) override { closes.push_back(reason); }
  void onCodecReject(CodecReject) override {}

  std::string last_body;
  std::string last_query;
  std::string last_host;
  std::vector<std::string> closes;

 private:
  Events& events_;
};

struct ClientStream {
  int status = 0;
  std::string body;
  bool closed = false;
  uint32_t error = 0;
};

// A blocking-socket nghttp2 client pumped by hand.
class Client {
 public:
  Client(uint16_t port, int32_t initial_window, bool auto_window) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    nghttp2_session_callbacks* cbs = nullptr;
    nghttp2_session_callbacks_new(&cbs);
    nghttp2_session_callbacks_set_on_header_callback(
        cbs, [](nghttp2_session*, const nghttp2_frame* f, const uint8_t* n, size_t nl,
                const uint8_t* v, size_t vl, uint8_t, void* u) {
          if (std::string(reinterpret_cast<const char*>(n), nl) == ":status") {
            static_cast<Client*>(u)->streams[f->hd.stream_id].status =
                std::stoi(std::string(reinterpret_cast<const char*>(v), vl));
          }
          return 0;
        });
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(
        cbs, [](nghttp2_session*, uint8_t, int32_t id, const uint8_t* d, size_t l, void* u) {
          static_cast<Client*>(u)->streams[id].body.append(reinterpret_cast<const char*>(d), l);
          return 0;
        });
    nghttp2_session_callbacks_set_on_stream_close_callback(
        cbs, [](nghttp2_session*, int32_t id, uint32_t error, void* u) {
          auto& s = static_cast<Client*>(u)->streams[id];
          s.closed = true;
          s.error = error;
          return 0;
        });
    nghttp2_option* opt = nullptr;
    nghttp2_option_new(&opt);
    nghttp2_option_set_no_auto_window_update(opt, auto_window ? 0 : 1);
    nghttp2_session_client_new2(&session_, cbs, this, opt);
    nghttp2_option_del(opt);
    nghttp2_session_callbacks_del(cbs);
    nghttp2_settings_entry s[] = {
        {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, static_cast<uint32_t>(initial_window)}};
    nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, s, 1);
  }
  ~Client() {
    nghttp2_session_del(session_);
    ::close(fd_);
  }

  int32_t get(const std::string& path, const std::string& body = "") {
    // nghttp2 copies the fields on submit; the strings must live until then.
    const std::string method = body.empty() ? "GET" : "POST";
    const std::string scheme = "http";
    const std::string authority = "example.test";
    nghttp2_nv nva[] = {nv(":method", method), nv(":scheme", scheme), nv(":path", path),
                        nv(":authority", authority)};
    if (body.empty()) {
      return nghttp2_submit_request(session_, nullptr, nva, 4, nullptr, nullptr);
    }
    upload_ = body;
    nghttp2_data_provider provider{};
    provider.source.ptr = this;
    provider.read_callback = [](nghttp2_session*, int32_t, uint8_t* buf, size_t len,
                                uint32_t* flags, nghttp2_data_source* src, void*) -> ssize_t {
      auto* c = static_cast<Client*>(src->ptr);
      const size_t n = std::min(len, c->upload_.size());
      std::memcpy(buf, c->upload_.data(), n);
      c->upload_.erase(0, n);
      if (c->upload_.empty()) {
        *flags |= NGHTTP2_DATA_FLAG_EOF;
      }
      return static_cast<ssize_t>(n);
    };
    return nghttp2_submit_request(session_, nullptr, nva, 4, &provider, nullptr);
  }
  void reset(int32_t id) {
    nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, id, NGHTTP2_CANCEL);
  }
  // Gives `bytes` of window back for the stream and the connection.
  void consume(int32_t id, size_t bytes) { nghttp2_session_consume(session_, id, bytes); }
  void consumeConnection(size_t bytes) { nghttp2_session_consume_connection(session_, bytes); }

  // One exchange step: write what nghttp2 has, read what arrived (no wait).
  void step() {
    const uint8_t* data = nullptr;
    ssize_t n;
    while ((n = nghttp2_session_mem_send(session_, &data)) > 0) {
      ::send(fd_, data, static_cast<size_t>(n), MSG_NOSIGNAL);
    }
    pollfd p{fd_, POLLIN, 0};
    while (::poll(&p, 1, 0) > 0) {
      char buf[16384];
      const ssize_t r = ::recv(fd_, buf, sizeof buf, 0);
      if (r <= 0) {
        eof = true;
        return;
      }
      nghttp2_session_mem_recv(session_, reinterpret_cast<uint8_t*>(buf), static_cast<size_t>(r));
    }
  }

  bool connected() const { return connected_; }
  std::map<int32_t, ClientStream> streams;
  bool eof = false;

 private:
  static nghttp2_nv nv(const char* name, const std::string& value) {
    return {reinterpret_cast<uint8_t*>(const_cast<char*>(name)),
            reinterpret_cast<uint8_t*>(const_cast<char*>(value.data())), std::strlen(name),
            value.size(), NGHTTP2_NV_FLAG_NONE};
  }

  int fd_ = -1;
  bool connected_ = false;
  nghttp2_session* session_ = nullptr;
  std::string upload_;
};

class Http2ConnectionTest : public ::testing::Test {
 protected:
  void SetUp() override { listen(std::chrono::seconds(60)); }
  void listen(std::chrono::milliseconds idle_timeout) {
    Http1Limits limits;
    limits.max_request_body = 1 << 20;
    limits.idle_timeout = idle_timeout;
    manager_.reset();
    manager_ = std::make_unique<ConnectionManager>(worker_, dispatcher_, dispatcher_, limits);
    std::string error;
    port_ = manager_->listen("127.0.0.1", 0, &error);
    ASSERT_NE(port_, 0) << error;
  }
  void TearDown() override {
    manager_.reset();
    // Deferred deletions still queued run with the loop.
    event_base_loop(worker_.base(), EVLOOP_NONBLOCK);
  }

  // Runs the loop and the client until `done` holds (or ~3 s).
  template <typename Done>
  bool run(Client& client, Done done) {
    for (int i = 0; i < 3000; ++i) {
      client.step();
      event_base_loop(worker_.base(), EVLOOP_NONBLOCK);
      client.step();
      if (done()) {
        return true;
      }
      usleep(1000);
    }
    return false;
  }

  Worker worker_{0};
  Events events_;
  FakeDispatcher dispatcher_{events_};
  std::unique_ptr<ConnectionManager> manager_;
  uint16_t port_ = 0;
  size_t consumed_ = 0;
};

TEST_F(Http2ConnectionTest, ResetStreamDestroysOnlyItsHandler) {
  Client client(port_, 1 << 20, true);
  ASSERT_TRUE(client.connected());
  const int32_t a = client.get("/a?x=1");
  const int32_t b = client.get("/b", "hello body");
  ASSERT_TRUE(run(client, [&] { return events_.live.size() == 2; }));
  EXPECT_EQ(dispatcher_.last_body, "hello body");
  EXPECT_EQ(dispatcher_.last_host, "example.test");

  events_.live["/a"]->sink().sendHeaders(200, {{"content-type", "text/plain"}}, std::nullopt);
  events_.live["/a"]->sink().sendData("part");
  ASSERT_TRUE(run(client, [&] { return client.streams[a].body == "part"; }));
  client.reset(a);
  ASSERT_TRUE(run(client, [&] { return events_.destroyed["/a"]; }));
  EXPECT_FALSE(events_.destroyed["/b"]);

  ResponseSink& sink = events_.live["/b"]->sink();
  sink.sendHeaders(200, {{"content-type", "text/plain"}, {"connection", "close"}}, 2);
  sink.sendData("ok");
  sink.finish();
  ASSERT_TRUE(run(client, [&] { return client.streams[b].closed && events_.destroyed["/b"]; }));
  EXPECT_EQ(client.streams[b].status, 200);
  EXPECT_EQ(client.streams[b].body, "ok");
  EXPECT_EQ(client.streams[b].error, 0u);
  EXPECT_EQ(manager_->connectionCount(), 1u);
}

TEST_F(Http2ConnectionTest, AbortResetsTheStreamNotTheConnection) {
  Client client(port_, 1 << 20, true);
  const int32_t a = client.get("/a");
  ASSERT_TRUE(run(client, [&] { return events_.live.size() == 1; }));
  ResponseSink& sink = events_.live["/a"]->sink();
  sink.sendHeaders(200, {}, std::nullopt);
  sink.sendData("half");
  sink.abort();
  ASSERT_TRUE(run(client, [&] { return client.streams[a].closed; }));
  EXPECT_EQ(client.streams[a].error, static_cast<uint32_t>(NGHTTP2_INTERNAL_ERROR));
  const int32_t b = client.get("/b");
  ASSERT_TRUE(run(client, [&] { return events_.live.count("/b") == 1; }));
  events_.live["/b"]->sink().sendHeaders(204, {}, 0);
  events_.live["/b"]->sink().finish();
  ASSERT_TRUE(run(client, [&] { return client.streams[b].closed; }));
  EXPECT_EQ(client.streams[b].status, 204);
  EXPECT_FALSE(client.eof);
}

TEST_F(Http2ConnectionTest, RefusedHeadAnsweredWithoutDispatch) {
  Client client(port_, 1 << 20, true);
  const int32_t a = client.get("/deny");
  ASSERT_TRUE(run(client, [&] { return client.streams[a].closed; }));
  EXPECT_EQ(client.streams[a].status, 401);
  EXPECT_EQ(client.streams[a].body, "denied");
  EXPECT_EQ(events_.dispatched, 0);
}

TEST_F(Http2ConnectionTest, BodyOverLimitRejectedWith413) {
  Client client(port_, 1 << 20, true);
  const int32_t a = client.get("/big", std::string((1 << 20) + 1, 'x'));
  ASSERT_TRUE(run(client, [&] { return client.streams[a].closed; }));
  EXPECT_EQ(client.streams[a].status, 413);
  EXPECT_EQ(events_.rejected, 1);
  EXPECT_EQ(events_.dispatched, 0);
}

TEST_F(Http2ConnectionTest, ClosedWindowBuffersInTheStreamThenDrains) {
  // 64 KiB stream window, no automatic WINDOW_UPDATE: the client reads nothing more.
  Client client(port_, 65535, false);
  const int32_t a = client.get("/a");
  ASSERT_TRUE(run(client, [&] { return events_.live.size() == 1; }));
  ResponseSink& sink = events_.live["/a"]->sink();
  sink.sendHeaders(200, {}, std::nullopt);
  const std::string chunk(64 << 10, 'z');
  for (int i = 0; i < 8; ++i) {
    sink.sendData(chunk);  // 512 KiB
  }
  ASSERT_TRUE(run(client, [&] { return client.streams[a].body.size() == 65535; }));
  // What the window holds back stays in the stream: the handler sees it and would pause.
  EXPECT_GT(sink.pendingBytes(), 256u << 10);
  EXPECT_EQ(events_.drained["/a"], 0);

  // Reading it all (window given back as data arrives) wakes the handler once drained.
  ASSERT_TRUE(run(client, [&] {
    const size_t have = client.streams[a].body.size();
    client.consume(a, have - consumed_);
    consumed_ = have;
    return have == 8u * chunk.size();
  }));
  ASSERT_TRUE(run(client, [&] { return events_.drained["/a"] >= 1; }));
  EXPECT_LT(sink.pendingBytes(), 64u << 10);
  sink.finish();
  ASSERT_TRUE(run(client, [&] { return client.streams[a].closed; }));
  EXPECT_EQ(client.streams[a].error, 0u);
}

TEST_F(Http2ConnectionTest, StreamStuckOnAShutWindowIsResetAfterIdleTimeout) {
  listen(200ms);
  Client client(port_, 65535, false);  // never gives window back
  const int32_t a = client.get("/a");
  const int32_t b = client.get("/b");
  ASSERT_TRUE(run(client, [&] { return events_.live.size() == 2; }));
  ResponseSink& stuck = events_.live["/a"]->sink();
  stuck.sendHeaders(200, {}, std::nullopt);
  stuck.sendData(std::string(200 << 10, 'z'));
  const auto from = std::chrono::steady_clock::now();
  ASSERT_TRUE(run(client, [&] { return events_.destroyed["/a"]; }));
  EXPECT_GE(std::chrono::steady_clock::now() - from, 200ms);
  ASSERT_TRUE(run(client, [&] { return client.streams[a].closed; }));
  EXPECT_EQ(client.streams[a].error, static_cast<uint32_t>(NGHTTP2_CANCEL));
  // A quiet stream (nothing to send) is not touched, nor is the connection: once the client
  // gives the connection window back, the sibling is served.
  EXPECT_FALSE(events_.destroyed["/b"]);
  client.consumeConnection(client.streams[a].body.size());
  ResponseSink& quiet = events_.live["/b"]->sink();
  quiet.sendHeaders(200, {}, 2);
  quiet.sendData("ok");
  quiet.finish();
  ASSERT_TRUE(run(client, [&] { return client.streams[b].closed; }));
  EXPECT_EQ(client.streams[b].body, "ok");
  EXPECT_EQ(client.streams[b].error, 0u);
}

TEST_F(Http2ConnectionTest, DrainSendsGoawayAndClosesWhenStreamsFinish) {
  Client client(port_, 1 << 20, true);
  const int32_t a = client.get("/a");
  ASSERT_TRUE(run(client, [&] { return events_.live.size() == 1; }));
  manager_->drain();
  event_base_loop(worker_.base(), EVLOOP_NONBLOCK);
  EXPECT_EQ(manager_->connectionCount(), 1u);
  ResponseSink& sink = events_.live["/a"]->sink();
  sink.sendHeaders(200, {}, 3);
  sink.sendData("bye");
  sink.finish();
  ASSERT_TRUE(run(client, [&] { return client.eof; }));
  EXPECT_EQ(client.streams[a].body, "bye");
  EXPECT_EQ(manager_->connectionCount(), 0u);
  ASSERT_FALSE(dispatcher_.closes.empty());
  EXPECT_EQ(dispatcher_.closes.back(), "draining");
}

}  // namespace
}  // namespace slotgate::gateway
