// The read path of plain-socket bufferevents, without libevent's ioctl(FIONREAD).
//
// libevent 2.1's evbuffer_read asks the kernel how many bytes are readable
// (ioctl(FIONREAD)) before every read, only to size a read it caps at 4096 bytes
// anyway: one syscall per read, two per proxied request (the client's connection
// and the upstream's). useOwnReadPath() points the bufferevent's read event at a
// callback of ours that reads up to the same 4096 bytes with one recv() and then
// behaves as libevent's does: the read high-water mark and
// bufferevent_set_max_single_read bound the read, the bytes are appended to the
// input buffer (its watermark callback suspends reading at the mark), the read
// callback runs through bufferevent_trigger, and EOF or an error disables reading
// and reaches the event callback (BEV_EVENT_READING | EOF/ERROR, errno kept).
// bufferevent_enable/disable, watermarks and deletion from inside callbacks keep
// working unchanged, because libevent still adds and removes the same event.
//
// This touches one field of libevent's bufferevent (ev_read, from the deprecated
// event2/bufferevent_struct.h): its layout is that of the libevent the build
// compiles against, and the hook checks that the event is the one it expects
// (the bufferevent's socket, a persistent read, the bufferevent as argument) and
// otherwise leaves libevent's own read in place.
//
// Loop thread only.
#pragma once

#include <event2/bufferevent.h>

#include <cstddef>

namespace slotgate::gateway {

// Installs our read callback on a connected plain-socket bufferevent (not a TLS
// one: its read goes through OpenSSL). Call again after anything that gives the
// bufferevent a new socket (bufferevent_setfd, a connect), which reinstalls
// libevent's. Returns false when it left libevent's read in place.
bool useOwnReadPath(bufferevent* bev);

// Sets bev's read high-water mark (the low mark 0), as bufferevent_setwatermark(bev, EV_READ,
// 0, high) does. With our read path installed, only the mark itself is set: each read is bounded
// by it as before, and the read that finds the input at the mark installs libevent's watermark
// callback (bufferevent_setwatermark), which suspends reading until the input drains below it.
// libevent's callback runs on every change of the input buffer (each read, each drain) and
// re-adds the read event whenever the input is below the mark: ~165 instructions, three times
// per HTTP/1.1 request, on connections whose input never comes near the mark. Without our read
// path (TLS, libevent's read kept): bufferevent_setwatermark.
void setReadHighWater(bufferevent* bev, size_t high);

// True when the loop has seen bev's socket readable (bytes, EOF or a reset) in
// this loop turn and the read callback has not run yet: what a connection in a
// pool cannot see otherwise without a syscall.
bool readReportedNotHandled(bufferevent* bev);

}  // namespace slotgate::gateway
