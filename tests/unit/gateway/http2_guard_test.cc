// Pure pieces of the HTTP/2 front: preface sniffing and the rapid-reset rule.
#include <gtest/gtest.h>

#include "gateway/downstream/connection_sniffer.h"
#include "gateway/downstream/http2_reset_guard.h"

namespace slotgate::gateway {
namespace {

using namespace std::chrono_literals;

TEST(MatchPreface, DecidesAsSoonAsAByteDiffers) {
  EXPECT_EQ(matchPreface(""), PrefaceMatch::kNeedMore);
  EXPECT_EQ(matchPreface("P"), PrefaceMatch::kNeedMore);
  EXPECT_EQ(matchPreface("PRI * HTTP/2.0\r\n"), PrefaceMatch::kNeedMore);
  EXPECT_EQ(matchPreface("PO"), PrefaceMatch::kOther);
  EXPECT_EQ(matchPreface("GET / HTTP/1.1\r\n"), PrefaceMatch::kOther);
  EXPECT_EQ(matchPreface("PRI * HTTP/1.1\r\n"), PrefaceMatch::kOther);
  EXPECT_EQ(matchPreface(kHttp2Preface), PrefaceMatch::kHttp2);
  EXPECT_EQ(matchPreface(std::string(kHttp2Preface) + "\x00\x00\x12\x04"), PrefaceMatch::kHttp2);
  EXPECT_EQ(kHttp2Preface.size(), 24u);
}

TEST(Http2ResetGuard, FewStreamsNeverTrip) {
  Http2ResetGuard guard(100, 10s);
  const auto t = Http2ResetGuard::Clock::now();
  for (int i = 0; i < 99; ++i) {
    guard.onStreamOpened(t);
    EXPECT_FALSE(guard.onClientReset(t)) << i;  // every stream reset, but under 100 opened
  }
}

TEST(Http2ResetGuard, MoreThanHalfOfAHundredResetTrips) {
  Http2ResetGuard guard(100, 10s);
  const auto t = Http2ResetGuard::Clock::now();
  for (int i = 0; i < 100; ++i) {
    guard.onStreamOpened(t);
  }
  for (int i = 0; i < 50; ++i) {
    EXPECT_FALSE(guard.onClientReset(t)) << i;  // 50 of 100: exactly half is fine
  }
  EXPECT_TRUE(guard.onClientReset(t));  // 51 of 100
}

TEST(Http2ResetGuard, InterleavedOpenResetTripsAtTheHundredthStream) {
  Http2ResetGuard guard(100, 10s);
  const auto t = Http2ResetGuard::Clock::now();
  int tripped_at = -1;
  for (int i = 1; i <= 200 && tripped_at < 0; ++i) {
    guard.onStreamOpened(t);
    if (guard.onClientReset(t)) {
      tripped_at = i;
    }
  }
  EXPECT_EQ(tripped_at, 100);
}

TEST(Http2ResetGuard, CountsRestartAfterTheWindow) {
  Http2ResetGuard guard(100, 10s);
  auto t = Http2ResetGuard::Clock::now();
  for (int i = 0; i < 100; ++i) {
    guard.onStreamOpened(t);
  }
  for (int i = 0; i < 40; ++i) {
    EXPECT_FALSE(guard.onClientReset(t));
  }
  t += 11s;
  EXPECT_FALSE(guard.onClientReset(t));  // new window: 1 reset, 0 opened, under 100
  EXPECT_EQ(guard.opened(), 0u);
  EXPECT_EQ(guard.resets(), 1u);
}

TEST(Http2ResetGuard, NormalCancellationRateStaysUnder) {
  Http2ResetGuard guard(100, 10s);
  auto t = Http2ResetGuard::Clock::now();
  // 1000 streams over 20 s, one in five cancelled.
  for (int i = 0; i < 1000; ++i) {
    guard.onStreamOpened(t);
    if (i % 5 == 0) {
      EXPECT_FALSE(guard.onClientReset(t));
    }
    t += 20ms;
  }
}

}  // namespace
}  // namespace slotgate::gateway
