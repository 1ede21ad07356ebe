// Integration-test harness: starts real processes (slotgate, the mock provider), talks HTTP to
// them with libcurl and raw TCP, and cleans up after itself. Every helper binds port 0 or picks
// a free port and works in its own temp dir, so test binaries can run in parallel.
//
// Thread-safety: free functions are thread-safe (each call uses its own curl easy handle /
// socket); a Process, MockProvider or TempDir object must not be shared between threads.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace slotgate::testing {

using namespace std::chrono_literals;
using Millis = std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

// ---- paths, ports, temp dirs ----------------------------------------------------------

// The CMake build dir (compile definition SLOTGATE_BINARY_DIR).
[[nodiscard]] std::string binaryDir();
[[nodiscard]] std::string slotgateBinary();      // <build>/gateway/slotgate
[[nodiscard]] std::string mockProviderBinary();  // <build>/tests/mock_provider/mock_provider

// A TCP port on 127.0.0.1 that was free a moment ago (bind 0, read it, close).
[[nodiscard]] uint16_t freePort();

// A fresh directory under $TMPDIR (or /tmp), removed recursively on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  [[nodiscard]] const std::string& path() const { return path_; }
  // Writes (overwrites) path()/name and returns the full path.
  std::string writeFile(const std::string& name, const std::string& content) const;

 private:
  std::string path_;
};

// ---- processes ------------------------------------------------------------------------

enum class Stream { kStdout, kStderr };

// A child process (posix_spawn) with stdout and stderr captured to files in its own temp dir.
// The environment is the test's plus `env` (which overrides). The destructor SIGKILLs and
// reaps the child if it is still running.
class Process {
 public:
  Process(std::vector<std::string> argv, std::map<std::string, std::string> env = {});
  ~Process();
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  [[nodiscard]] pid_t pid() const { return pid_; }
  // Everything the child wrote so far.
  [[nodiscard]] std::string stdoutText() const;
  [[nodiscard]] std::string stderrText() const;
  // All complete lines written so far to `stream`.
  [[nodiscard]] std::vector<std::string> lines(Stream stream) const;

  // Polls `stream` until a complete line satisfies `match`; returns that line. With
  // skipMatches = n it returns the (n+1)-th matching line. Gives up at the timeout, or early
  // once the child has exited and no such line came.
  std::optional<std::string> waitForLine(Stream stream,
                                         const std::function<bool(std::string_view)>& match,
                                         Millis timeout = 10s, size_t skipMatches = 0);
  // Same, for a line containing `substring`.
  std::optional<std::string> waitForLine(Stream stream, const std::string& substring,
                                         Millis timeout = 10s, size_t skipMatches = 0);
  // Same, for a line in which the ECMAScript regex `pattern` finds a match.
  std::optional<std::string> waitForLineRegex(Stream stream, const std::string& pattern,
                                              Millis timeout = 10s, size_t skipMatches = 0);

  // kill(pid, sig); false if the child is already reaped.
  bool signal(int sig);
  // The exit code once the child exits (128 + signal number if a signal killed it), or
  // nullopt at the timeout. Repeated calls return the same status.
  std::optional<int> waitExit(Millis timeout = 10s);
  // True until the child has been seen to exit.
  [[nodiscard]] bool running();

 private:
  [[nodiscard]] std::string readFile(Stream stream) const;

  TempDir dir_;
  std::string stdoutPath_;
  std::string stderrPath_;
  pid_t pid_ = -1;
  std::optional<int> exitStatus_;
};

// A self-signed certificate for localhost and 127.0.0.1 (EC P-256, one day), made with the
// openssl CLI in `dir`. Throws std::runtime_error with openssl's stderr if that fails.
struct CertFiles {
  std::string cert;  // PEM; also the CA file a client trusts
  std::string key;   // PEM
};
CertFiles makeSelfSignedCert(const TempDir& dir);

// ---- HTTP (libcurl) -------------------------------------------------------------------

using Headers = std::vector<std::pair<std::string, std::string>>;

enum class HttpVersion {
  kHttp11,               // default: plain HTTP/1.1 (https too, ALPN http/1.1)
  kHttp2PriorKnowledge,  // cleartext HTTP/2 without Upgrade (h2c)
  kHttp2Tls,             // https with ALPN h2 (falls back to http/1.1 if the server refuses)
  kHttp2,                // curl --http2: http:// asks for "Upgrade: h2c", https uses ALPN h2
};

struct ClientOptions {
  HttpVersion version = HttpVersion::kHttp11;
  bool verifyPeer = false;  // https: off by default (tests use self-signed certs)
  std::string caFile;       // https: CURLOPT_CAINFO; implies verifyPeer
  Millis connectTimeout = 5s;
};

struct HttpResponse {
  long status = 0;                                  // 0 when no response arrived
  std::multimap<std::string, std::string> headers;  // names lowercased; last response only
  std::string body;
  int curlCode = 0;      // CURLcode; 0 = CURLE_OK
  std::string error;     // curl's message when curlCode != 0
  long httpVersion = 0;  // CURL_HTTP_VERSION_* of the response

  [[nodiscard]] bool ok() const { return curlCode == 0; }
  // First value of header `name` (any case), or "".
  [[nodiscard]] std::string header(const std::string& name) const;
  [[nodiscard]] nlohmann::json json() const;  // parsed body; discarded value if not JSON
};

// One request on a fresh connection. Adds "Content-Type: application/json" when there is a
// body and `headers` has no Content-Type, and never sends "Expect: 100-continue".
HttpResponse request(const std::string& method, const std::string& url, const Headers& headers = {},
                     const std::string& body = "", Millis timeout = 10s,
                     const ClientOptions& options = {});

// Body of a GET, "" on any error.
std::string httpGetBody(const std::string& url, Millis timeout = 10s);

struct StreamChunk {
  std::string data;
  Clock::time_point at;  // arrival (steady clock)
};

struct StreamOptions {
  // Abort the transfer (write callback returns 0) after this many received chunks; 0 = never.
  size_t abortAfterChunks = 0;
  // Or abort as soon as this returns true for the body received so far.
  std::function<bool(const std::string& bodySoFar)> abortWhen;
};

struct StreamResponse {
  long status = 0;
  std::multimap<std::string, std::string> headers;
  std::vector<StreamChunk> chunks;  // one per curl write callback
  std::string body;                 // all chunks concatenated
  int curlCode = 0;
  std::string error;
  bool aborted = false;  // we aborted it (StreamOptions)
  Clock::time_point started;
  Clock::time_point finished;

  // The transfer completed: final chunk received, no error, not aborted.
  [[nodiscard]] bool cleanEnd() const { return curlCode == 0 && !aborted; }
  [[nodiscard]] std::string header(const std::string& name) const;
};

StreamResponse streamRequest(const std::string& method, const std::string& url,
                             const Headers& headers = {}, const std::string& body = "",
                             Millis timeout = 30s, const StreamOptions& stream = {},
                             const ClientOptions& options = {});

// CURLcode values tests compare against, without including curl.h.
inline constexpr int kCurlPartialFile = 18;  // CURLE_PARTIAL_FILE
inline constexpr int kCurlWriteError = 23;   // CURLE_WRITE_ERROR (our abort)
inline constexpr int kCurlTimeout = 28;      // CURLE_OPERATION_TIMEDOUT
inline constexpr int kCurlGotNothing = 52;   // CURLE_GOT_NOTHING
inline constexpr int kCurlRecvError = 56;    // CURLE_RECV_ERROR
inline constexpr int kCurlHttp2Stream = 92;  // CURLE_HTTP2_STREAM (RST_STREAM)

// One server-sent event.
struct SseEvent {
  std::string event;  // "" when the event had no "event:" line
  std::string data;   // data lines joined with '\n'
};
// Parses an SSE body (LF or CRLF line ends); an unterminated last event is dropped.
std::vector<SseEvent> parseSse(std::string_view body);

// How many times `needle` occurs in `text` (overlapping occurrences too).
[[nodiscard]] size_t occurrences(std::string_view text, std::string_view needle);

// Polls `condition` every 10 ms until it holds or `timeout` passes.
template <typename Condition>
bool eventually(Condition condition, Millis timeout = 5s) {
  const auto deadline = Clock::now() + timeout;
  while (!condition()) {
    if (Clock::now() >= deadline) {
      return false;
    }
    std::this_thread::sleep_for(10ms);
  }
  return true;
}

// ---- raw TCP --------------------------------------------------------------------------

// A plain TCP connection to 127.0.0.1:port for malformed-HTTP and slow-client tests.
class RawConnection {
 public:
  explicit RawConnection(uint16_t port, Millis connectTimeout = 5s);
  ~RawConnection();
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  [[nodiscard]] bool connected() const { return fd_ >= 0; }
  // Sends all bytes; false on error (e.g. the peer reset the connection).
  bool send(std::string_view bytes);
  // Reads what arrives until `timeout` passes or the peer closes; appends to received().
  std::string readFor(Millis timeout);
  // Reads until the peer closes (true) or the timeout passes (false).
  bool waitClosed(Millis timeout);
  [[nodiscard]] bool peerClosed() const { return peerClosed_; }
  [[nodiscard]] const std::string& received() const { return received_; }
  void close();

 private:
  int fd_ = -1;
  bool peerClosed_ = false;
  std::string received_;
};

// Connects, sends `bytes`, returns everything received until the peer closes or `timeout`.
std::string rawExchange(uint16_t port, const std::string& bytes, Millis timeout = 5s);

// Connects, sends `bytes` and reports whether the peer closed the connection within `within`.
// What it received before closing goes to *received when given.
bool rawConnectionClosedWithin(uint16_t port, const std::string& bytes, Millis within,
                               std::string* received = nullptr);

// ---- the mock provider ----------------------------------------------------------------

// The control header that holds a request at the mock under `name` until released: a stream
// after its headers and opening events (at "body"), or before its headers (at "headers"); any
// other answer before its first byte. `extra` is appended.
[[nodiscard]] Headers mockHold(const std::string& name, const Headers& extra = {},
                               const std::string& at = "body");

// Starts <build>/tests/mock_provider/mock_provider --listen 127.0.0.1:0 plus `extraArgs`
// (e.g. {"--threads","2"}, {"--fail","500"}, {"--tls-cert",c,"--tls-key",k}) and waits for
// its listening line. Throws std::runtime_error if it does not come up.
class MockProvider {
 public:
  explicit MockProvider(std::vector<std::string> extraArgs = {},
                        std::map<std::string, std::string> env = {});

  [[nodiscard]] uint16_t port() const { return port_; }
  [[nodiscard]] bool tls() const { return tls_; }
  // "http://127.0.0.1:PORT" (https when TLS).
  [[nodiscard]] std::string baseUrl() const;
  [[nodiscard]] std::string url(const std::string& path) const { return baseUrl() + path; }

  // GET /mock/stats (see tests/mock_provider/README.md). Throws if the mock does not answer.
  [[nodiscard]] nlohmann::json stats() const;
  // The next `count` model requests fail with `mode` (500|429|400|401|hang|drop|close).
  void failNext(const std::string& mode, int count = 1) const;
  // Clears counters, last_request and fail-next, and releases every held request.
  void reset() const;

  // Requests sent with mockHold(name) wait at the mock until released, so a test, not a
  // delay, decides how long they hold their slots. held(): how many wait under `name` now.
  [[nodiscard]] int held(const std::string& name) const;
  // Waits until exactly `count` requests are held under `name` (the gateway forwarded them:
  // they hold their slots); false at the timeout.
  [[nodiscard]] bool waitHeld(const std::string& name, int count, Millis timeout = 20s) const;
  // Releases up to `count` (default all) of the requests held under `name`, oldest first;
  // returns how many it released.
  int release(const std::string& name, int count = -1) const;

  [[nodiscard]] Process& process() { return *process_; }

 private:
  std::unique_ptr<Process> process_;
  uint16_t port_ = 0;
  bool tls_ = false;
};

}  // namespace slotgate::testing
