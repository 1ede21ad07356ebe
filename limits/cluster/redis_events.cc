#include "limits/cluster/redis_events.h"

#include <hiredis/async.h>
#include <hiredis/hiredis.h>

namespace slotgate::limits {
namespace {

struct RedisEvents {
  redisAsyncContext* ctx = nullptr;
  RedisSocketIo* io = nullptr;  // set: the connected socket is read and written by io
  event* read = nullptr;        // persistent
  event* write = nullptr;       // one-shot: the connect, or a write the socket did not take whole
  event* flush = nullptr;       // active-only: writes what the loop turn queued
  bool reading = false;
  bool writing = false;       // `write` is added
  bool flushing = false;      // inside onFlush: a write still pending needs the real write event
  bool flush_queued = false;  // `flush` is active (io mode)
  int in_callback = 0;        // cleanup during one of our callbacks defers the delete to its end
  bool freed = false;

  void destroy() {
    event_free(read);
    event_free(write);
    event_free(flush);
    delete this;
  }
  // After a callback into hiredis, which may have freed the context (and so asked for cleanup).
  bool leave() {
    --in_callback;
    if (freed && in_callback == 0) {
      destroy();
      return false;
    }
    return true;
  }
};

void onRead(evutil_socket_t, short, void* arg) {
  auto* e = static_cast<RedisEvents*>(arg);
  ++e->in_callback;
  if (e->io != nullptr) {
    e->io->onRedisReadable();
  } else {
    redisAsyncHandleRead(e->ctx);
  }
  e->leave();
}

void onWrite(evutil_socket_t, short, void* arg) {
  auto* e = static_cast<RedisEvents*>(arg);
  e->writing = false;  // one-shot: it fired, so it is no longer added
  ++e->in_callback;
  e->flushing = true;
  if (e->io != nullptr) {
    e->io->onRedisWritable();
  } else {
    redisAsyncHandleWrite(e->ctx);
  }
  if (e->leave()) {
    e->flushing = false;
  }
}

void onFlush(evutil_socket_t, short, void* arg) {
  auto* e = static_cast<RedisEvents*>(arg);
  e->flush_queued = false;
  if (e->writing) {
    return;  // a real write event is waiting for the socket; it writes everything queued
  }
  ++e->in_callback;
  e->flushing = true;
  if (e->io != nullptr) {
    e->io->onRedisWritable();
  } else {
    redisAsyncHandleWrite(e->ctx);
  }
  if (e->leave()) {
    e->flushing = false;
  }
}

void addRead(void* privdata) {
  auto* e = static_cast<RedisEvents*>(privdata);
  if (!e->reading) {
    e->reading = true;
    event_add(e->read, nullptr);
  }
}

void delRead(void* privdata) {
  auto* e = static_cast<RedisEvents*>(privdata);
  if (e->reading) {
    e->reading = false;
    event_del(e->read);
  }
}

void addWrite(void* privdata) {
  auto* e = static_cast<RedisEvents*>(privdata);
  if (e->writing) {
    return;
  }
  if (e->flushing || (e->ctx->c.flags & REDIS_CONNECTED) == 0) {
    e->writing = true;
    event_add(e->write, nullptr);
    return;
  }
  event_active(e->flush, EV_WRITE, 0);  // once per turn however often asked
}

void delWrite(void* privdata) {
  auto* e = static_cast<RedisEvents*>(privdata);
  if (e->writing) {
    e->writing = false;
    event_del(e->write);
  }
}

void cleanup(void* privdata) {
  auto* e = static_cast<RedisEvents*>(privdata);
  event_del(e->read);
  event_del(e->write);
  event_del(e->flush);
  if (e->in_callback > 0) {
    e->freed = true;
    return;
  }
  e->destroy();
}

}  // namespace

void takeRedisSocket(redisAsyncContext* ctx, RedisSocketIo& io) {
  static_cast<RedisEvents*>(ctx->ev.data)->io = &io;
}

void flushRedisSoon(redisAsyncContext* ctx) {
  auto* e = static_cast<RedisEvents*>(ctx->ev.data);
  if (!e->writing && !e->flush_queued) {
    e->flush_queued = true;
    event_active(e->flush, EV_WRITE, 0);
  }
}

void waitRedisWritable(redisAsyncContext* ctx) {
  auto* e = static_cast<RedisEvents*>(ctx->ev.data);
  if (!e->writing) {
    e->writing = true;
    event_add(e->write, nullptr);
  }
}

int attachRedisEvents(redisAsyncContext* ctx, event_base* base) {
  if (ctx->ev.data != nullptr) {
    return REDIS_ERR;
  }
  auto* e = new RedisEvents;
  e->ctx = ctx;
  const int fd = ctx->c.fd;
  e->read = event_new(base, fd, EV_READ | EV_PERSIST, &onRead, e);
  e->write = event_new(base, fd, EV_WRITE, &onWrite, e);
  e->flush = event_new(base, -1, 0, &onFlush, e);
  if (e->read == nullptr || e->write == nullptr || e->flush == nullptr) {
    if (e->read != nullptr) {
      event_free(e->read);
    }
    if (e->write != nullptr) {
      event_free(e->write);
    }
    if (e->flush != nullptr) {
      event_free(e->flush);
    }
    delete e;
    return REDIS_ERR;
  }
  ctx->ev.addRead = &addRead;
  ctx->ev.delRead = &delRead;
  ctx->ev.addWrite = &addWrite;
  ctx->ev.delWrite = &delWrite;
  ctx->ev.cleanup = &cleanup;
  ctx->ev.data = e;
  // As hiredis's adapter: both, so that the connect completes (the write event) or fails.
  addRead(e);
  e->writing = true;
  event_add(e->write, nullptr);
  return REDIS_OK;
}

}  // namespace slotgate::limits
