// HTTP client helpers of the integration harness (libcurl) and the SSE parser.
#include <curl/curl.h>

#include <cctype>
#include <memory>
#include <mutex>

#include "tests/integration/harness.h"

namespace slotgate::testing {

namespace {

std::string lowercase(std::string text) {
  for (char& c : text) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return text;
}

std::string headerValue(const std::multimap<std::string, std::string>& headers,
                        const std::string& name) {
  const auto it = headers.find(lowercase(name));
  return it == headers.end() ? std::string() : it->second;
}

}  // namespace

namespace {

void curlInitOnce() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct CurlDeleter {
  void operator()(CURL* curl) const { curl_easy_cleanup(curl); }
};
struct SlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};

size_t onHeader(char* data, size_t size, size_t count, void* arg) {
  auto* headers = static_cast<std::multimap<std::string, std::string>*>(arg);
  std::string line(data, size * count);
  while (!line.empty() && (line.back() == '\r' || line.back() == '\n')) {
    line.pop_back();
  }
  if (line.rfind("HTTP/", 0) == 0) {
    headers->clear();  // a new response (after 100 Continue): keep only the last one's
  } else if (const size_t colon = line.find(':'); colon != std::string::npos) {
    size_t start = colon + 1;
    while (start < line.size() && (line[start] == ' ' || line[start] == '\t')) {
      ++start;
    }
    headers->emplace(lowercase(line.substr(0, colon)), line.substr(start));
  }
  return size * count;
}

// Sets up `curl` for one request; `list` receives the header list it must outlive.
void prepare(CURL* curl, const std::string& method, const std::string& url, const Headers& headers,
             const std::string& body, Millis timeout, const ClientOptions& options,
             std::unique_ptr<curl_slist, SlistDeleter>& list,
             std::multimap<std::string, std::string>& responseHeaders, char* errorBuffer) {
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_NOPROXY, "*");
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(options.connectTimeout.count()));
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errorBuffer);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, &onHeader);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &responseHeaders);
  curl_easy_setopt(curl, CURLOPT_FORBID_REUSE, 1L);
  const bool verify = options.verifyPeer || !options.caFile.empty();
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, verify ? 1L : 0L);
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, verify ? 2L : 0L);
  if (!options.caFile.empty()) {
    curl_easy_setopt(curl, CURLOPT_CAINFO, options.caFile.c_str());
  }
  switch (options.version) {
    case HttpVersion::kHttp11:
      curl_easy_setopt(curl, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_1_1);
      break;
    case HttpVersion::kHttp2PriorKnowledge:
      curl_easy_setopt(curl, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE);
      break;
    case HttpVersion::kHttp2Tls:
      curl_easy_setopt(curl, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_2TLS);
      break;
    case HttpVersion::kHttp2:
      curl_easy_setopt(curl, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_2_0);
      break;
  }

  bool hasContentType = false;
  curl_slist* raw = nullptr;
  for (const auto& [name, value] : headers) {
    hasContentType = hasContentType || lowercase(name) == "content-type";
    // "Name;" is curl's way to send a header with an empty value.
    const std::string line = value.empty() ? name + ";" : name + ": " + value;
    raw = curl_slist_append(raw, line.c_str());
  }
  if (!body.empty() && !hasContentType) {
    raw = curl_slist_append(raw, "Content-Type: application/json");
  } else if (body.empty() && !hasContentType) {
    // libcurl would label an empty POST as a form (x-www-form-urlencoded), which the admin
    // listener refuses as a possible cross-site form post; send none, as `curl -X POST` does.
    raw = curl_slist_append(raw, "Content-Type:");
  }
  raw = curl_slist_append(raw, "Expect:");
  list.reset(raw);
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, raw);

  if (method == "GET" && body.empty()) {
    curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
  } else if (method == "HEAD") {
    curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
  } else {
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method.c_str());
  }
}

size_t onBody(char* data, size_t size, size_t count, void* arg) {
  static_cast<std::string*>(arg)->append(data, size * count);
  return size * count;
}

struct StreamState {
  StreamResponse* response;
  const StreamOptions* options;
};

size_t onStreamBody(char* data, size_t size, size_t count, void* arg) {
  auto* state = static_cast<StreamState*>(arg);
  StreamResponse& response = *state->response;
  response.chunks.push_back({std::string(data, size * count), Clock::now()});
  response.body.append(data, size * count);
  const StreamOptions& options = *state->options;
  if ((options.abortAfterChunks > 0 && response.chunks.size() >= options.abortAfterChunks) ||
      (options.abortWhen && options.abortWhen(response.body))) {
    response.aborted = true;
    return 0;  // curl fails the transfer with CURLE_WRITE_ERROR and closes the connection
  }
  return size * count;
}

}  // namespace

std::string HttpResponse::header(const std::string& name) const {
  return headerValue(headers, name);
}

nlohmann::json HttpResponse::json() const { return nlohmann::json::parse(body, nullptr, false); }

std::string StreamResponse::header(const std::string& name) const {
  return headerValue(headers, name);
}

HttpResponse request(const std::string& method, const std::string& url, const Headers& headers,
                     const std::string& body, Millis timeout, const ClientOptions& options) {
  curlInitOnce();
  HttpResponse response;
  std::unique_ptr<CURL, CurlDeleter> curl(curl_easy_init());
  std::unique_ptr<curl_slist, SlistDeleter> list;
  char errorBuffer[CURL_ERROR_SIZE] = {};
  prepare(curl.get(), method, url, headers, body, timeout, options, list, response.headers,
          errorBuffer);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, &onBody);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, &response.body);
  const CURLcode code = curl_easy_perform(curl.get());
  response.curlCode = static_cast<int>(code);
  if (code != CURLE_OK) {
    response.error = errorBuffer[0] != '\0' ? errorBuffer : curl_easy_strerror(code);
  }
  curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &response.status);
  curl_easy_getinfo(curl.get(), CURLINFO_HTTP_VERSION, &response.httpVersion);
  return response;
}

std::string httpGetBody(const std::string& url, Millis timeout) {
  HttpResponse response = request("GET", url, {}, "", timeout);
  return response.ok() ? response.body : std::string();
}

StreamResponse streamRequest(const std::string& method, const std::string& url,
                             const Headers& headers, const std::string& body, Millis timeout,
                             const StreamOptions& stream, const ClientOptions& options) {
  curlInitOnce();
  StreamResponse response;
  StreamState state{&response, &stream};
  std::unique_ptr<CURL, CurlDeleter> curl(curl_easy_init());
  std::unique_ptr<curl_slist, SlistDeleter> list;
  char errorBuffer[CURL_ERROR_SIZE] = {};
  prepare(curl.get(), method, url, headers, body, timeout, options, list, response.headers,
          errorBuffer);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, &onStreamBody);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, &state);
  response.started = Clock::now();
  const CURLcode code = curl_easy_perform(curl.get());
  response.finished = Clock::now();
  response.curlCode = static_cast<int>(code);
  if (code != CURLE_OK) {
    response.error = errorBuffer[0] != '\0' ? errorBuffer : curl_easy_strerror(code);
  }
  curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &response.status);
  return response;
}

size_t occurrences(std::string_view text, std::string_view needle) {
  size_t n = 0;
  for (size_t at = text.find(needle); at != std::string_view::npos;
       at = text.find(needle, at + 1)) {
    ++n;
  }
  return n;
}

std::vector<SseEvent> parseSse(std::string_view body) {
  std::vector<SseEvent> events;
  SseEvent current;
  bool hasField = false;
  size_t start = 0;
  while (start < body.size()) {
    const size_t end = body.find('\n', start);
    if (end == std::string_view::npos) {
      break;  // unterminated line: the event is incomplete
    }
    std::string_view line = body.substr(start, end - start);
    start = end + 1;
    if (!line.empty() && line.back() == '\r') {
      line.remove_suffix(1);
    }
    if (line.empty()) {
      if (hasField) {
        events.push_back(std::move(current));
      }
      current = SseEvent{};
      hasField = false;
      continue;
    }
    if (line.front() == ':') {
      continue;  // comment
    }
    const size_t colon = line.find(':');
    const std::string_view field = line.substr(0, colon);
    std::string_view value = colon == std::string_view::npos ? "" : line.substr(colon + 1);
    if (!value.empty() && value.front() == ' ') {
      value.remove_prefix(1);
    }
    if (field == "event") {
      current.event = std::string(value);
      hasField = true;
    } else if (field == "data") {
      if (hasField && !current.data.empty()) {
        current.data.push_back('\n');
      }
      current.data.append(value);
      hasField = true;
    }
  }
  return events;
}

}  // namespace slotgate::testing
