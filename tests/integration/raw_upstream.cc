#include "tests/integration/raw_upstream.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <strings.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <memory>
#include <stdexcept>

namespace slotgate::testing {

struct RawUpstream::Connection {
  int fd = -1;
  int index = 0;
  int requests = 0;
  std::string input;
};

namespace {

// Length of the Content-Length body announced in `head` (0 when absent).
size_t contentLength(const std::string& head) {
  size_t pos = 0;
  while ((pos = head.find("\r\n", pos)) != std::string::npos) {
    pos += 2;
    if (strncasecmp(head.c_str() + pos, "content-length:", 15) == 0) {
      return std::stoul(head.substr(pos + 15));
    }
  }
  return 0;
}

bool sendAll(int fd, const std::string& bytes) {
  size_t off = 0;
  while (off < bytes.size()) {
    const ssize_t n = ::send(fd, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      return false;
    }
    off += static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

RawUpstream::RawUpstream(Script script) : script_(std::move(script)) {
  listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  wake_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  if (listen_fd_ < 0 || wake_fd_ < 0 ||
      bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      listen(listen_fd_, 64) != 0 ||
      getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    throw std::runtime_error("RawUpstream: cannot listen on 127.0.0.1:0");
  }
  port_ = ntohs(addr.sin_port);
  thread_ = std::thread([this] { run(); });
}

RawUpstream::~RawUpstream() {
  const uint64_t one = 1;
  (void)!write(wake_fd_, &one, sizeof(one));
  thread_.join();
  ::close(listen_fd_);
  ::close(wake_fd_);
}

std::string RawUpstream::baseUrl() const { return "http://127.0.0.1:" + std::to_string(port_); }

std::vector<RawUpstream::Request> RawUpstream::requests() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return requests_;
}

size_t RawUpstream::requestCount() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return requests_.size();
}

int RawUpstream::connectionsAccepted() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return accepted_;
}

int RawUpstream::connectionsClosedByPeer() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return closed_by_peer_;
}

void RawUpstream::run() {
  std::vector<std::unique_ptr<Connection>> conns;
  while (true) {
    std::vector<pollfd> fds{{wake_fd_, POLLIN, 0}, {listen_fd_, POLLIN, 0}};
    for (const auto& c : conns) {
      fds.push_back({c->fd, POLLIN, 0});
    }
    if (poll(fds.data(), fds.size(), -1) < 0) {
      if (errno == EINTR) {
        continue;
      }
      break;
    }
    if (fds[0].revents != 0) {
      break;
    }
    if ((fds[1].revents & POLLIN) != 0) {
      const int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd >= 0) {
        auto c = std::make_unique<Connection>();
        c->fd = fd;
        std::lock_guard<std::mutex> lock(mutex_);
        c->index = accepted_++;
        conns.push_back(std::move(c));
      }
    }
    for (size_t i = 2; i < fds.size(); ++i) {
      if (fds[i].revents == 0) {
        continue;
      }
      Connection& c = *conns[i - 2];
      char buf[65536];
      const ssize_t n = ::recv(c.fd, buf, sizeof(buf), 0);
      if (n <= 0) {
        if (n < 0 && errno == EINTR) {
          continue;
        }
        std::lock_guard<std::mutex> lock(mutex_);
        ++closed_by_peer_;
        ::close(c.fd);
        c.fd = -1;
        continue;
      }
      c.input.append(buf, static_cast<size_t>(n));
      while (c.fd >= 0) {
        const size_t head_end = c.input.find("\r\n\r\n");
        if (head_end == std::string::npos) {
          break;
        }
        const std::string head = c.input.substr(0, head_end + 4);
        const size_t body_len = contentLength(head);
        if (c.input.size() < head.size() + body_len) {
          break;
        }
        Request request{c.index, c.requests++, head, c.input.substr(head.size(), body_len)};
        c.input.erase(0, head.size() + body_len);
        {
          std::lock_guard<std::mutex> lock(mutex_);
          requests_.push_back(request);
        }
        const Reply reply = script_(request);
        if (!sendAll(c.fd, reply.bytes) || reply.close) {
          ::close(c.fd);
          c.fd = -1;
        }
      }
    }
    std::erase_if(conns, [](const std::unique_ptr<Connection>& c) { return c->fd < 0; });
  }
  for (const auto& c : conns) {
    ::close(c->fd);
  }
}

std::string rawOkResponse(const std::string& json) {
  return "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " +
         std::to_string(json.size()) + "\r\n\r\n" + json;
}

}  // namespace slotgate::testing
