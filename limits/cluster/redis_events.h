// hiredis's event hooks on a libevent loop, cheaper than hiredis's own libevent adapter for a
// connection that sends a command or two per request (the one per worker in cluster mode):
//
// - the read event is persistent and added once (hiredis asks for it again after every read);
// - a command queued while connected is written by one callback at the end of the loop turn
//   (an active event: every command of the turn in one write), not by a write event added,
//   polled and deleted per command (two epoll_ctl calls each). Only a write the socket could
//   not take whole, and the connect itself, wait for a real write event;
// - once connected, the socket's reads and writes can go to a RedisSocketIo instead of hiredis
//   (RedisConnection: its own output buffer and reply reader), so that hiredis only connects
//   and closes the socket.
#pragma once

#include <event2/event.h>

struct redisAsyncContext;

namespace slotgate::limits {

// Attaches a fresh context to `base` (instead of redisLibeventAttach). hiredis frees what this
// allocates through the context's cleanup hook. REDIS_OK or REDIS_ERR, as hiredis's adapters.
int attachRedisEvents(redisAsyncContext* ctx, event_base* base);

// What reads and writes a connected context's socket (ctx->c.fd) itself, on the loop thread.
class RedisSocketIo {
 public:
  // The socket has something to read.
  virtual void onRedisReadable() = 0;
  // Write what is queued: at the end of the loop turn flushRedisSoon was called in, or when the
  // socket can take more after waitRedisWritable.
  virtual void onRedisWritable() = 0;

 protected:
  ~RedisSocketIo() = default;
};

// From now on the context's read and write events call `io` instead of hiredis's handlers
// (call it once the context is connected; hiredis then never touches the socket until it is
// freed). `io` must outlive the context.
void takeRedisSocket(redisAsyncContext* ctx, RedisSocketIo& io);
// io->onRedisWritable() at the end of this loop turn (once however often asked), unless a
// write event already waits for the socket.
void flushRedisSoon(redisAsyncContext* ctx);
// io->onRedisWritable() once the socket can take more (a write it did not take whole).
void waitRedisWritable(redisAsyncContext* ctx);

}  // namespace slotgate::limits
