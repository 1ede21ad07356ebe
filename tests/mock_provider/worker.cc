#include "tests/mock_provider/worker.h"

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include <cctype>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <ctime>
#include <limits>
#include <nlohmann/json.hpp>
#include <vector>

#include "tests/mock_provider/exchange.h"
#include "tests/mock_provider/tls.h"

namespace slotgate::mock {
namespace {

constexpr int kMaxChunks = 100000;
constexpr int kMaxDelayMs = 3600 * 1000;
constexpr int kMaxBodyBytes = 256 * 1024 * 1024;

int headerInt(evkeyvalq* headers, const char* name, int fallback, int max) {
  const char* value = evhttp_find_header(headers, name);
  if (value == nullptr) {
    return fallback;
  }
  int parsed = 0;
  const char* end = value + std::strlen(value);
  auto [ptr, ec] = std::from_chars(value, end, parsed);
  if (ec != std::errc() || ptr != end || parsed < 0) {
    return fallback;
  }
  return parsed > max ? max : parsed;
}

void sendJson(evhttp_request* req, int status, const std::string& body) {
  evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", "application/json");
  evbuffer_add(evhttp_request_get_output_buffer(req), body.data(), body.size());
  evhttp_send_reply(req, status, status == 200 ? "OK" : "Error", nullptr);
}

std::string_view methodName(evhttp_cmd_type cmd) {
  switch (cmd) {
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
    case EVHTTP_REQ_OPTIONS:
      return "OPTIONS";
    case EVHTTP_REQ_TRACE:
      return "TRACE";
    case EVHTTP_REQ_CONNECT:
      return "CONNECT";
    case EVHTTP_REQ_PATCH:
      return "PATCH";
  }
  return "OTHER";
}

std::string_view bodyOf(evhttp_request* req) {
  evbuffer* in = evhttp_request_get_input_buffer(req);
  const size_t size = evbuffer_get_length(in);
  if (size == 0) {
    return {};
  }
  return {reinterpret_cast<const char*>(evbuffer_pullup(in, -1)), size};
}

}  // namespace

Worker::Worker(size_t index, const Options& options, Stats& stats, Holds& holds, ssl_ctx_st* sslCtx)
    : index_(index), options_(options), stats_(stats), holds_(holds), sslCtx_(sslCtx) {}

Worker::~Worker() {
  if (http_ != nullptr) {
    // Closes every connection; each pending Exchange hears it through its close callback.
    evhttp_free(http_);
  }
  while (!live_.empty()) {
    (*live_.begin())->abandon();
  }
  if (releasedEvent_ != nullptr) {
    event_free(releasedEvent_);
  }
  if (base_ != nullptr) {
    event_base_free(base_);
  }
}

bool Worker::init(int listenFd, std::string& error) {
  base_ = event_base_new();
  http_ = base_ != nullptr ? evhttp_new(base_) : nullptr;
  if (http_ == nullptr) {
    error = "cannot create event loop";
    return false;
  }
  releasedEvent_ = event_new(base_, -1, 0, &Worker::onReleased, this);
  // A hung or slow request must outlive any test's patience; evhttp's default is 50 s.
  evhttp_set_timeout(http_, 3600);
  evhttp_set_allowed_methods(http_, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD |
                                        EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE | EVHTTP_REQ_OPTIONS |
                                        EVHTTP_REQ_PATCH);
  evhttp_set_gencb(http_, &Worker::onRequest, this);
  if (sslCtx_ != nullptr) {
    evhttp_set_bevcb(http_, &makeTlsBufferevent, sslCtx_);
  }
  if (evhttp_accept_socket(http_, listenFd) != 0) {
    error = "cannot accept on listening socket";
    return false;
  }
  return true;
}

void Worker::run() { event_base_dispatch(base_); }

// loopexit, not loopbreak: a SIGTERM that arrives before this worker's thread entered its loop
// would otherwise be forgotten (libevent clears the break flag when a loop starts).
void Worker::stop() { event_base_loopexit(base_, nullptr); }

uint64_t Worker::hold(Exchange* exchange, const std::string& name) {
  const uint64_t id = holds_.hold(name, *this);
  held_.emplace(id, exchange);
  return id;
}

void Worker::forgetHold(uint64_t id, const std::string& name) {
  held_.erase(id);
  holds_.forget(name, id);
}

void Worker::postRelease(uint64_t id) {
  {
    std::lock_guard lock(releasedMu_);
    released_.push_back(id);
  }
  // Thread-safe (evthread_use_pthreads): wakes this worker's loop, which runs onReleased.
  event_active(releasedEvent_, 0, 0);
}

void Worker::onReleased(int /*fd*/, short /*what*/, void* arg) {
  auto* self = static_cast<Worker*>(arg);
  std::vector<uint64_t> ids;
  {
    std::lock_guard lock(self->releasedMu_);
    ids.swap(self->released_);
  }
  for (const uint64_t id : ids) {
    // Absent when the client went away after the release was decided.
    const auto held = self->held_.find(id);
    if (held == self->held_.end()) {
      continue;
    }
    Exchange* exchange = held->second;
    self->held_.erase(held);
    exchange->resume();
  }
}

void Worker::onRequest(evhttp_request* req, void* arg) {
  auto* self = static_cast<Worker*>(arg);
  const evhttp_uri* uri = evhttp_request_get_evhttp_uri(req);
  const char* rawPath = uri != nullptr ? evhttp_uri_get_path(uri) : nullptr;
  const std::string_view path = rawPath != nullptr ? rawPath : "";
  if (const auto api = apiPathFromUri(path)) {
    self->handleModel(req, *api);
    return;
  }
  self->handleControl(req, std::string(path));
}

void Worker::recordRequest(evhttp_request* req, std::string_view path, std::string_view body) {
  stats_.slot(index_).record(stats_.nextSeq(), [&](RecordedRequest& out) {
    out.method.assign(methodName(evhttp_request_get_command(req)));
    out.path.assign(path);
    out.body.assign(body);
    size_t count = 0;
    evkeyvalq* headers = evhttp_request_get_input_headers(req);
    for (evkeyval* h = headers->tqh_first; h != nullptr; h = h->next.tqe_next) {
      if (count == out.headers.size()) {
        out.headers.emplace_back();
      }
      auto& [name, value] = out.headers[count++];
      name.assign(h->key);
      for (char& c : name) {
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      }
      value.assign(h->value);
    }
    out.headerCount = count;
  });
}

void Worker::handleModel(evhttp_request* req, ApiPath path) {
  const std::string_view body = bodyOf(req);
  recordRequest(req, apiPathName(path), body);
  stats_.begin(path);
  if (evhttp_request_get_command(req) != EVHTTP_REQ_POST) {
    sendError(req, path, 405, "only POST is supported on this path");
    stats_.end(false);
    return;
  }
  auto doc = nlohmann::json::parse(body.begin(), body.end(), nullptr, false);
  const auto model = doc.is_object() ? doc.find("model") : doc.end();
  if (doc.is_discarded() || !doc.is_object() || model == doc.end() || !model->is_string()) {
    sendError(req, path, 400, "body must be a JSON object with a string \"model\"");
    stats_.end(false);
    return;
  }
  evkeyvalq* headers = evhttp_request_get_input_headers(req);
  Plan plan;
  plan.path = path;
  plan.model = model->get_ref<const std::string&>();
  if (const auto stream = doc.find("stream"); stream != doc.end() && stream->is_boolean()) {
    plan.stream = stream->get<bool>() && canStream(path);
  }
  if (const auto opts = doc.find("stream_options"); opts != doc.end() && opts->is_object()) {
    const auto usage = opts->find("include_usage");
    plan.includeUsage = usage != opts->end() && usage->is_boolean() && usage->get<bool>();
  }
  if (const auto input = doc.find("input"); input != doc.end() && input->is_array()) {
    plan.embeddingInputs =
        input->empty() ? 1 : static_cast<int>(std::min<size_t>(input->size(), 2048));
  }
  plan.chunks = headerInt(headers, "x-mock-chunks", 3, kMaxChunks);
  plan.delayMs = headerInt(headers, "x-mock-delay-ms", 0, kMaxDelayMs);
  plan.latencyMs = headerInt(headers, "x-mock-latency-ms", 0, kMaxDelayMs);
  plan.bodyBytes = static_cast<size_t>(headerInt(headers, "x-mock-body-bytes", 0, kMaxBodyBytes));
  if (const char* hold = evhttp_find_header(headers, "x-mock-hold")) {
    plan.holdName = hold;
    const char* at = evhttp_find_header(headers, "x-mock-hold-at");
    const std::string_view holdAt = at != nullptr ? at : "body";
    if (plan.holdName.empty() || (holdAt != "body" && holdAt != "headers" && holdAt != "chunks")) {
      sendError(req, path, 400, "x-mock-hold wants a name, x-mock-hold-at headers, body or chunks");
      stats_.end(false);
      return;
    }
    plan.holdBeforeHeaders = holdAt == "headers";
    plan.holdEachChunk = holdAt == "chunks";
  }
  // Which failure applies: the request's own header, else a fail-next plan, else --fail.
  if (const char* fail = evhttp_find_header(headers, "x-mock-fail")) {
    const auto mode = parseFailMode(fail);
    if (!mode) {
      sendError(req, path, 400, "unknown x-mock-fail mode");
      stats_.end(false);
      return;
    }
    plan.fail = *mode;
  } else {
    plan.fail = stats_.takeFailNext();
    if (plan.fail == FailMode::kNone) {
      plan.fail = options_.fail;
    }
  }
  plan.id = stats_.nextSeq();
  plan.created = static_cast<int64_t>(std::time(nullptr));
  Exchange::start(*this, req, std::move(plan));
}

void Worker::handleControl(evhttp_request* req, const std::string& path) {
  const evhttp_cmd_type cmd = evhttp_request_get_command(req);
  if (path == "/mock/stats" && cmd == EVHTTP_REQ_GET) {
    sendJson(req, 200, stats_.toJson());
  } else if (path == "/mock/reset" && cmd == EVHTTP_REQ_POST) {
    stats_.reset();
    holds_.reset();
    sendJson(req, 200, R"({"ok":true})");
  } else if (path == "/mock/fail-next" && cmd == EVHTTP_REQ_POST) {
    const std::string_view body = bodyOf(req);
    auto doc = nlohmann::json::parse(body.begin(), body.end(), nullptr, false);
    std::optional<FailMode> mode;
    int64_t count = 1;
    if (doc.is_object()) {
      if (const auto m = doc.find("mode"); m != doc.end()) {
        if (m->is_string()) {
          mode = parseFailMode(m->get_ref<const std::string&>());
        } else if (m->is_number_integer()) {
          mode = parseFailMode(std::to_string(m->get<int64_t>()));
        }
      }
      if (const auto c = doc.find("count"); c != doc.end() && c->is_number_integer()) {
        count = c->get<int64_t>();
      }
    }
    if (!mode || count < 0) {
      sendJson(
          req, 400,
          R"({"ok":false,"error":"want {\"mode\":\"500|429|400|401|hang|drop|close\",\"count\":N}"})");
      return;
    }
    stats_.setFailNext(*mode, count);
    sendJson(req, 200, R"({"ok":true})");
  } else if (path == "/mock/release" || path == "/mock/held") {
    handleHoldControl(req, path);
  } else if (path == "/health") {
    sendJson(req, 200, R"({"ok":true})");
  } else {
    sendError(req, ApiPath::kChatCompletions, 404, "unknown path");
  }
}

void Worker::handleHoldControl(evhttp_request* req, const std::string& path) {
  const evhttp_cmd_type cmd = evhttp_request_get_command(req);
  const evhttp_uri* uri = evhttp_request_get_evhttp_uri(req);
  const char* query = uri != nullptr ? evhttp_uri_get_query(uri) : nullptr;
  evkeyvalq params{};
  if (query == nullptr || evhttp_parse_query_str(query, &params) != 0) {
    sendJson(req, 400, R"({"ok":false,"error":"want ?name=NAME"})");
    return;
  }
  const char* rawName = evhttp_find_header(&params, "name");
  const std::string name = rawName != nullptr ? rawName : "";
  const int count = headerInt(&params, "count", -1, std::numeric_limits<int>::max());
  const bool countGiven = evhttp_find_header(&params, "count") != nullptr;
  evhttp_clear_headers(&params);
  if (name.empty() || (countGiven && count < 0)) {
    sendJson(req, 400, R"({"ok":false,"error":"want ?name=NAME[&count=N]"})");
    return;
  }
  nlohmann::json answer = {{"name", name}};
  if (path == "/mock/release" && cmd == EVHTTP_REQ_POST) {
    const size_t wanted = countGiven ? static_cast<size_t>(count) : SIZE_MAX;
    answer["released"] = holds_.release(name, wanted);
  } else if (path == "/mock/held" && cmd == EVHTTP_REQ_GET) {
    const HoldCounts counts = holds_.counts(name);
    answer["held"] = counts.held;
    answer["arrived"] = counts.arrived;
    answer["released"] = counts.released;
  } else {
    sendJson(req, 405, R"({"ok":false,"error":"POST /mock/release, GET /mock/held"})");
    return;
  }
  sendJson(req, 200, answer.dump());
}

}  // namespace slotgate::mock
