#include "gateway/downstream/lingering_close.h"

#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace slotgate::gateway {

LingeringClose::LingeringClose(event_base* base, evutil_socket_t fd, const LingerLimits& limits,
                               OnDone on_done)
    : fd_(fd),
      limits_(limits),
      on_done_(std::move(on_done)),
      deadline_(std::chrono::steady_clock::now() + limits.total),
      readable_(base, fd, FileEvent::kRead, [this](uint32_t ready) { onReadable(ready); }) {
  // FIN after the answer: the client reads it to its end, then end-of-stream.
  ::shutdown(fd_, SHUT_WR);
  rearm();
}

LingeringClose::~LingeringClose() {
  readable_.disable();  // before its descriptor closes
  if (fd_ >= 0) {
    ::close(fd_);
  }
}

void LingeringClose::rearm() {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline_ - std::chrono::steady_clock::now());
  const auto wait = std::min(limits_.between, left);
  bounded_by_total_ = left <= limits_.between;
  if (wait.count() <= 0) {
    finish("linger_time");
    return;
  }
  readable_.enable(wait);
}

void LingeringClose::onReadable(uint32_t ready) {
  if ((ready & FileEvent::kTimeout) != 0) {
    finish(bounded_by_total_ ? "linger_time" : "linger_timeout");
    return;
  }
  // Read what is there and drop it; a bounded number of reads per wake-up keeps one
  // fast uploader from holding the loop.
  char sink[16384];
  for (int i = 0; i < 16; ++i) {
    const ssize_t n = ::recv(fd_, sink, sizeof sink, 0);
    if (n == 0) {
      finish("client_done");  // the client finished (or gave up) and closed
      return;
    }
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        break;
      }
      finish("client_error");
      return;
    }
    dropped_ += static_cast<uint64_t>(n);
    if (dropped_ > limits_.max_bytes) {
      finish("linger_bytes");
      return;
    }
  }
  rearm();
}

void LingeringClose::drain() { finish("draining"); }

void LingeringClose::finish(const char* why) {
  if (fd_ < 0) {
    return;
  }
  readable_.disable();
  ::close(fd_);
  fd_ = -1;
  if (on_done_) {
    OnDone done = std::move(on_done_);
    done(*this, why);  // may hand this object to deferred deletion
  }
}

}  // namespace slotgate::gateway
