// UpstreamCall's life as one state: the table of legal moves, and the states a real call
// goes through on a real loop (fresh connection, reused connection, the one re-send).
#include "gateway/upstream/upstream_call_state.h"

#include <gtest/gtest.h>
#include <sys/socket.h>

#include <algorithm>
#include <csignal>
#include <iterator>
#include <vector>

#include "gateway/upstream/upstream_call.h"
#include "upstream_test_util.h"

namespace slotgate::gateway {

void PrintTo(UpstreamCallState s, std::ostream* os) { *os << stateName(s); }

namespace testing {
namespace {

using S = UpstreamCallState;
constexpr S kAll[] = {S::kCreated,     S::kAttachPending, S::kConnecting, S::kSending,
                      S::kReadingHead, S::kReadingBody,   S::kDone};

TEST(UpstreamCallStateTable, TheForwardPathIsLegalStepByStep) {
  EXPECT_TRUE(canMove(S::kCreated, S::kAttachPending));
  EXPECT_TRUE(canMove(S::kAttachPending, S::kConnecting));
  EXPECT_TRUE(canMove(S::kConnecting, S::kSending));
  EXPECT_TRUE(canMove(S::kSending, S::kReadingHead));
  EXPECT_TRUE(canMove(S::kReadingHead, S::kReadingBody));
  EXPECT_TRUE(canMove(S::kReadingBody, S::kDone));
  // A reused keep-alive connection is open already.
  EXPECT_TRUE(canMove(S::kAttachPending, S::kSending));
}

TEST(UpstreamCallStateTable, NoStepIsSkipped) {
  EXPECT_FALSE(canMove(S::kCreated, S::kConnecting));      // start() comes first
  EXPECT_FALSE(canMove(S::kConnecting, S::kReadingHead));  // no answer before our request
  EXPECT_FALSE(canMove(S::kSending, S::kReadingBody));     // no body without a head
}

TEST(UpstreamCallStateTable, OnlyTheResendGoesBack) {
  for (S from : kAll) {
    for (S to : kAll) {
      if (static_cast<int>(to) < static_cast<int>(from)) {
        EXPECT_EQ(canMove(from, to), from == S::kSending && to == S::kAttachPending)
            << stateName(from) << " -> " << stateName(to);
      }
    }
  }
}

TEST(UpstreamCallStateTable, NoResendOnceAResponseByteArrived) {
  EXPECT_FALSE(canMove(S::kReadingHead, S::kAttachPending));
  EXPECT_FALSE(canMove(S::kReadingBody, S::kAttachPending));
  EXPECT_FALSE(canMove(S::kConnecting, S::kAttachPending));  // a fresh connection is not stale
}

TEST(UpstreamCallStateTable, EveryStateCanEndAndDoneIsFinal) {
  for (S from : kAll) {
    EXPECT_EQ(canMove(from, S::kDone), from != S::kDone) << stateName(from);
    EXPECT_FALSE(canMove(S::kDone, from)) << stateName(from);
    EXPECT_FALSE(canMove(from, from)) << stateName(from);
  }
}

// A real call on the test loop, with the states it was seen in: after every loop turn and
// from inside the server's and the handler's callbacks (consecutive repeats dropped).
class UpstreamCallStates : public UpstreamTestBase {
 protected:
  void note() {
    if (call_ && (seen_.empty() || seen_.back() != call_->state())) {
      seen_.push_back(call_->state());
    }
  }
  void startCall(UpstreamRequest request) {
    handler_.on_headers = [this] { note(); };
    handler_.on_complete = [this] { note(); };
    handler_.on_error = [this] { note(); };
    call_ = std::make_unique<UpstreamCall>(*pool_, localOrigin(server_->port()), std::move(request),
                                           handler_);
    note();
    call_->start();
    note();
  }
  // A server that answers every request "ok", and a first request (/first) answered on a
  // connection the pool keeps idle for the next call.
  bool leaveAnIdleConnection() {
    makeServer([this](TestServerConn& c, const std::string&) {
      note();
      c.send(okResponse("ok"));
    });
    makePool();
    firstExchange_ = pool_->send(localOrigin(server_->port()), getRequest("/first"), first_);
    return runUntil([&] { return first_.completed; });
  }
  bool runUntilDone() {
    return runUntil([this] {
      note();
      return call_->state() == S::kDone;
    });
  }

  RecordingHandler first_;
  UpstreamExchangePtr firstExchange_;
  RecordingHandler handler_;
  std::unique_ptr<UpstreamCall> call_;
  std::vector<S> seen_;
};

TEST_F(UpstreamCallStates, FreshConnectionGoesThroughEveryState) {
  makeServer([this](TestServerConn& c, const std::string&) {
    note();                         // the request arrived, no answer yet: kSending
    c.send("HTTP/1.1 200 OK\r\n");  // part of a head
  });
  makePool();
  startCall(getRequest());
  ASSERT_TRUE(runUntil([this] {
    note();
    return call_->state() == S::kReadingHead;
  }));
  server_->conn(0).send("Content-Length: 2\r\n\r\nok");
  ASSERT_TRUE(runUntilDone());
  ASSERT_TRUE(handler_.completed) << handler_.error->detail;
  EXPECT_EQ(handler_.body(), "ok");
  EXPECT_EQ(seen_, (std::vector<S>{S::kCreated, S::kAttachPending, S::kConnecting, S::kSending,
                                   S::kReadingHead, S::kReadingBody, S::kDone}));
  EXPECT_EQ(call_->attempt(), UpstreamAttempt::kFresh);
}

TEST_F(UpstreamCallStates, ReusedConnectionIsSendingWithoutConnecting) {
  ASSERT_TRUE(leaveAnIdleConnection());
  ASSERT_EQ(pool_->idleConnections(), 1u);

  startCall(getRequest("/second"));
  ASSERT_TRUE(runUntilDone());
  ASSERT_TRUE(handler_.completed) << handler_.error->detail;
  // The head and the body came in one read: kReadingHead passed inside one callback.
  EXPECT_EQ(seen_, (std::vector<S>{S::kCreated, S::kAttachPending, S::kSending, S::kReadingBody,
                                   S::kDone}));
  EXPECT_EQ(call_->attempt(), UpstreamAttempt::kReused);
  EXPECT_EQ(server_->accepted(), 1);
}

TEST_F(UpstreamCallStates, StaleReusedConnectionIsResentOnceOnAFreshOne) {
  // As in UpstreamPoolTest.ReusedConnectionWhoseFirstWriteFailsIsResentOnAFreshOne: the
  // pooled socket's sending side is shut down, so the request's first write fails with
  // every byte still buffered.
  std::signal(SIGPIPE, SIG_IGN);
  ASSERT_TRUE(leaveAnIdleConnection());
  const int client_fd = connectedSocket(server_->port(), /*local=*/false);
  ASSERT_GE(client_fd, 0);
  ASSERT_EQ(shutdown(client_fd, SHUT_WR), 0);

  startCall(getRequest("/second"));
  ASSERT_TRUE(runUntilDone());
  ASSERT_TRUE(handler_.completed) << handler_.error->detail;
  EXPECT_EQ(call_->attempt(), UpstreamAttempt::kFreshAfterStale);
  // kSending on the reused connection, then (through kAttachPending again, which the next
  // kick leaves within the same loop turn) a fresh one: connecting comes only after it.
  std::vector<S> without_attach;
  std::copy_if(seen_.begin(), seen_.end(), std::back_inserter(without_attach),
               [](S s) { return s != S::kAttachPending; });
  EXPECT_EQ(without_attach, (std::vector<S>{S::kCreated, S::kSending, S::kConnecting, S::kSending,
                                            S::kReadingBody, S::kDone}))
      << ::testing::PrintToString(seen_);
  EXPECT_EQ(server_->accepted(), 2);
  EXPECT_EQ(server_->requests().size(), 2u);  // one copy of /second
}

TEST_F(UpstreamCallStates, CancelEndsEveryStateQuietly) {
  makeServer([](TestServerConn&, const std::string&) {});  // never answers
  makePool();
  {
    RecordingHandler h;
    UpstreamCall call(*pool_, localOrigin(server_->port()), getRequest(), h);
    call.cancel();  // before start()
    EXPECT_EQ(call.state(), S::kDone);
  }
  startCall(getRequest());
  ASSERT_TRUE(runUntil([this] { return server_->requests().size() == 1; }));
  EXPECT_EQ(call_->state(), S::kSending);
  call_->cancel();
  EXPECT_EQ(call_->state(), S::kDone);
  runFor(std::chrono::milliseconds(50));
  EXPECT_FALSE(handler_.ended());  // no callback after a cancel
  EXPECT_EQ(pool_->openConnections(), 0u);
}

TEST_F(UpstreamCallStates, FailureWhileSendingReportsNoResponse) {
  makeServer([this](TestServerConn& c, const std::string&) {
    note();
    c.closeNow();  // nothing of an answer
  });
  makePool();
  startCall(getRequest());
  ASSERT_TRUE(runUntilDone());
  ASSERT_TRUE(handler_.error);
  EXPECT_EQ(handler_.error->kind, UpstreamErrorKind::kClosed);
  EXPECT_FALSE(handler_.error->response_started);
  EXPECT_EQ(seen_.end()[-2], S::kSending) << ::testing::PrintToString(seen_);
}

TEST_F(UpstreamCallStates, FailureWhileReadingTheBodyReportsAStartedResponse) {
  makeServer([](TestServerConn& c, const std::string&) {
    c.send("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhalf");
    c.closeAfterFlush();  // truncated
  });
  makePool();
  startCall(getRequest());
  ASSERT_TRUE(runUntilDone());
  ASSERT_TRUE(handler_.error);
  EXPECT_EQ(handler_.error->kind, UpstreamErrorKind::kClosed);
  EXPECT_TRUE(handler_.error->response_started);
  EXPECT_EQ(seen_.end()[-2], S::kReadingBody) << ::testing::PrintToString(seen_);
}

}  // namespace
}  // namespace testing
}  // namespace slotgate::gateway
