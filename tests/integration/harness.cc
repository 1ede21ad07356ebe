#include "tests/integration/harness.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
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
    // Nothing else of the test goes with the child: an inherited client socket would keep a
    // connection open after the test closed it (the gateway would never see the client leave).
    // CLOEXEC rather than close: execPipe must stay open until the exec.
    if (close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) != 0) {
      for (int fd = 3; fd < 4096; ++fd) {
        fcntl(fd, F_SETFD, FD_CLOEXEC);
      }
    }
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

CertFiles makeSelfSignedCert(const TempDir& dir) {
  CertFiles files{dir.path() + "/cert.pem", dir.path() + "/key.pem"};
  Process openssl({"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                   "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", files.key, "-out",
                   files.cert, "-days", "1", "-subj", "/CN=localhost", "-addext",
                   "subjectAltName=DNS:localhost,IP:127.0.0.1"});
  if (openssl.waitExit(30s) != 0) {
    throw std::runtime_error("openssl req failed: " + openssl.stderrText());
  }
  return files;
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

Headers mockHold(const std::string& name, const Headers& extra, const std::string& at) {
  Headers headers = {{"x-mock-hold", name}, {"x-mock-hold-at", at}};
  headers.insert(headers.end(), extra.begin(), extra.end());
  return headers;
}

int MockProvider::held(const std::string& name) const {
  const HttpResponse response = request("GET", url("/mock/held?name=" + name));
  const auto parsed = response.json();
  if (response.status != 200 || !parsed.is_object()) {
    throw std::runtime_error("mock /mock/held failed: " + response.error + " " + response.body);
  }
  return parsed["held"].get<int>();
}

bool MockProvider::waitHeld(const std::string& name, int count, Millis timeout) const {
  return eventually([&] { return held(name) == count; }, timeout);
}

int MockProvider::release(const std::string& name, int count) const {
  std::string path = "/mock/release?name=" + name;
  if (count >= 0) {
    path += "&count=" + std::to_string(count);
  }
  const HttpResponse response = request("POST", url(path), {}, "{}");
  const auto parsed = response.json();
  if (response.status != 200 || !parsed.is_object()) {
    throw std::runtime_error("mock /mock/release failed: " + response.error + " " + response.body);
  }
  return parsed["released"].get<int>();
}

void MockProvider::reset() const {
  const HttpResponse response = request("POST", url("/mock/reset"), {}, "{}");
  if (response.status != 200) {
    throw std::runtime_error("mock /mock/reset failed: " + response.body);
  }
}

}  // namespace slotgate::testing
