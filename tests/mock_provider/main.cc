// mock_provider: an OpenAI/Anthropic-shaped upstream for slotgate's quick start, integration
// tests and benchmarks. See README.md for the CLI, control headers and endpoints.
#include <arpa/inet.h>
#include <event2/thread.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "tests/mock_provider/holds.h"
#include "tests/mock_provider/options.h"
#include "tests/mock_provider/stats.h"
#include "tests/mock_provider/tls.h"
#include "tests/mock_provider/worker.h"

namespace slotgate::mock {
namespace {

// Every worker gets its own socket on the same port (SO_REUSEPORT): the kernel spreads
// connections across them, and no accept lock is shared between threads.
int makeListener(const std::string& host, int port, std::string& error) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* result = nullptr;
  const std::string service = std::to_string(port);
  if (const int rc = getaddrinfo(host.c_str(), service.c_str(), &hints, &result); rc != 0) {
    error = "cannot resolve " + host + ": " + gai_strerror(rc);
    return -1;
  }
  std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> guard(result, freeaddrinfo);
  const int fd = socket(result->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    error = "socket failed";
    return -1;
  }
  const int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
  if (bind(fd, result->ai_addr, result->ai_addrlen) != 0 || listen(fd, 4096) != 0) {
    error = "cannot listen on " + host + ":" + service;
    close(fd);
    return -1;
  }
  return fd;
}

int boundPort(int fd) {
  sockaddr_storage addr{};
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  if (addr.ss_family == AF_INET6) {
    return ntohs(reinterpret_cast<sockaddr_in6*>(&addr)->sin6_port);
  }
  return ntohs(reinterpret_cast<sockaddr_in*>(&addr)->sin_port);
}

int run(int argc, char** argv) {
  std::string error;
  const auto options = parseOptions(argc, argv, error);
  if (!options) {
    const bool help =
        argc > 1 && (std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h");
    std::fputs(error.c_str(), help ? stdout : stderr);
    return help ? 0 : 2;
  }
  evthread_use_pthreads();
  std::signal(SIGPIPE, SIG_IGN);
  // Workers inherit this mask; only the main thread takes SIGTERM/SIGINT, in sigwait().
  sigset_t stopSignals;
  sigemptyset(&stopSignals);
  sigaddset(&stopSignals, SIGTERM);
  sigaddset(&stopSignals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stopSignals, nullptr);

  SslCtxPtr sslCtx;
  if (options->tls()) {
    sslCtx = createServerContext(options->tlsCert, options->tlsKey, error);
    if (!sslCtx) {
      std::fprintf(stderr, "mock_provider: %s\n", error.c_str());
      return 1;
    }
  }

  Stats stats(static_cast<size_t>(options->threads));
  Holds holds;  // outlives the workers: their exchanges forget their holds as they go
  std::vector<std::unique_ptr<Worker>> workers;
  int port = options->port;
  for (int i = 0; i < options->threads; ++i) {
    const int fd = makeListener(options->host, port, error);
    if (fd < 0) {
      std::fprintf(stderr, "mock_provider: %s\n", error.c_str());
      return 1;
    }
    port = boundPort(fd);
    auto worker =
        std::make_unique<Worker>(static_cast<size_t>(i), *options, stats, holds, sslCtx.get());
    if (!worker->init(fd, error)) {
      std::fprintf(stderr, "mock_provider: %s\n", error.c_str());
      return 1;
    }
    workers.push_back(std::move(worker));
  }

  std::vector<std::thread> threads;
  for (auto& worker : workers) {
    threads.emplace_back([w = worker.get()] { w->run(); });
  }
  std::printf("{\"event\":\"listening\",\"port\":%d,\"tls\":%s}\n", port,
              options->tls() ? "true" : "false");
  std::fflush(stdout);

  int signal = 0;
  sigwait(&stopSignals, &signal);
  for (auto& worker : workers) {
    worker->stop();
  }
  for (auto& thread : threads) {
    thread.join();
  }
  workers.clear();
  return 0;
}

}  // namespace
}  // namespace slotgate::mock

int main(int argc, char** argv) { return slotgate::mock::run(argc, argv); }
