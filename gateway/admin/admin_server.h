// The ops listener (admin.listen, SPEC section 6) on its own loop thread (a
// Dispatcher), so scrapes and dashboards never compete with the data plane's
// loops. Built on libevent's evhttp: these endpoints are low-rate.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "gateway/downstream/http_message.h"
#include "gateway/event/dispatcher.h"

struct evhttp;
struct evhttp_request;

namespace slotgate::gateway {

struct AdminRequest {
  std::string method;
  std::string path;
  std::map<std::string, std::string> query;  // decoded
  std::string body;
};

struct AdminResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers = {};  // extra response headers
};

class AdminServer {
 public:
  using Handler = std::function<AdminResponse(const AdminRequest&)>;
  // Takes over the reply (e.g. evhttp_send_reply_start for a stream); runs on
  // the admin thread after the token check.
  using StreamHandler = std::function<void(evhttp_request*, const AdminRequest&)>;

  // token: the admin token ("" = none required). Not copied anywhere else.
  explicit AdminServer(std::string token);

  // A reload: requests from now on are checked against `token` ("" = none). Thread-safe.
  void setToken(std::string token);
  ~AdminServer();

  // Before start(). `open` routes need no token (SPEC: /metrics, /healthz, /readyz, /dashboard).
  void route(const std::string& method, const std::string& path, bool open, Handler handler);
  // Before start(). A route whose handler answers by itself (long-lived streams).
  void streamRoute(const std::string& method, const std::string& path, bool open,
                   StreamHandler handler);

  // Keeps `state` alive until the admin thread has stopped and every admin
  // connection is freed (their close callbacks run first), then destroys it
  // before the event loop. For timers and stream registries the routes use.
  void own(std::shared_ptr<void> state);

  // Binds and starts the thread. Returns the bound port, 0 on failure (error set).
  [[nodiscard]] uint16_t start(const std::string& host, uint16_t port, std::string* error);
  void stop();

  // The loop, for endpoints that stream and their timers (they run on the admin thread).
  Dispatcher& dispatcher() { return loop_; }
  event_base* base() const { return loop_.base(); }

 private:
  struct Route {
    bool open;
    Handler handler;
    StreamHandler stream;  // set instead of handler for streamRoute()
  };
  static void onRequest(evhttp_request* req, void* arg);
  void handle(evhttp_request* req);
  bool authorized(evhttp_request* req, const std::string& token) const;

  std::atomic<std::shared_ptr<const std::string>> token_;
  Dispatcher loop_;
  evhttp* http_ = nullptr;
  std::map<std::pair<std::string, std::string>, Route> routes_;  // (method, path)
  std::vector<std::shared_ptr<void>> owned_;  // destroyed after http_, before loop_
};

}  // namespace slotgate::gateway
