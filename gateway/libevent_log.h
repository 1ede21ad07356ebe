// libevent's own diagnostics ("[warn] Error from accept() call: ...") as JSON
// log lines (event "libevent") instead of plain text on stderr, and rate
// limited: a condition libevent reports on every loop turn must not flood the
// log or cost a write per turn.
//
// libevent may call its log callback while holding an event base's
// (non-recursive) lock, and emitting a line from a worker can touch that base
// (the worker's log batch schedules its flush with event_active). So the
// callback only files the message in a bounded mailbox under a plain mutex;
// the control thread emits the mailbox (flushLibeventLogs) once a second.
// Messages beyond the mailbox's room until the next flush are counted and
// reported as "suppressed" on the next line that goes out.
//
// Thread-safety: every function may be called from any thread.
#pragma once

#include <cstddef>

namespace slotgate::gateway {

// At most this many libevent lines go out per flush.
inline constexpr size_t kLibeventLinesPerFlush = 10;

// Installs the callback (event_set_log_callback). Call once, before any event base exists.
void routeLibeventLogs();
// Emits what the callback filed since the last call. Returns how many lines went out.
size_t flushLibeventLogs();

}  // namespace slotgate::gateway
