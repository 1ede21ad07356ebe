#include "tests/integration/recording_upstream.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cstdlib>
#include <stdexcept>
#include <vector>

namespace slotgate::testing {
namespace {

constexpr char kAnswerBody[] =
    R"({"id":"chatcmpl-rec","object":"chat.completion","created":1,"model":"gpt-upstream",)"
    R"("choices":[{"index":0,"message":{"role":"assistant","content":"ok"},)"
    R"("finish_reason":"stop"}],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}})";

// Length of the first complete request in `in` (head and Content-Length body), or 0.
size_t completeRequest(const std::string& in) {
  const size_t head_end = in.find("\r\n\r\n");
  if (head_end == std::string::npos) {
    return 0;
  }
  std::string head = in.substr(0, head_end + 2);
  for (char& c : head) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  size_t length = 0;
  if (const size_t cl = head.find("\r\ncontent-length:"); cl != std::string::npos) {
    length = std::strtoul(head.c_str() + cl + 17, nullptr, 10);
  }
  const size_t total = head_end + 4 + length;
  return in.size() >= total ? total : 0;
}

}  // namespace

RecordingUpstream::RecordingUpstream() {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (listen_fd_ < 0 || ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(listen_fd_, 64) != 0 ||
      ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    throw std::runtime_error("RecordingUpstream: cannot listen");
  }
  port_ = ntohs(addr.sin_port);
  thread_ = std::thread([this] { run(); });
}

RecordingUpstream::~RecordingUpstream() {
  stop_ = true;
  thread_.join();
  ::close(listen_fd_);
}

std::string RecordingUpstream::baseUrl() const {
  return "http://127.0.0.1:" + std::to_string(port_);
}

std::string RecordingUpstream::bytes() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return bytes_;
}

void RecordingUpstream::run() {
  struct Conn {
    int fd;
    std::string pending;
  };
  std::vector<Conn> conns;
  while (!stop_) {
    std::vector<pollfd> fds{{listen_fd_, POLLIN, 0}};
    for (const Conn& c : conns) {
      fds.push_back({c.fd, POLLIN, 0});
    }
    if (::poll(fds.data(), fds.size(), 20) <= 0) {
      continue;
    }
    if ((fds[0].revents & POLLIN) != 0) {
      const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd >= 0) {
        conns.push_back({fd, {}});
      }
    }
    for (size_t i = 1; i < fds.size(); ++i) {
      if (fds[i].revents == 0) {
        continue;
      }
      Conn& c = conns[i - 1];
      char buf[16384];
      const ssize_t n = ::recv(c.fd, buf, sizeof buf, 0);
      if (n <= 0) {
        ::close(c.fd);
        c.fd = -1;
        continue;
      }
      {
        std::lock_guard<std::mutex> lock(mutex_);
        bytes_.append(buf, static_cast<size_t>(n));
      }
      c.pending.append(buf, static_cast<size_t>(n));
      while (const size_t used = completeRequest(c.pending)) {
        c.pending.erase(0, used);
        const std::string body = kAnswerBody;
        const std::string answer =
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " +
            std::to_string(body.size()) + "\r\n\r\n" + body;
        (void)::send(c.fd, answer.data(), answer.size(), MSG_NOSIGNAL);
        ++requests_;
      }
    }
    std::erase_if(conns, [](const Conn& c) { return c.fd < 0; });
  }
  for (const Conn& c : conns) {
    ::close(c.fd);
  }
}

}  // namespace slotgate::testing
