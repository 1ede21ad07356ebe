#include "tests/integration/harness.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace slotgate::testing {
namespace {

std::string lowercase(std::string text) {
  for (char& c : text) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return text;
}

std::vector<std::string> completeLines(const std::string& text) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (true) {
    const size_t end = text.find('\n', start);
    if (end == std::string::npos) {
      break;
    }
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

std::string headerValue(const std::multimap<std::string, std::string>& headers,
                        const std::string& name) {
  const auto it = headers.find(lowercase(name));
  return it == headers.end() ? std::string() : it->second;
}

}  // namespace

// ---- paths, ports, temp dirs ----------------------------------------------------------

std::string binaryDir() { return SLOTGATE_BINARY_DIR; }
std::string slotgateBinary() { return binaryDir() + "/gateway/slotgate"; }
std::string mockProviderBinary() { return binaryDir() + "/tests/mock_provider/mock_provider"; }

uint16_t freePort() {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    if (fd >= 0) {
      ::close(fd);
    }
    throw std::runtime_error("freePort: cannot bind");
  }
  ::close(fd);
  return ntohs(addr.sin_port);
}

TempDir::TempDir() {
  const char* base = std::getenv("TMPDIR");
  std::string pattern =
      std::string(base != nullptr && *base != '\0' ? base : "/tmp") + "/slotgate-test-XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr) {
    throw std::runtime_error("TempDir: mkdtemp failed: " + std::string(std::strerror(errno)));
  }
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

std::string TempDir::writeFile(const std::string& name, const std::string& content) const {
  const std::string full = path_ + "/" + name;
  std::ofstream out(full, std::ios::binary | std::ios::trunc);
  out << content;
  if (!out) {
    throw std::runtime_error("TempDir::writeFile failed: " + full);
  }
  return full;
}

// ---- processes ------------------------------------------------------------------------

Process::Process(std::vector<std::string> argv, std::map<std::string, std::string> env)
    : stdoutPath_(dir_.path() + "/stdout"), stderrPath_(dir_.path() + "/stderr") {
  if (argv.empty()) {
    throw std::runtime_error("Process: empty argv");
  }
  if (argv[0].find('/') == std::string::npos) {
    // Resolve a bare name on PATH here: execvpe is not async-signal-safe.
    const char* path = std::getenv("PATH");
    std::istringstream dirs(path != nullptr ? path : "/usr/bin:/bin");
    for (std::string dir; std::getline(dirs, dir, ':');) {
      const std::string candidate = dir + "/" + argv[0];
      if (::access(candidate.c_str(), X_OK) == 0) {
        argv[0] = candidate;
        break;
      }
    }
  }
  // Everything the child needs is built before fork: only async-signal-safe calls after it.
  std::map<std::string, std::string> merged;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string entry = *e;
    const size_t eq = entry.find('=');
    if (eq != std::string::npos) {
      merged[entry.substr(0, eq)] = entry.substr(eq + 1);
    }
  }
  for (auto& [key, value] : env) {
    merged[key] = value;
  }
  std::vector<std::string> envStrings;
  for (auto& [key, value] : merged) {
    envStrings.push_back(key + "=" + value);
  }
  std::vector<char*> envp;
  for (auto& entry : envStrings) {
    envp.push_back(entry.data());
  }
  envp.push_back(nullptr);
  std::vector<char*> args;
  for (auto& arg : argv) {
    args.push_back(arg.data());
  }
  args.push_back(nullptr);

  const int out = ::open(stdoutPath_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  const int err = ::open(stderrPath_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  const int devNull = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  int execPipe[2];
  if (out < 0 || err < 0 || devNull < 0 || pipe2(execPipe, O_CLOEXEC) != 0) {
    throw std::runtime_error("Process: cannot set up output files");
  }
  const pid_t parent = getpid();
  pid_ = fork();
  if (pid_ == 0) {
    // A crashed or killed test must not leave servers holding ports.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) {
      _exit(127);
    }
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    dup2(devNull, 0);
    dup2(out, 1);
    dup2(err, 2);
    execve(args[0], args.data(), envp.data());
    const int code = errno;
    [[maybe_unused]] auto written = ::write(execPipe[1], &code, sizeof(code));
    _exit(127);
  }
  ::close(out);
  ::close(err);
  ::close(devNull);
  ::close(execPipe[1]);
  if (pid_ < 0) {
    ::close(execPipe[0]);
    throw std::runtime_error("Process: fork failed");
  }
  int execErrno = 0;
  const ssize_t n = ::read(execPipe[0], &execErrno, sizeof(execErrno));
  ::close(execPipe[0]);
  if (n > 0) {
    waitExit(5s);
    throw std::runtime_error("Process: cannot exec " + argv[0] + ": " + std::strerror(execErrno));
  }
}

Process::~Process() {
  if (pid_ > 0 && !exitStatus_) {
    ::kill(pid_, SIGKILL);
    int status = 0;
    waitpid(pid_, &status, 0);
  }
}

std::string Process::readFile(Stream stream) const {
  std::ifstream in(stream == Stream::kStdout ? stdoutPath_ : stderrPath_, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string Process::stdoutText() const { return readFile(Stream::kStdout); }
std::string Process::stderrText() const { return readFile(Stream::kStderr); }
std::vector<std::string> Process::lines(Stream stream) const {
  return completeLines(readFile(stream));
}

std::optional<std::string> Process::waitForLine(Stream stream,
                                                const std::function<bool(std::string_view)>& match,
                                                Millis timeout, size_t skipMatches) {
  const auto deadline = Clock::now() + timeout;
  while (true) {
    const bool exited = !running();  // checked before reading: no line can be missed
    size_t seen = 0;
    for (const auto& line : lines(stream)) {
      if (match(line) && seen++ == skipMatches) {
        return line;
      }
    }
    if (exited || Clock::now() >= deadline) {
      return std::nullopt;
    }
    std::this_thread::sleep_for(10ms);
  }
}

std::optional<std::string> Process::waitForLine(Stream stream, const std::string& substring,
                                                Millis timeout, size_t skipMatches) {
  return waitForLine(
      stream, [&](std::string_view line) { return line.find(substring) != line.npos; }, timeout,
      skipMatches);
}

std::optional<std::string> Process::waitForLineRegex(Stream stream, const std::string& pattern,
                                                     Millis timeout, size_t skipMatches) {
  const std::regex re(pattern);
  return waitForLine(
      stream,
      [&](std::string_view line) { return std::regex_search(line.begin(), line.end(), re); },
      timeout, skipMatches);
}

bool Process::signal(int sig) {
  if (pid_ <= 0 || exitStatus_) {
    return false;
  }
  return ::kill(pid_, sig) == 0;
}

bool Process::running() {
  if (pid_ <= 0 || exitStatus_) {
    return false;
  }
  int status = 0;
  const pid_t done = waitpid(pid_, &status, WNOHANG);
  if (done == pid_) {
    exitStatus_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return false;
  }
  return done == 0;
}

std::optional<int> Process::waitExit(Millis timeout) {
  const auto deadline = Clock::now() + timeout;
  while (running()) {
    if (Clock::now() >= deadline) {
      return std::nullopt;
    }
    std::this_thread::sleep_for(5ms);
  }
  return exitStatus_;
}

// ---- HTTP (libcurl) -------------------------------------------------------------------

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

// ---- raw TCP --------------------------------------------------------------------------

RawConnection::RawConnection(uint16_t port, Millis connectTimeout) {
  fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) {
    return;
  }
  timeval tv{static_cast<time_t>(connectTimeout.count() / 1000),
             static_cast<suseconds_t>((connectTimeout.count() % 1000) * 1000)};
  setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd_);
    fd_ = -1;
  }
}

RawConnection::~RawConnection() { close(); }

void RawConnection::close() {
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
}

bool RawConnection::send(std::string_view bytes) {
  while (fd_ >= 0 && !bytes.empty()) {
    const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      return false;
    }
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return fd_ >= 0;
}

std::string RawConnection::readFor(Millis timeout) {
  std::string got;
  const auto deadline = Clock::now() + timeout;
  while (fd_ >= 0 && !peerClosed_) {
    const auto left = std::chrono::duration_cast<Millis>(deadline - Clock::now()).count();
    if (left <= 0) {
      break;
    }
    pollfd pfd{fd_, POLLIN, 0};
    const int ready = ::poll(&pfd, 1, static_cast<int>(left));
    if (ready < 0 && errno == EINTR) {
      continue;
    }
    if (ready <= 0) {
      break;
    }
    char buf[16384];
    const ssize_t n = ::recv(fd_, buf, sizeof(buf), 0);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      peerClosed_ = true;  // EOF or reset
      break;
    }
    got.append(buf, static_cast<size_t>(n));
  }
  received_ += got;
  return got;
}

bool RawConnection::waitClosed(Millis timeout) {
  readFor(timeout);
  return peerClosed_;
}

std::string rawExchange(uint16_t port, const std::string& bytes, Millis timeout) {
  RawConnection conn(port);
  if (!conn.connected()) {
    return {};
  }
  conn.send(bytes);
  conn.readFor(timeout);
  return conn.received();
}

bool rawConnectionClosedWithin(uint16_t port, const std::string& bytes, Millis within,
                               std::string* received) {
  RawConnection conn(port);
  if (!conn.connected()) {
    return false;
  }
  conn.send(bytes);
  const bool closed = conn.waitClosed(within);
  if (received != nullptr) {
    *received = conn.received();
  }
  return closed;
}

// ---- the mock provider ----------------------------------------------------------------

MockProvider::MockProvider(std::vector<std::string> extraArgs,
                           std::map<std::string, std::string> env) {
  std::vector<std::string> argv = {mockProviderBinary(), "--listen", "127.0.0.1:0"};
  argv.insert(argv.end(), extraArgs.begin(), extraArgs.end());
  process_ = std::make_unique<Process>(std::move(argv), std::move(env));
  const auto line = process_->waitForLine(Stream::kStdout, "\"event\":\"listening\"", 15s);
  if (!line) {
    throw std::runtime_error("mock provider did not start; stderr: " + process_->stderrText());
  }
  const auto ready = nlohmann::json::parse(*line, nullptr, false);
  if (!ready.is_object() || !ready.contains("port")) {
    throw std::runtime_error("mock provider: bad listening line: " + *line);
  }
  port_ = ready["port"].get<uint16_t>();
  tls_ = ready.value("tls", false);
}

std::string MockProvider::baseUrl() const {
  return std::string(tls_ ? "https" : "http") + "://127.0.0.1:" + std::to_string(port_);
}

nlohmann::json MockProvider::stats() const {
  const HttpResponse response = request("GET", url("/mock/stats"));
  auto parsed = response.json();
  if (response.status != 200 || !parsed.is_object()) {
    throw std::runtime_error("mock /mock/stats failed: " + response.error + " " + response.body);
  }
  return parsed;
}

void MockProvider::failNext(const std::string& mode, int count) const {
  const nlohmann::json body = {{"mode", mode}, {"count", count}};
  const HttpResponse response = request("POST", url("/mock/fail-next"), {}, body.dump());
  if (response.status != 200) {
    throw std::runtime_error("mock /mock/fail-next failed: " + response.body);
  }
}

void MockProvider::reset() const {
  const HttpResponse response = request("POST", url("/mock/reset"), {}, "{}");
  if (response.status != 200) {
    throw std::runtime_error("mock /mock/reset failed: " + response.body);
  }
}

}  // namespace slotgate::testing
