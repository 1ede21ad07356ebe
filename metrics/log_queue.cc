#include "metrics/log_queue.h"

#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>

namespace slotgate::metrics {
namespace {

// A write of at most PIPE_BUF bytes to a pipe that poll() called writable does not block
// (Linux: POLLOUT means a free pipe buffer slot), so the writer never sleeps inside write(2)
// on a pipe and can always notice the shutdown deadline.
constexpr size_t kPipeChunk = PIPE_BUF;
// How often a writer waiting on a full pipe looks at the shutdown deadline.
constexpr int kPollMillis = 100;

uint64_t countLines(std::string_view s) {
  return static_cast<uint64_t>(std::count(s.begin(), s.end(), '\n'));
}

}  // namespace

LogQueue::LogQueue(int fd, size_t capacity)
    : capacity_(capacity), fd_(fd), fd_regular_(isRegularFile(fd)) {
  writer_ = std::thread([this] { run(); });
}

LogQueue::~LogQueue() { stop(std::chrono::seconds(1)); }

void LogQueue::stop(std::chrono::milliseconds bound) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stop_) {
      return;
    }
    stop_ = true;
    stop_deadline_ = std::chrono::steady_clock::now() + bound;
    stopping_.store(true, std::memory_order_release);
  }
  has_work_.notify_one();
  writer_.join();
}

bool LogQueue::push(std::string_view lines) {
  if (lines.empty()) {
    return true;
  }
  bool wake = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stop_ || pending_.size() + lines.size() > capacity_) {
      dropped_.fetch_add(countLines(lines), std::memory_order_relaxed);
      return false;
    }
    pending_.append(lines);
    queued_ += lines.size();
    // A writer writing or gathering takes these lines on its own: no wake-up (a futex call).
    wake = writer_idle_;
    writer_idle_ = false;
  }
  if (wake) {
    has_work_.notify_one();
  }
  return true;
}

bool LogQueue::flush(std::chrono::milliseconds bound) {
  std::unique_lock<std::mutex> lock(mu_);
  const uint64_t mark = queued_;
  return drained_.wait_for(lock, bound, [&] { return done_ >= mark; });
}

int LogQueue::setFd(int fd, std::chrono::milliseconds bound) {
  flush(bound);
  std::lock_guard<std::mutex> lock(mu_);
  const int previous = fd_;
  fd_ = fd;
  fd_regular_ = isRegularFile(fd);
  return previous;
}

void LogQueue::run() {
  std::string out;
  for (;;) {
    int fd = -1;
    bool regular = false;
    {
      std::unique_lock<std::mutex> lock(mu_);
      if (!stop_ && pending_.empty()) {
        writer_idle_ = true;
        has_work_.wait(lock, [&] { return stop_ || !pending_.empty(); });
        writer_idle_ = false;
      }
      if (pending_.empty()) {
        return;  // stopping and nothing left
      }
      out.clear();
      out.swap(pending_);  // the two buffers trade places; their capacity is reused
      fd = fd_;
      regular = fd_regular_;
    }
    size_t written = 0;
    if (!writeOut(fd, regular, out, &written)) {
      dropped_.fetch_add(countLines(std::string_view(out).substr(written)),
                         std::memory_order_relaxed);
    }
    {
      std::unique_lock<std::mutex> lock(mu_);
      done_ += out.size();
      drained_.notify_all();
      // Let the next lines gather (push() does not wake a gathering writer); stop() ends it.
      has_work_.wait_for(lock, kGatherWindow, [&] { return stop_; });
    }
  }
}

bool LogQueue::isRegularFile(int fd) {
  struct stat st {};
  return ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
}

bool LogQueue::writeOut(int fd, bool regular, const std::string& out, size_t* written) {
  // Regular files never make a writer wait for a reader: write them whole.
  size_t off = 0;
  while (off < out.size()) {
    if (stopping_.load(std::memory_order_acquire) &&
        std::chrono::steady_clock::now() >= stop_deadline_) {
      *written = off;
      return false;
    }
    if (!regular) {
      pollfd p{fd, POLLOUT, 0};
      const int ready = ::poll(&p, 1, kPollMillis);
      if (ready == 0 || (ready < 0 && errno == EINTR)) {
        continue;
      }
      if (ready < 0 || (p.revents & (POLLERR | POLLNVAL)) != 0) {
        *written = off;
        return false;
      }
    }
    const size_t chunk = regular ? out.size() - off : std::min(out.size() - off, kPipeChunk);
    const ssize_t n = ::write(fd, out.data() + off, chunk);
    if (n > 0) {
      off += static_cast<size_t>(n);
    } else if (n < 0 && (errno == EINTR || errno == EAGAIN)) {
      continue;
    } else {
      *written = off;
      return false;  // nowhere to report a failing log sink; its lines count as dropped
    }
  }
  *written = off;
  return true;
}

}  // namespace slotgate::metrics
