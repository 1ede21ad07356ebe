// The ops listener (admin.listen, SPEC section 6) on its own thread and
// event loop, so scrapes and dashboards never compete with the data plane's
// loops. Built on libevent's evhttp: these endpoints are low-rate.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include "gateway/http_message.h"
#include "gateway/libevent_ptr.h"

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
};

class AdminServer {
 public:
  using Handler = std::function<AdminResponse(const AdminRequest&)>;

  // token: the admin token ("" = none required). Not copied anywhere else.
  explicit AdminServer(std::string token);
  ~AdminServer();

  // Before start(). `open` routes need no token (SPEC: /metrics, /healthz, /readyz, /dashboard).
  void route(const std::string& method, const std::string& path, bool open, Handler handler);

  // Binds and starts the thread. Returns the bound port, 0 on failure (error set).
  [[nodiscard]] uint16_t start(const std::string& host, uint16_t port, std::string* error);
  void stop();

  // The loop, for endpoints that stream (they run on the admin thread).
  event_base* base() const { return base_.get(); }

 private:
  struct Route {
    bool open;
    Handler handler;
  };
  static void onRequest(evhttp_request* req, void* arg);
  void handle(evhttp_request* req);
  bool authorized(evhttp_request* req) const;

  std::string token_;
  EventBasePtr base_;
  evhttp* http_ = nullptr;
  std::map<std::pair<std::string, std::string>, Route> routes_;  // (method, path)
  std::thread thread_;
};

}  // namespace slotgate::gateway
