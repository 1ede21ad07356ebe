// Writing a plain-socket bufferevent's output at once, from outside its own
// write callback.
#pragma once

#include <event2/buffer.h>
#include <event2/bufferevent.h>

namespace slotgate::gateway {

// Writes as much of bev's output buffer as the socket takes now. The
// bufferevent keeps the front of its output frozen outside its write
// callback, so it is thawed for the write. Returns false on a socket error
// (the bufferevent reports it on its next event). Plain sockets only.
inline bool writeNow(bufferevent* bev) {
  evbuffer* out = bufferevent_get_output(bev);
  evbuffer_unfreeze(out, 1);
  const int n = evbuffer_write(out, bufferevent_getfd(bev));
  evbuffer_freeze(out, 1);
  return n >= 0;
}

}  // namespace slotgate::gateway
