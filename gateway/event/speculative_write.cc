#include "gateway/event/speculative_write.h"

#include <sys/socket.h>
#include <sys/uio.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>

namespace slotgate::gateway {

namespace {

// evbuffer_peek fills evbuffer_iovecs; sendmsg takes them as the iovecs they mirror.
static_assert(sizeof(evbuffer_iovec) == sizeof(iovec));
static_assert(offsetof(evbuffer_iovec, iov_base) == offsetof(iovec, iov_base));
static_assert(offsetof(evbuffer_iovec, iov_len) == offsetof(iovec, iov_len));

// Pieces per write: a response is a head and a body or a few chunks; what is past this many
// pieces waits for the next write (libevent's own writev takes up to 128).
constexpr int kMaxPieces = 64;

}  // namespace

ssize_t sendBuffered(evbuffer* out, evutil_socket_t fd) {
  evbuffer_iovec pieces[kMaxPieces];
  const int n = std::min(evbuffer_peek(out, -1, nullptr, pieces, kMaxPieces), kMaxPieces);
  if (n <= 0) {
    return 0;
  }
  ssize_t sent;
  if (n == 1) {
    sent = ::send(fd, pieces[0].iov_base, pieces[0].iov_len, MSG_NOSIGNAL | MSG_DONTWAIT);
  } else {
    msghdr msg{};
    msg.msg_iov = reinterpret_cast<iovec*>(pieces);
    msg.msg_iovlen = static_cast<size_t>(n);
    sent = ::sendmsg(fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
  }
  if (sent > 0) {
    evbuffer_drain(out, static_cast<size_t>(sent));
  }
  return sent;
}

bool writeNow(bufferevent* bev) {
  evbuffer* out = bufferevent_get_output(bev);
  evbuffer_unfreeze(out, 1);
  const ssize_t sent = sendBuffered(out, bufferevent_getfd(bev));
  const int error = errno;
  evbuffer_freeze(out, 1);
  return sent >= 0 || error == EAGAIN || error == EWOULDBLOCK;
}

}  // namespace slotgate::gateway
