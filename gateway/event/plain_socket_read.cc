#include "gateway/event/plain_socket_read.h"

#include <event2/buffer.h>
#include <event2/bufferevent_ssl.h>
#include <event2/bufferevent_struct.h>
#include <event2/event.h>
#include <event2/event_struct.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>

namespace slotgate::gateway {
namespace {

// libevent 2.1's EVBUFFER_MAX_READ: the most one read event reads, kept as it was.
constexpr size_t kMaxRead = 4096;

void onReadable(evutil_socket_t fd, short what, void* arg) {
  auto* bev = static_cast<bufferevent*>(arg);
  // A callback below may free the bufferevent; our reference keeps it (and this event)
  // until we return, as libevent's own read callback does.
  bufferevent_incref(bev);
  if (what == EV_TIMEOUT) {  // a read timeout (slotgate sets none): libevent's report
    bufferevent_disable(bev, EV_READ);
    bufferevent_trigger_event(bev, BEV_EVENT_READING | BEV_EVENT_TIMEOUT, 0);
    bufferevent_decref(bev);
    return;
  }
  evbuffer* input = bufferevent_get_input(bev);
  size_t want = kMaxRead;
  if (const ev_ssize_t max_single = bufferevent_get_max_single_read(bev); max_single > 0) {
    want = std::min(want, static_cast<size_t>(max_single));
  }
  size_t low = 0;
  size_t high = 0;
  bufferevent_getwatermark(bev, EV_READ, &low, &high);
  if (high != 0) {
    const size_t buffered = evbuffer_get_length(input);
    if (buffered >= high) {
      // Only a mark lowered below what is buffered gets here (adding bytes suspends
      // reading at the mark): setting it again suspends reading, as libevent does.
      bufferevent_setwatermark(bev, EV_READ, low, high);
      bufferevent_decref(bev);
      return;
    }
    want = std::min(want, high - buffered);
  }
  char bytes[kMaxRead];
  const ssize_t n = ::recv(fd, bytes, want, 0);
  if (n > 0) {
    // The input buffer's end is frozen outside libevent's own reads.
    evbuffer_unfreeze(input, 0);
    evbuffer_add(input, bytes, static_cast<size_t>(n));
    evbuffer_freeze(input, 0);
    bufferevent_trigger(bev, EV_READ, 0);
  } else if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
    const int saved_errno = errno;
    bufferevent_disable(bev, EV_READ);
    errno = saved_errno;  // event callbacks describe the error from errno
    bufferevent_trigger_event(bev, BEV_EVENT_READING | (n == 0 ? BEV_EVENT_EOF : BEV_EVENT_ERROR),
                              0);
  }
  bufferevent_decref(bev);
}

}  // namespace

bool useOwnReadPath(bufferevent* bev) {
  if (bev == nullptr || bufferevent_openssl_get_ssl(bev) != nullptr) {
    return false;
  }
  event* ev = &bev->ev_read;
  const evutil_socket_t fd = bufferevent_getfd(bev);
  if (fd < 0 || event_get_fd(ev) != fd || event_get_callback_arg(ev) != bev ||
      (event_get_events(ev) & (EV_READ | EV_PERSIST)) != (EV_READ | EV_PERSIST)) {
    return false;
  }
  if (event_get_callback(ev) == &onReadable) {
    return true;
  }
  // event_assign may not touch an added event: take it out and put it back.
  const bool added = (ev->ev_evcallback.evcb_flags & EVLIST_INSERTED) != 0;
  if (added) {
    event_del(ev);
  }
  event_assign(ev, bufferevent_get_base(bev), fd, EV_READ | EV_PERSIST | EV_FINALIZE, &onReadable,
               bev);
  if (added) {
    event_add(ev, evutil_timerisset(&bev->timeout_read) ? &bev->timeout_read : nullptr);
  }
  return true;
}

void setReadHighWater(bufferevent* bev, size_t high) {
  if (high == 0 || event_get_callback(&bev->ev_read) != &onReadable) {
    bufferevent_setwatermark(bev, EV_READ, 0, high);
    return;
  }
  // The fields bufferevent_getwatermark reads (onReadable bounds each read by them); libevent's
  // callback, if an earlier mark installed it, stays as it was.
  bev->wm_read.low = 0;
  bev->wm_read.high = high;
}

bool readReportedNotHandled(bufferevent* bev) {
  return (bev->ev_read.ev_evcallback.evcb_flags & (EVLIST_ACTIVE | EVLIST_ACTIVE_LATER)) != 0;
}

}  // namespace slotgate::gateway
