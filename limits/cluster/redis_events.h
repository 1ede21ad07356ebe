// hiredis's event hooks on a libevent loop, cheaper than hiredis's own libevent adapter for a
// connection that sends a command or two per request (the one per worker in cluster mode):
//
// - the read event is persistent and added once (hiredis asks for it again after every read);
// - a command queued while connected is written by one callback at the end of the loop turn
//   (an active event: every command of the turn in one write), not by a write event added,
//   polled and deleted per command (two epoll_ctl calls each). Only a write the socket could
//   not take whole, and the connect itself, wait for a real write event.
#pragma once

#include <event2/event.h>

struct redisAsyncContext;

namespace slotgate::limits {

// Attaches a fresh context to `base` (instead of redisLibeventAttach). hiredis frees what this
// allocates through the context's cleanup hook. REDIS_OK or REDIS_ERR, as hiredis's adapters.
int attachRedisEvents(redisAsyncContext* ctx, event_base* base);

}  // namespace slotgate::limits
