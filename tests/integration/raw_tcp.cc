// Raw TCP helpers of the integration harness, for malformed-HTTP and slow-client tests.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "tests/integration/harness.h"

namespace slotgate::testing {

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

}  // namespace slotgate::testing
