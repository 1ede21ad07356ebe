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
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "gateway/downstream/connection_manager.h"
#include "gateway/downstream/request_recycler.h"
#include "gateway/worker.h"

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
  bool admitHead(IncomingRequest& head, ResponseSink& sink, ConnectionMemoPtr&) override {
    if (head.path != "/deny") {
      return true;
    }
    sink.sendHeaders(401, {{"content-type", "text/plain"}}, 6);
    sink.sendData("denied");
    sink.finish();
    return false;
  }
  RequestHandlerPtr dispatch(IncomingRequestPtr&& owned, ResponseSink& sink) override {
    ++events_.dispatched;
    const IncomingRequest& request = *owned;
    last_body = request.body;
    last_query = request.query;
    last_host = findHeader(request.headers, "host") ? *findHeader(request.headers, "host") : "";
    last_header_names.clear();
    for (const auto& h : request.headers) {
      last_header_names.push_back(h.name);
    }
    return std::make_unique<FakeHandler>(events_, request.path, sink);
  }
  void reject(CodecReject, const IncomingRequest&, ResponseSink& sink) override {
    ++events_.rejected;
    sink.sendHeaders(413, {}, 0);
    sink.finish();
  }
  void onConnectionClosed(const char* reason) override { closes.push_back(reason); }
  void onConnectionRefused(const char*) override {}
  void onCodecReject(CodecReject) override {}

  std::string last_body;
  std::string last_query;
  std::string last_host;
  std::vector<std::string> last_header_names;
  std::vector<std::string> closes;

 private:
  Events& events_;
};

struct ClientStream {
  int status = 0;
  std::map<std::string, std::string> headers;   // the response's, but :status
  std::map<std::string, uint8_t> header_flags;  // NGHTTP2_NV_FLAG_NO_INDEX: sent never-indexed
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
                const uint8_t* v, size_t vl, uint8_t flags, void* u) {
          const std::string name(reinterpret_cast<const char*>(n), nl);
          const std::string value(reinterpret_cast<const char*>(v), vl);
          ClientStream& s = static_cast<Client*>(u)->streams[f->hd.stream_id];
          if (name == ":status") {
            s.status = std::stoi(value);
          } else {
            s.headers[name] = value;
            s.header_flags[name] = flags;
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
    settings_[0] = {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, static_cast<uint32_t>(initial_window)};
    nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, settings_, 1);
  }
  ~Client() {
    nghttp2_session_del(session_);
    ::close(fd_);
  }

  // `fields`: more header fields after the pseudo-header ones (lower-case names).
  int32_t get(const std::string& path, const std::string& body = "",
              const std::vector<std::pair<std::string, std::string>>& fields = {}) {
    // nghttp2 copies the fields on submit; the strings must live until then.
    const std::string method = body.empty() ? "GET" : "POST";
    const std::string scheme = "http";
    const std::string authority = "example.test";
    std::vector<nghttp2_nv> nva = {nv(":method", method), nv(":scheme", scheme), nv(":path", path),
                                   nv(":authority", authority)};
    for (const auto& [name, value] : fields) {
      nva.push_back(nv(name.c_str(), value));
    }
    if (body.empty()) {
      return nghttp2_submit_request(session_, nullptr, nva.data(), nva.size(), nullptr, nullptr);
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
    return nghttp2_submit_request(session_, nullptr, nva.data(), nva.size(), &provider, nullptr);
  }
  // h2c upgrade (RFC 7540 3.2), before any step(): sends `head` (an HTTP/1.1 request line and
  // headers, without the blank line) plus the upgrade fields carrying our SETTINGS, then
  // `body`, and pumps until the 101 arrived. Then stream 1 is the request's, half-closed.
  // Returns what preceded the switch when it did not happen, "" on success.
  std::string upgrade(const std::string& head, const std::string& body,
                      const std::function<void()>& pump) {
    uint8_t payload[64];
    const ssize_t n = nghttp2_pack_settings_payload(payload, sizeof payload, settings_, 1);
    const std::string request =
        head + "\r\nConnection: Upgrade, HTTP2-Settings\r\n" +
        "Upgrade: h2c\r\nHTTP2-Settings: " + base64Url(payload, static_cast<size_t>(n)) +
        "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
    ::send(fd_, request.data(), request.size(), MSG_NOSIGNAL);
    std::string got;
    static constexpr char k101[] =
        "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n";
    for (int i = 0; i < 3000 && got.find("\r\n\r\n") == std::string::npos; ++i) {
      pump();
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 1) > 0) {
        char buf[4096];
        const ssize_t r = ::recv(fd_, buf, sizeof buf, 0);
        if (r <= 0) {
          break;
        }
        got.append(buf, static_cast<size_t>(r));
      }
    }
    if (got.rfind(k101, 0) != 0) {
      return got.empty() ? "nothing" : got;
    }
    nghttp2_session_upgrade2(session_, payload, static_cast<size_t>(n), 0, nullptr);
    const std::string rest = got.substr(sizeof k101 - 1);
    nghttp2_session_mem_recv(session_, reinterpret_cast<const uint8_t*>(rest.data()), rest.size());
    return "";
  }
  bool sendRaw(const std::string& bytes) {
    return ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) ==
           static_cast<ssize_t>(bytes.size());
  }
  // What arrived, without waiting (bypassing nghttp2).
  std::string recvRaw() {
    std::string got;
    pollfd p{fd_, POLLIN, 0};
    while (::poll(&p, 1, 0) > 0) {
      char buf[4096];
      const ssize_t r = ::recv(fd_, buf, sizeof buf, 0);
      if (r <= 0) {
        break;
      }
      got.append(buf, static_cast<size_t>(r));
    }
    return got;
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

  static std::string base64Url(const uint8_t* data, size_t len) {
    static constexpr char kAlphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    std::string out;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < len; ++i) {
      acc = (acc << 8) | data[i];
      bits += 8;
      while (bits >= 6) {
        bits -= 6;
        out.push_back(kAlphabet[(acc >> bits) & 0x3f]);
      }
    }
    if (bits > 0) {
      out.push_back(kAlphabet[(acc << (6 - bits)) & 0x3f]);
    }
    return out;
  }

  int fd_ = -1;
  bool connected_ = false;
  nghttp2_settings_entry settings_[1] = {};
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
    manager_ =
        std::make_unique<ConnectionManager>(worker_, dispatcher_, dispatcher_, budget_, limits);
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
  ConnectionBudget budget_{1000};
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

// The response head goes out with lower-case names (RFC 9113 8.2.1), without the fields HTTP/2
// forbids, and with slotgate's content-length; two responses in a row (the field list and the
// name buffer are reused) carry only their own fields.
TEST_F(Http2ConnectionTest, ResponseHeadsAreLoweredAndFilteredEachOnItsOwn) {
  Client client(port_, 1 << 20, true);
  const int32_t a = client.get("/a");
  ASSERT_TRUE(run(client, [&] { return events_.live.count("/a") == 1; }));
  ResponseSink& first = events_.live["/a"]->sink();
  first.sendHeaders(200,
                    {{"Content-Type", "application/json"},
                     {"X-Slotgate-Provider-With-A-Long-Name", "p1"},
                     {"Connection", "keep-alive"},
                     {"Transfer-Encoding", "chunked"},
                     {"Content-Length", "999"}},
                    2);
  first.sendData("{}");
  first.finish();
  ASSERT_TRUE(run(client, [&] { return client.streams[a].closed; }));
  const std::map<std::string, std::string> expected_a = {
      {"content-type", "application/json"},
      {"x-slotgate-provider-with-a-long-name", "p1"},
      {"content-length", "2"}};
  EXPECT_EQ(client.streams[a].headers, expected_a);

  const int32_t b = client.get("/b");
  ASSERT_TRUE(run(client, [&] { return events_.live.count("/b") == 1; }));
  ResponseSink& second = events_.live["/b"]->sink();
  second.sendHeaders(404, {{"X-Other", "v"}}, std::nullopt);
  second.finish();
  ASSERT_TRUE(run(client, [&] { return client.streams[b].closed; }));
  EXPECT_EQ(client.streams[b].status, 404);
  const std::map<std::string, std::string> expected_b = {{"x-other", "v"}};
  EXPECT_EQ(client.streams[b].headers, expected_b);
}

// nghttp2 reads a response head's bytes in place (NO_COPY) when it serializes the HEADERS frame,
// after sendHeaders returned: heads of two streams submitted in one loop turn, from header lists
// gone by then, each reach the client as they were; a third head submitted just before the
// client resets its stream is dropped with the stream (the sanitizer builds check nothing is
// read after its stream went).
TEST_F(Http2ConnectionTest, HeadsSubmittedTogetherKeepTheirBytesUntilSent) {
  Client client(port_, 1 << 20, true);
  const int32_t a = client.get("/a");
  const int32_t b = client.get("/b");
  const int32_t c = client.get("/c");
  ASSERT_TRUE(run(client, [&] { return events_.live.size() == 3; }));
  {
    Headers head = {{"Content-Type", "application/json"}, {"x-request-id", "req_a"}};
    events_.live["/a"]->sink().sendHeaders(200, head, 2);
  }
  {
    Headers head = {{"content-type", "text/plain"}, {"X-Request-Id", "req_b"}, {"x-b", "b"}};
    events_.live["/b"]->sink().sendHeaders(201, head, std::nullopt);
  }
  events_.live["/c"]->sink().sendHeaders(200, {{"x-c", std::string(300, 'c')}}, std::nullopt);
  client.reset(c);
  events_.live["/a"]->sink().sendData("{}");
  events_.live["/a"]->sink().finish();
  events_.live["/b"]->sink().sendData("b");
  events_.live["/b"]->sink().finish();
  ASSERT_TRUE(run(client, [&] {
    return client.streams[a].closed && client.streams[b].closed && events_.destroyed["/c"];
  }));
  EXPECT_EQ(client.streams[a].status, 200);
  const std::map<std::string, std::string> expected_a = {
      {"content-type", "application/json"}, {"x-request-id", "req_a"}, {"content-length", "2"}};
  EXPECT_EQ(client.streams[a].headers, expected_a);
  EXPECT_EQ(client.streams[b].status, 201);
  const std::map<std::string, std::string> expected_b = {
      {"content-type", "text/plain"}, {"x-request-id", "req_b"}, {"x-b", "b"}};
  EXPECT_EQ(client.streams[b].headers, expected_b);
  EXPECT_EQ(client.streams[b].body, "b");
}

// The request id, new in every response, is sent in HPACK's never-indexed form (no dynamic-table
// entry per response); the fields that repeat are indexed as before.
TEST_F(Http2ConnectionTest, TheRequestIdIsSentNeverIndexed) {
  Client client(port_, 1 << 20, true);
  const int32_t a = client.get("/a");
  ASSERT_TRUE(run(client, [&] { return events_.live.count("/a") == 1; }));
  ResponseSink& sink = events_.live["/a"]->sink();
  sink.sendHeaders(200, {{"content-type", "application/json"}, {"x-request-id", "req_1"}}, 0);
  sink.finish();
  ASSERT_TRUE(run(client, [&] { return client.streams[a].closed; }));
  EXPECT_EQ(client.streams[a].headers["x-request-id"], "req_1");
  EXPECT_NE(client.streams[a].header_flags["x-request-id"] & NGHTTP2_NV_FLAG_NO_INDEX, 0);
  EXPECT_EQ(client.streams[a].header_flags["content-type"] & NGHTTP2_NV_FLAG_NO_INDEX, 0);
}

// A stream's memory comes from the thread's free list (thread_pooled.h) and goes back to it
// once the stream is deleted (issue 12: no allocation per stream).
TEST_F(Http2ConnectionTest, AFinishedStreamsBlockServesTheNextStream) {
  Client client(port_, 1 << 20, true);
  const int32_t a = client.get("/a");
  ASSERT_TRUE(run(client, [&] { return events_.live.count("/a") == 1; }));
  events_.live["/a"]->sink().sendHeaders(204, {}, 0);
  events_.live["/a"]->sink().finish();
  ASSERT_TRUE(run(client, [&] { return client.streams[a].closed && events_.destroyed["/a"]; }));
  event_base_loop(worker_.base(), EVLOOP_NONBLOCK);  // the deferred deletion of the stream
  const size_t kept = keptPooled<sizeof(Http2Stream)>();
  ASSERT_GE(kept, 1u);
  client.get("/b");
  ASSERT_TRUE(run(client, [&] { return events_.live.count("/b") == 1; }));
  EXPECT_EQ(keptPooled<sizeof(Http2Stream)>(), kept - 1);  // taken, not malloc'd
}

// A request is built in the storage of an earlier one (request_recycler.h): a stream that was
// never dispatched gives its storage back, and the next request, with fewer fields, carries
// only its own.
TEST_F(Http2ConnectionTest, ARequestBuiltInRecycledStorageCarriesOnlyItsOwnFields) {
  Client client(port_, 1 << 20, true);
  const int32_t denied = client.get("/deny", "", {{"x-a", "1"}, {"x-b", "2"}, {"x-c", "3"}});
  ASSERT_TRUE(run(client, [&] { return client.streams[denied].closed; }));
  EXPECT_EQ(client.streams[denied].status, 401);
  event_base_loop(worker_.base(), EVLOOP_NONBLOCK);  // the deferred deletion of the stream
  Headers entries;
  IncomingRequestPtr spare = takeSpareRequest(entries);
  EXPECT_GE(entries.size(), 4u);  // host, x-a, x-b, x-c: the refused request's storage
  spare->headers.swap(entries);
  spare.reset();  // back for the next stream

  client.get("/b", "", {{"x-only", "v"}});
  ASSERT_TRUE(run(client, [&] { return events_.live.count("/b") == 1; }));
  EXPECT_EQ(dispatcher_.last_header_names, (std::vector<std::string>{"host", "x-only"}));
  EXPECT_EQ(dispatcher_.last_host, "example.test");
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

TEST_F(Http2ConnectionTest, H2cUpgradeServesTheRequestAsStream1) {
  Client client(port_, 1 << 20, true);
  ASSERT_TRUE(client.connected());
  const auto pump = [&] { event_base_loop(worker_.base(), EVLOOP_NONBLOCK); };
  ASSERT_EQ(
      client.upgrade("POST /up?q=1 HTTP/1.1\r\nHost: example.test\r\nX-Keep: yes", "hello", pump),
      "");
  ASSERT_TRUE(run(client, [&] { return events_.live.count("/up") == 1; }));
  EXPECT_EQ(dispatcher_.last_body, "hello");
  EXPECT_EQ(dispatcher_.last_query, "q=1");
  EXPECT_EQ(dispatcher_.last_host, "example.test");
  // The fields of the HTTP/1.1 hop do not travel on as part of the request.
  const auto& names = dispatcher_.last_header_names;
  for (const char* hop : {"connection", "upgrade", "http2-settings"}) {
    EXPECT_EQ(std::count(names.begin(), names.end(), hop), 0) << hop;
  }
  EXPECT_EQ(std::count(names.begin(), names.end(), "x-keep"), 1);

  ResponseSink& sink = events_.live["/up"]->sink();
  sink.sendHeaders(200, {{"content-type", "text/plain"}}, 2);
  sink.sendData("ok");
  sink.finish();
  ASSERT_TRUE(run(client, [&] { return client.streams[1].closed && events_.destroyed["/up"]; }));
  EXPECT_EQ(client.streams[1].status, 200);
  EXPECT_EQ(client.streams[1].body, "ok");
  EXPECT_EQ(client.streams[1].error, 0u);

  // The connection goes on as HTTP/2: the next request is stream 3.
  const int32_t b = client.get("/b");
  EXPECT_EQ(b, 3);
  ASSERT_TRUE(run(client, [&] { return events_.live.count("/b") == 1; }));
  events_.live["/b"]->sink().sendHeaders(204, {}, 0);
  events_.live["/b"]->sink().finish();
  ASSERT_TRUE(run(client, [&] { return client.streams[b].closed; }));
  EXPECT_EQ(client.streams[b].status, 204);
  EXPECT_EQ(manager_->connectionCount(), 1u);
  EXPECT_EQ(events_.dispatched, 2);
}

TEST_F(Http2ConnectionTest, H2cUpgradedRequestCancelledWhenTheClientLeaves) {
  {
    Client client(port_, 1 << 20, true);
    const auto pump = [&] { event_base_loop(worker_.base(), EVLOOP_NONBLOCK); };
    ASSERT_EQ(client.upgrade("GET /up HTTP/1.1\r\nHost: example.test", "", pump), "");
    ASSERT_TRUE(run(client, [&] { return events_.live.count("/up") == 1; }));
  }
  for (int i = 0; i < 3000 && !events_.destroyed["/up"]; ++i) {
    event_base_loop(worker_.base(), EVLOOP_NONBLOCK);
    usleep(1000);
  }
  EXPECT_TRUE(events_.destroyed["/up"]);  // its upstream work and slots would go with it
  EXPECT_EQ(manager_->connectionCount(), 0u);
}

TEST_F(Http2ConnectionTest, H2cUpgradeRefusedWhileDrainingIsServedAsHttp11) {
  Client client(port_, 1 << 20, true);
  // The head arrives, then the server drains before the request completes.
  const std::string head =
      "POST /late HTTP/1.1\r\nHost: example.test\r\nConnection: Upgrade, HTTP2-Settings\r\n"
      "Upgrade: h2c\r\nHTTP2-Settings: AAMAAABk\r\nContent-Length: 2\r\n\r\n";
  ASSERT_TRUE(client.sendRaw(head));
  for (int i = 0; i < 100; ++i) {
    event_base_loop(worker_.base(), EVLOOP_NONBLOCK);
    usleep(1000);
  }
  manager_->drain();
  ASSERT_TRUE(client.sendRaw("{}"));
  for (int i = 0; i < 3000 && events_.live.count("/late") == 0; ++i) {
    event_base_loop(worker_.base(), EVLOOP_NONBLOCK);
    usleep(1000);
  }
  ASSERT_EQ(events_.live.count("/late"), 1u);
  ResponseSink& sink = events_.live["/late"]->sink();
  sink.sendHeaders(200, {}, 2);
  sink.sendData("ok");
  sink.finish();
  std::string got;
  for (int i = 0; i < 3000 && got.find("\r\n\r\nok") == std::string::npos; ++i) {
    event_base_loop(worker_.base(), EVLOOP_NONBLOCK);
    got += client.recvRaw();
    usleep(1000);
  }
  EXPECT_EQ(got.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << got;
  EXPECT_NE(got.find("connection: close"), std::string::npos) << got;
}

}  // namespace
}  // namespace slotgate::gateway
