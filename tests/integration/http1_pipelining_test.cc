// slotgate end to end, a client that pipelines more than the connection buffers behind a
// request still being answered (README "Connection limits and deadlines"): the pipelined
// bytes wait at the input's high mark without costing the worker anything, and are served
// once the answer ahead of them ends.
//
// Before the fix, libevent ran the connection's read callback again on every loop turn while
// the input sat at its high mark: one client pipelining 256 KiB behind a 3 s stream kept a
// worker at 100% CPU for those 3 s. The test reads the gateway's CPU time from /proc: a busy
// machine can only make the spinning gateway look cheaper (less CPU for it), never make the
// fixed one look dear, so it cannot fail for load.
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "tests/integration/gateway_fixture.h"

namespace slotgate::testing {
namespace {

// User plus system CPU time of a process, in seconds (/proc/PID/stat fields 14 and 15).
double cpuSeconds(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // The command name (field 2) may hold spaces: count fields from its closing parenthesis.
  std::istringstream fields(stat.substr(stat.rfind(')') + 2));
  std::string field;
  long long utime = 0;
  long long stime = 0;
  for (int i = 3; i <= 15 && fields >> field; ++i) {
    if (i == 14) {
      utime = std::stoll(field);
    } else if (i == 15) {
      stime = std::stoll(field);
    }
  }
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

std::string chatRequest(const std::string& body, const std::string& extra = "") {
  return std::string("POST /v1/chat/completions HTTP/1.1\r\nHost: gw\r\nAuthorization: Bearer ") +
         kClientKey + "\r\nContent-Type: application/json\r\n" + extra +
         "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

TEST(Http1Pipelining, AFullInputBehindAStreamCostsNothingAndIsServedAfterIt) {
  MockProvider mock;
  Gateway gw(standardConfig(mock));
  // 30 content chunks 100 ms apart: the answer ahead takes 3 s at least.
  const std::string stream =
      chatRequest(kStreamedChatBody, "x-mock-chunks: 30\r\nx-mock-delay-ms: 100\r\n");
  // Pipelined behind it: one request of 300 KiB, more than the 256 KiB the connection keeps.
  const std::string pipelined = chatRequest(R"({"model":"gpt-test","messages":[{"role":"user",)"
                                            R"("content":")" +
                                            std::string(300 << 10, 'a') + R"("}]})");
  RawConnection conn(gw.port());
  ASSERT_TRUE(conn.connected());
  ASSERT_TRUE(conn.send(stream));
  ASSERT_TRUE(eventually([&] { return mock.stats()["inflight"] == 1; }, 20s));
  ASSERT_TRUE(conn.send(pipelined));
  const double cpu_before = cpuSeconds(gw.process().pid());
  // Read the stream to its end ([DONE] and the chunked terminator).
  const auto deadline = Clock::now() + 30s;
  while (Clock::now() < deadline && conn.received().find("data: [DONE]") == std::string::npos &&
         !conn.peerClosed()) {
    conn.readFor(100ms);
  }
  ASSERT_NE(conn.received().find("data: [DONE]"), std::string::npos) << conn.received();
  const double cpu_during = cpuSeconds(gw.process().pid()) - cpu_before;
  // A loop turn per chunk and a few for the pipelined bytes: milliseconds. Spinning, the
  // worker burnt close to the whole 3 s.
  EXPECT_LT(cpu_during, 0.5) << "the worker spun while the pipelined input waited";
  // The pipelined request is then read and served on the same connection.
  while (Clock::now() < deadline && occurrences(conn.received(), "HTTP/1.1 200") < 2 &&
         !conn.peerClosed()) {
    conn.readFor(100ms);
  }
  EXPECT_EQ(occurrences(conn.received(), "HTTP/1.1 200"), 2u) << conn.received().substr(0, 2000);
  EXPECT_EQ(mock.stats()["requests"], 2);
}

}  // namespace
}  // namespace slotgate::testing
