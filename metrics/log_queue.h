// A bounded in-memory queue of log lines drained to a file descriptor by its
// own writer thread, so that nobody who logs ever waits on the log's reader.
//
// A stalled reader (a stuck log shipper, `slotgate 2>&1 | sleep 3600`) fills
// the pipe, then this queue; past `capacity` bytes new lines are dropped and
// counted instead of blocking the event loops that emit them. push() takes a
// short lock to append (never held across I/O); only the writer thread
// writes, and it polls before each write so that even a flush at shutdown is
// bounded in time.
//
// Syscalls: after each write the writer lets lines gather for kGatherWindow before taking
// the next batch, and push() wakes it only when it sleeps with nothing queued; under load
// one write (and one timed wait) carries every line of the window, not one per loop turn.
//
// Thread-safety: every member may be called from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

namespace slotgate::metrics {

class LogQueue {
 public:
  // How long the writer lets lines gather after a write (the most a line waits behind one).
  static constexpr std::chrono::milliseconds kGatherWindow{5};

  // Starts the writer thread on `fd`; at most `capacity` bytes wait in memory.
  LogQueue(int fd, size_t capacity);
  // stop(one second).
  ~LogQueue();
  LogQueue(const LogQueue&) = delete;
  LogQueue& operator=(const LogQueue&) = delete;

  // Queues whole lines (each ending in '\n') as one unit, or drops all of them when they do
  // not fit, counting each dropped line. Never waits for I/O. Returns whether they were queued.
  bool push(std::string_view lines);

  // Waits until everything queued before the call has been written (or dropped by the
  // writer because the fd failed), for at most `bound`. Returns whether it all went out.
  bool flush(std::chrono::milliseconds bound);

  // Flushes to the current fd (bounded by `bound`), then writes to `fd` from now on.
  // Returns the previous fd.
  int setFd(int fd, std::chrono::milliseconds bound = std::chrono::seconds(1));

  // Refuses new lines, writes what is queued for at most `bound`, counts the rest as dropped,
  // joins the writer. Idempotent.
  void stop(std::chrono::milliseconds bound);

  // Lines dropped so far: refused by push() when full, or left unwritten by a failing fd
  // or a shutdown flush out of time.
  uint64_t droppedLines() const { return dropped_.load(std::memory_order_relaxed); }
  size_t capacity() const { return capacity_; }

 private:
  void run();
  // Writes `out` to `fd`; gives up (returns false) on a write error or, once stopping, at
  // the stop deadline. *written is how many bytes went out.
  bool writeOut(int fd, bool regular, const std::string& out, size_t* written);
  static bool isRegularFile(int fd);

  const size_t capacity_;
  std::mutex mu_;
  std::condition_variable has_work_;  // the writer waits for lines or stop_
  std::condition_variable drained_;   // flush() waits for done_ to pass its mark
  std::string pending_;               // lines not yet taken by the writer; ≤ capacity_
  uint64_t queued_ = 0;               // bytes ever accepted by push()
  uint64_t done_ = 0;                 // bytes ever taken and finished by the writer
  int fd_;
  bool fd_regular_;           // fd_ is a regular file (never makes the writer wait)
  bool writer_idle_ = false;  // the writer sleeps until push() or stop() wakes it
  bool stop_ = false;
  std::chrono::steady_clock::time_point stop_deadline_{};
  std::atomic<bool> stopping_{false};  // stop_, readable by the writer without the lock
  std::atomic<uint64_t> dropped_{0};
  std::thread writer_;
};

}  // namespace slotgate::metrics
