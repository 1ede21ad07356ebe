#include "gateway/admin/admin_server.h"

#include <arpa/inet.h>
#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <openssl/crypto.h>
#include <sys/queue.h>

#include <cstring>

#include "conf/digest.h"
#include "gateway/admin/admin_request_guard.h"
#include "gateway/proxy/api_error.h"

namespace slotgate::gateway {
namespace {

const char* methodName(evhttp_cmd_type t) {
  switch (t) {
    case EVHTTP_REQ_GET:
      return "GET";
    case EVHTTP_REQ_POST:
      return "POST";
    case EVHTTP_REQ_HEAD:
      return "HEAD";
    case EVHTTP_REQ_PUT:
      return "PUT";
    case EVHTTP_REQ_DELETE:
      return "DELETE";
    default:
      return "OTHER";
  }
}

void reply(evhttp_request* req, const AdminResponse& r) {
  evkeyvalq* out = evhttp_request_get_output_headers(req);
  evhttp_add_header(out, "Content-Type", r.content_type.c_str());
  evhttp_add_header(out, "Cache-Control", "no-store");
  for (const auto& [name, value] : r.headers) {
    evhttp_add_header(out, name.c_str(), value.c_str());
  }
  evbuffer* buf = evbuffer_new();
  evbuffer_add(buf, r.body.data(), r.body.size());
  evhttp_send_reply(req, r.status, nullptr, buf);
  evbuffer_free(buf);
}

AdminResponse jsonError(int status, metrics::ErrorType code, const std::string& message) {
  return {status, "application/json", errorBody(conf::ProviderType::kOpenAI, code, message)};
}

AdminResponse forbidden(const char* message) {
  return {403, "application/json",
          std::string(R"({"error":{"type":"forbidden","message":")") + message + "\"}}"};
}

}  // namespace

AdminServer::AdminServer(std::string token)
    : token_(std::make_shared<const std::string>(std::move(token))) {}

void AdminServer::setToken(std::string token) {
  token_.store(std::make_shared<const std::string>(std::move(token)));
}

AdminServer::~AdminServer() {
  stop();
  // Freeing evhttp runs the close callbacks of streaming connections, which
  // reach into owned_ state: free it first, then that state, then the loop.
  if (http_ != nullptr) {
    evhttp_free(http_);
    http_ = nullptr;
  }
  owned_.clear();
}

void AdminServer::route(const std::string& method, const std::string& path, bool open,
                        Handler handler) {
  routes_[{method, path}] = Route{open, std::move(handler), nullptr};
}

void AdminServer::streamRoute(const std::string& method, const std::string& path, bool open,
                              StreamHandler handler) {
  routes_[{method, path}] = Route{open, nullptr, std::move(handler)};
}

void AdminServer::own(std::shared_ptr<void> state) { owned_.push_back(std::move(state)); }

uint16_t AdminServer::start(const std::string& host, uint16_t port, std::string* error) {
  http_ = evhttp_new(loop_.base());
  evhttp_set_gencb(http_, &AdminServer::onRequest, this);
  evhttp_set_max_body_size(http_, 1 << 20);
  evhttp_set_max_headers_size(http_, 64 << 10);
  evhttp_set_timeout(http_, 60);
  evhttp_bound_socket* sock = evhttp_bind_socket_with_handle(http_, host.c_str(), port);
  if (sock == nullptr) {
    *error = "cannot listen on admin " + host + ":" + std::to_string(port);
    return 0;
  }
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  getsockname(evhttp_bound_socket_get_fd(sock), reinterpret_cast<sockaddr*>(&ss), &len);
  const uint16_t bound =
      ntohs(ss.ss_family == AF_INET ? reinterpret_cast<sockaddr_in*>(&ss)->sin_port
                                    : reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port);
  loop_.start();
  return bound;
}

void AdminServer::stop() { loop_.stopAndJoin(); }

void AdminServer::onRequest(evhttp_request* req, void* arg) {
  static_cast<AdminServer*>(arg)->handle(req);
}

bool AdminServer::authorized(evhttp_request* req, const std::string& token) const {
  if (token.empty()) {
    return true;
  }
  const char* auth = evhttp_find_header(evhttp_request_get_input_headers(req), "Authorization");
  if (auth == nullptr || std::strncmp(auth, "Bearer ", 7) != 0) {
    return false;
  }
  // Digests have equal length whatever was sent, so the compare leaks no length.
  const conf::Sha256 given = conf::sha256Of(auth + 7);
  const conf::Sha256 want = conf::sha256Of(token);
  return CRYPTO_memcmp(given.data(), want.data(), given.size()) == 0;
}

void AdminServer::handle(evhttp_request* req) {
  AdminRequest r;
  r.method = methodName(evhttp_request_get_command(req));
  const evhttp_uri* uri = evhttp_request_get_evhttp_uri(req);
  const char* path = evhttp_uri_get_path(uri);
  r.path = path != nullptr ? path : "/";
  if (const char* q = evhttp_uri_get_query(uri)) {
    evkeyvalq params;
    TAILQ_INIT(&params);
    if (evhttp_parse_query_str(q, &params) == 0) {
      for (evkeyval* kv = params.tqh_first; kv != nullptr; kv = kv->next.tqe_next) {
        r.query[kv->key] = kv->value;
      }
    }
    evhttp_clear_headers(&params);
  }
  evbuffer* in = evhttp_request_get_input_buffer(req);
  r.body.resize(evbuffer_get_length(in));
  evbuffer_copyout(in, r.body.data(), r.body.size());

  auto it = routes_.find({r.method, r.path});
  if (it == routes_.end()) {
    bool path_known = false;
    for (const auto& [key, route] : routes_) {
      path_known |= key.second == r.path;
    }
    reply(req, path_known ? jsonError(405, metrics::ErrorType::kMethodNotAllowed,
                                      "method not allowed on " + r.path)
                          : jsonError(404, metrics::ErrorType::kNotFound, "no such endpoint"));
    return;
  }
  const std::shared_ptr<const std::string> token = token_.load();
  const evkeyvalq* headers = evhttp_request_get_input_headers(req);
  // Without a token, the loopback listener is all that keeps other origins out; a page on a
  // rebound DNS name reaches it as "Host: evil.example", so only loopback names pass.
  if (token->empty() && !loopbackHostHeader(evhttp_find_header(headers, "Host"))) {
    reply(req, forbidden("Host is not a loopback name; set admin.token_env to serve others"));
    return;
  }
  if (r.method == "POST") {
    if (const char* why = crossSitePostReason(evhttp_find_header(headers, "Origin"),
                                              evhttp_find_header(headers, "Host"),
                                              evhttp_find_header(headers, "Sec-Fetch-Site"),
                                              evhttp_find_header(headers, "Content-Type"))) {
      reply(req, forbidden(why));
      return;
    }
  }
  if (!it->second.open && !authorized(req, *token)) {
    reply(req, jsonError(401, metrics::ErrorType::kInvalidApiKey, "admin token required"));
    return;
  }
  if (it->second.stream) {
    it->second.stream(req, r);
    return;
  }
  reply(req, it->second.handler(r));
}

}  // namespace slotgate::gateway
