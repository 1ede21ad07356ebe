// Shared by the http2_*_test.cc integration tests: starting slotgate in front of the mock
// provider, reading its metrics and RSS, and a tiny hand-written HTTP/2 client (frames and a
// literal-only HPACK encoder) for what curl cannot do on purpose: reset streams, flood
// resets, keep the flow-control window shut.
//
// Thread-safety: none; each object belongs to one test thread.
#pragma once

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/harness.h"

namespace slotgate::testing::h2 {

inline constexpr char kClientKey[] = "h2-client-key";
inline constexpr char kProviderKeyId[] = "mock-openai-key";

struct GatewayOptions {
  std::string extraServerYaml;  // more lines under `server:` (two-space indented)
  int keyConcurrency = 500;
  int workers = 1;
};

// slotgate on 127.0.0.1:0 (data and admin) in front of `mock`.
class Gateway {
 public:
  Gateway(const MockProvider& mock, const GatewayOptions& options = {}) {
    std::ostringstream yaml;
    yaml << "server:\n  listen: 127.0.0.1:0\n  workers: " << options.workers << "\n"
         << options.extraServerYaml << "admin:\n  listen: 127.0.0.1:0\n"
         << "providers:\n  - name: mock-openai\n    type: openai\n    base_url: " << mock.baseUrl()
         << "\n    keys:\n      - id: " << kProviderKeyId
         << "\n        secret_env: H2_TEST_PROVIDER_KEY\n        max_concurrency: "
         << options.keyConcurrency << "\n"
         << "models:\n  - name: gpt-4o-mini\n    targets:\n"
         << "      - { provider: mock-openai, model: gpt-4o-mini }\n"
         << "clients:\n  - id: h2-tenant\n    key_env: H2_TEST_CLIENT_KEY\n"
         << "    max_concurrency: 0\n    models: [\"*\"]\n";
    const std::string path = dir_.writeFile("slotgate.yaml", yaml.str());
    // Under AddressSanitizer freed memory stays resident in its quarantine (256 MiB by
    // default), which would make RSS measurements meaningless; no effect otherwise.
    const char* asan = std::getenv("ASAN_OPTIONS");
    std::string asan_options = asan != nullptr && *asan != '\0' ? std::string(asan) + ":" : "";
    asan_options += "quarantine_size_mb=1";
    process_ = std::make_unique<Process>(
        std::vector<std::string>{slotgateBinary(), "-c", path},
        std::map<std::string, std::string>{{"H2_TEST_PROVIDER_KEY", "mock-secret"},
                                           {"H2_TEST_CLIENT_KEY", kClientKey},
                                           {"ASAN_OPTIONS", asan_options}});
    const auto line = process_->waitForLine(Stream::kStderr, "\"started\"", 10s);
    if (!line) {
      throw std::runtime_error("slotgate did not start: " + process_->stdoutText() +
                               process_->stderrText());
    }
    std::smatch m;
    if (!std::regex_search(*line, m,
                           std::regex(R"re("listen":"[^"]*:(\d+)".*"admin":"[^"]*:(\d+)")re"))) {
      throw std::runtime_error("cannot parse the started line: " + *line);
    }
    port_ = static_cast<uint16_t>(std::stoi(m[1]));
    admin_ = static_cast<uint16_t>(std::stoi(m[2]));
  }

  [[nodiscard]] uint16_t port() const { return port_; }
  [[nodiscard]] uint16_t adminPort() const { return admin_; }
  [[nodiscard]] std::string url(const std::string& path, bool tls = false) const {
    return std::string(tls ? "https" : "http") + "://127.0.0.1:" + std::to_string(port_) + path;
  }
  [[nodiscard]] Process& process() { return *process_; }

  // A sample of GET /metrics: `family{labels}` must match exactly; nullopt when absent.
  [[nodiscard]] std::optional<double> metric(const std::string& sample) const {
    const std::string text =
        httpGetBody("http://127.0.0.1:" + std::to_string(admin_) + "/metrics", 5s);
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
      if (line.rfind(sample + " ", 0) == 0) {
        return std::stod(line.substr(sample.size() + 1));
      }
    }
    return std::nullopt;
  }
  [[nodiscard]] double providerSlotsInUse() const {
    return metric(std::string("concurrency_slots_in_use{key_id=\"") + kProviderKeyId + "\"}")
        .value_or(-1);
  }

  // VmRSS of the slotgate process in KiB.
  [[nodiscard]] long rssKiB() const {
    std::ifstream in("/proc/" + std::to_string(process_->pid()) + "/status");
    std::string line;
    while (std::getline(in, line)) {
      if (line.rfind("VmRSS:", 0) == 0) {
        return std::stol(line.substr(6));
      }
    }
    return -1;
  }

 private:
  TempDir dir_;
  std::unique_ptr<Process> process_;
  uint16_t port_ = 0;
  uint16_t admin_ = 0;
};

inline Headers authJson() {
  return {{"Authorization", std::string("Bearer ") + kClientKey},
          {"Content-Type", "application/json"}};
}

inline std::string chatBody(bool stream) {
  return std::string(R"({"model":"gpt-4o-mini","stream":)") + (stream ? "true" : "false") +
         R"(,"messages":[{"role":"user","content":"hi"}]})";
}

// authJson() plus 5 content chunks the mock sends 100 ms apart.
inline Headers pacedStreamHeaders() {
  Headers h = authJson();
  h.push_back({"x-mock-chunks", "5"});
  h.push_back({"x-mock-delay-ms", "100"});
  return h;
}

// A stream asked with pacedStreamHeaders() came whole, as SSE, chunk by chunk: not in one
// piece at the end (a lower bound on the spread, however loaded the machine is).
inline void expectPacedStream(const StreamResponse& r) {
  ASSERT_TRUE(r.cleanEnd()) << r.error;
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.header("content-type").rfind("text/event-stream", 0), 0u);
  const auto events = parseSse(r.body);
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back().data, "[DONE]");
  ASSERT_GE(r.chunks.size(), 3u);
  EXPECT_GE(r.chunks.back().at - r.chunks.front().at, 250ms);
}

// ---- a raw HTTP/2 client --------------------------------------------------------------

enum FrameType : uint8_t {
  kData = 0,
  kHeaders = 1,
  kRstStream = 3,
  kSettings = 4,
  kPing = 6,
  kGoaway = 7,
  kWindowUpdate = 8,
  kContinuation = 9,
};
inline constexpr uint8_t kEndStream = 0x1;
inline constexpr uint8_t kAck = 0x1;
inline constexpr uint8_t kEndHeaders = 0x4;
inline constexpr uint32_t kEnhanceYourCalm = 0xb;
inline constexpr uint32_t kCancel = 0x8;
inline constexpr uint32_t kProtocolError = 0x1;

struct StreamState {
  int status = 0;  // the response's :status; -1 when it could not be decoded
  size_t dataBytes = 0;
  std::string data;  // kept only when RawH2::keepData
  bool ended = false;
  bool reset = false;
  uint32_t resetCode = 0;
};

class RawH2 {
 public:
  // initialWindow: SETTINGS_INITIAL_WINDOW_SIZE we announce (per stream). autoWindow: give
  // back every DATA byte at once (stream and connection), else the caller does.
  RawH2(uint16_t port, uint32_t initialWindow = (1u << 31) - 1, bool autoWindow = true)
      : autoWindow_(autoWindow) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      ::close(fd_);
      fd_ = -1;
      return;
    }
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    std::string out = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
    std::string settings;
    appendSetting(settings, 0x4, initialWindow);  // INITIAL_WINDOW_SIZE
    appendSetting(settings, 0x2, 0);              // ENABLE_PUSH off
    appendFrame(out, kSettings, 0, 0, settings);
    if (autoWindow) {
      std::string inc(4, '\0');
      putU32(inc.data(), 0x7fffffffu - 65535u);
      appendFrame(out, kWindowUpdate, 0, 0, inc);
    }
    sendAll(out);
  }
  ~RawH2() { close(); }
  RawH2(const RawH2&) = delete;
  RawH2& operator=(const RawH2&) = delete;

  bool keepData = false;

  [[nodiscard]] bool connected() const { return fd_ >= 0; }
  void close() {
    if (fd_ >= 0) {
      ::close(fd_);
      fd_ = -1;
    }
  }

  // Queues a request (HEADERS [+ DATA]); sent with the next flush(). Without endStream the
  // request stays open (more body to come).
  void request(uint32_t streamId, const std::string& method, const std::string& path,
               const Headers& headers, const std::string& body, bool endStream = true) {
    std::string block;
    literal(block, ":method", method);
    literal(block, ":scheme", "http");
    literal(block, ":path", path);
    literal(block, ":authority", "127.0.0.1");
    for (const auto& [name, value] : headers) {
      std::string lower = name;
      for (auto& c : lower) {
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      }
      literal(block, lower, value);
    }
    appendFrame(pending_, kHeaders, kEndHeaders | (body.empty() && endStream ? kEndStream : 0),
                streamId, block);
    if (!body.empty()) {
      appendFrame(pending_, kData, endStream ? kEndStream : 0, streamId, body);
    }
    streams_[streamId];
  }
  // Queues a HEADERS frame carrying exactly `fields`, in order and as given (no pseudo-headers
  // added, names not lower-cased): for malformed requests.
  void headers(uint32_t streamId, const Headers& fields, bool endStream) {
    std::string block;
    for (const auto& [name, value] : fields) {
      literal(block, name, value);
    }
    appendFrame(pending_, kHeaders, kEndHeaders | (endStream ? kEndStream : 0), streamId, block);
    streams_[streamId];
  }
  void data(uint32_t streamId, const std::string& bytes, bool endStream) {
    appendFrame(pending_, kData, endStream ? kEndStream : 0, streamId, bytes);
  }
  void rst(uint32_t streamId, uint32_t code = kCancel) {
    std::string payload(4, '\0');
    putU32(payload.data(), code);
    appendFrame(pending_, kRstStream, 0, streamId, payload);
  }
  // Any frame as given (e.g. DATA trickled a byte at a time, a header block left open).
  void frame(uint8_t type, uint8_t flags, uint32_t streamId, const std::string& payload) {
    appendFrame(pending_, type, flags, streamId, payload);
  }
  void windowUpdate(uint32_t streamId, uint32_t increment) {
    std::string payload(4, '\0');
    putU32(payload.data(), increment);
    appendFrame(pending_, kWindowUpdate, 0, streamId, payload);
  }
  bool flush() {
    const bool ok = sendAll(pending_);
    pending_.clear();
    return ok;
  }

  // Reads and handles frames for up to `timeout`, or until `until` holds.
  template <typename Until>
  bool pumpUntil(Until until, Millis timeout) {
    const auto deadline = Clock::now() + timeout;
    while (!until()) {
      const auto left = std::chrono::duration_cast<Millis>(deadline - Clock::now());
      if (left.count() <= 0 || peerClosed_ || fd_ < 0) {
        return until();
      }
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(std::min<long>(left.count(), 50))) <= 0) {
        continue;
      }
      char buf[65536];
      const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) {
        peerClosed_ = true;
        continue;
      }
      in_.append(buf, static_cast<size_t>(n));
      parse();
      flush();
    }
    return true;
  }
  void pump(Millis duration) {
    pumpUntil([] { return false; }, duration);
  }

  [[nodiscard]] const StreamState& stream(uint32_t id) { return streams_[id]; }
  [[nodiscard]] bool peerClosed() const { return peerClosed_; }
  [[nodiscard]] std::optional<uint32_t> goawayCode() const { return goaway_; }
  [[nodiscard]] size_t totalData() const { return totalData_; }

 private:
  static void putU32(char* p, uint32_t v) {
    p[0] = static_cast<char>(v >> 24);
    p[1] = static_cast<char>(v >> 16);
    p[2] = static_cast<char>(v >> 8);
    p[3] = static_cast<char>(v);
  }
  static uint32_t getU32(const char* p) {
    const auto* u = reinterpret_cast<const unsigned char*>(p);
    return (uint32_t{u[0]} << 24) | (uint32_t{u[1]} << 16) | (uint32_t{u[2]} << 8) | u[3];
  }
  static void appendSetting(std::string& out, uint16_t id, uint32_t value) {
    out.push_back(static_cast<char>(id >> 8));
    out.push_back(static_cast<char>(id));
    char v[4];
    putU32(v, value);
    out.append(v, 4);
  }
  static void appendFrame(std::string& out, uint8_t type, uint8_t flags, uint32_t streamId,
                          const std::string& payload) {
    const size_t len = payload.size();
    out.push_back(static_cast<char>(len >> 16));
    out.push_back(static_cast<char>(len >> 8));
    out.push_back(static_cast<char>(len));
    out.push_back(static_cast<char>(type));
    out.push_back(static_cast<char>(flags));
    char id[4];
    putU32(id, streamId & 0x7fffffffu);
    out.append(id, 4);
    out += payload;
  }
  // HPACK integer with an n-bit prefix (RFC 7541 5.1).
  static void integer(std::string& out, uint8_t first, int prefix, size_t v) {
    const size_t max = (size_t{1} << prefix) - 1;
    if (v < max) {
      out.push_back(static_cast<char>(first | v));
      return;
    }
    out.push_back(static_cast<char>(first | max));
    v -= max;
    while (v >= 128) {
      out.push_back(static_cast<char>((v & 0x7f) | 0x80));
      v >>= 7;
    }
    out.push_back(static_cast<char>(v));
  }
  // Literal header field without indexing, new name, no Huffman (RFC 7541 6.2.2).
  static void literal(std::string& out, const std::string& name, const std::string& value) {
    out.push_back(0x00);
    integer(out, 0, 7, name.size());
    out += name;
    integer(out, 0, 7, value.size());
    out += value;
  }

  // :status as the first field of a response block: indexed (static table) or a literal
  // with the indexed name :status (index 8) and a raw or Huffman-coded value of digits.
  static int decodeStatus(const char* p, size_t len) {
    const auto first = static_cast<unsigned char>(p[0]);
    static const std::map<unsigned char, int> kIndexed = {
        {0x88, 200}, {0x89, 204}, {0x8a, 206}, {0x8b, 304}, {0x8c, 400}, {0x8d, 404}, {0x8e, 500}};
    if (auto it = kIndexed.find(first); it != kIndexed.end()) {
      return it->second;
    }
    const bool literal_name8 = ((first & 0xc0) == 0x40 && (first & 0x3f) == 8) ||
                               ((first & 0xf0) == 0x00 && (first & 0x0f) == 8) ||
                               ((first & 0xf0) == 0x10 && (first & 0x0f) == 8);
    if (!literal_name8 || len < 2) {
      return -1;
    }
    const auto lenByte = static_cast<unsigned char>(p[1]);
    const bool huffman = (lenByte & 0x80) != 0;
    const size_t n = lenByte & 0x7f;
    if (2 + n > len) {
      return -1;
    }
    std::string digits;
    if (!huffman) {
      digits.assign(p + 2, n);
    } else {
      // Huffman codes of '0'..'9' (RFC 7541 Appendix B): 0-2 are 5 bits, 3-9 are 6 bits.
      uint32_t acc = 0;
      int bits = 0;
      size_t i = 2;
      while (digits.size() < 3) {
        while (bits < 6 && i < 2 + n) {
          acc = (acc << 8) | static_cast<unsigned char>(p[i++]);
          bits += 8;
        }
        if (bits < 5) {
          break;
        }
        const uint32_t five = (acc >> (bits - 5)) & 0x1f;
        if (five <= 2) {
          digits.push_back(static_cast<char>('0' + five));
          bits -= 5;
          continue;
        }
        if (bits < 6) {
          break;
        }
        const uint32_t six = (acc >> (bits - 6)) & 0x3f;
        if (six < 0x19 || six > 0x1f) {
          return -1;
        }
        digits.push_back(static_cast<char>('3' + (six - 0x19)));
        bits -= 6;
      }
    }
    if (digits.size() != 3) {
      return -1;
    }
    return std::stoi(digits);
  }

  bool sendAll(const std::string& bytes) {
    size_t off = 0;
    while (off < bytes.size() && fd_ >= 0) {
      const ssize_t n = ::send(fd_, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
      if (n <= 0) {
        return false;
      }
      off += static_cast<size_t>(n);
    }
    return off == bytes.size();
  }

  void parse() {
    size_t off = 0;
    while (in_.size() - off >= 9) {
      const auto* h = reinterpret_cast<const unsigned char*>(in_.data() + off);
      const size_t len = (size_t{h[0]} << 16) | (size_t{h[1]} << 8) | h[2];
      if (in_.size() - off < 9 + len) {
        break;
      }
      const uint8_t type = h[3];
      const uint8_t flags = h[4];
      const uint32_t id = getU32(in_.data() + off + 5) & 0x7fffffffu;
      const char* payload = in_.data() + off + 9;
      onFrame(type, flags, id, payload, len);
      off += 9 + len;
    }
    in_.erase(0, off);
  }

  void onFrame(uint8_t type, uint8_t flags, uint32_t id, const char* payload, size_t len) {
    switch (type) {
      case kSettings:
        if ((flags & kAck) == 0) {
          appendFrame(pending_, kSettings, kAck, 0, "");
        }
        break;
      case kHeaders: {
        StreamState& s = streams_[id];
        size_t pos = 0;
        if (flags & 0x8) {  // PADDED
          pos = 1;
        }
        if (flags & 0x20) {  // PRIORITY
          pos += 5;
        }
        if (s.status == 0 && pos < len) {
          s.status = decodeStatus(payload + pos, len - pos);
        }
        if (flags & kEndStream) {
          s.ended = true;
        }
        break;
      }
      case kData: {
        StreamState& s = streams_[id];
        s.dataBytes += len;
        totalData_ += len;
        if (keepData) {
          s.data.append(payload, len);
        }
        if (flags & kEndStream) {
          s.ended = true;
        }
        if (autoWindow_ && len > 0) {
          windowUpdate(0, static_cast<uint32_t>(len));
          if (!s.ended) {
            windowUpdate(id, static_cast<uint32_t>(len));
          }
        }
        break;
      }
      case kRstStream:
        streams_[id].reset = true;
        streams_[id].resetCode = len >= 4 ? getU32(payload) : 0;
        break;
      case kGoaway:
        goaway_ = len >= 8 ? getU32(payload + 4) : 0;
        break;
      case kPing:
        if ((flags & kAck) == 0 && len == 8) {
          appendFrame(pending_, kPing, kAck, 0, std::string(payload, len));
        }
        break;
      default:
        break;
    }
  }

  int fd_ = -1;
  bool autoWindow_ = true;
  bool peerClosed_ = false;
  std::string in_;
  std::string pending_;
  std::map<uint32_t, StreamState> streams_;
  std::optional<uint32_t> goaway_;
  size_t totalData_ = 0;
};

}  // namespace slotgate::testing::h2
