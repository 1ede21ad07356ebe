#include "gateway/proxy/attempt_verdict.h"

#include <gtest/gtest.h>

#include <string>

#include "gateway/proxy/api_error.h"

namespace slotgate::gateway {
namespace {

using metrics::ErrorType;
using routing::AttemptFailure;
using routing::RetryState;

// Every kind the upstream client reports: each test below walks all of them.
constexpr UpstreamErrorKind kAllKinds[] = {
    UpstreamErrorKind::kConnect,  UpstreamErrorKind::kTls,    UpstreamErrorKind::kTimeout,
    UpstreamErrorKind::kProtocol, UpstreamErrorKind::kClosed, UpstreamErrorKind::kLocal,
};

bool retriable(const AttemptVerdict& v) { return v.retry && RetryState::retriable(*v.retry); }

TEST(AttemptVerdict, ABrokenConnectionBeforeTheHeadIsAFailureRetriedElsewhereOr502) {
  for (const auto kind : {UpstreamErrorKind::kConnect, UpstreamErrorKind::kTls,
                          UpstreamErrorKind::kProtocol, UpstreamErrorKind::kClosed}) {
    const AttemptVerdict v = verdictOnError(kind, /*response_started=*/false);
    SCOPED_TRACE(std::string(upstreamErrorKindName(kind)));
    EXPECT_EQ(v.breaker, BreakerVerdict::kFailure);
    ASSERT_TRUE(v.retry.has_value());
    EXPECT_EQ(*v.retry, AttemptFailure::kConnection);
    EXPECT_TRUE(retriable(v));
    EXPECT_FALSE(v.timeout);
    ASSERT_TRUE(v.error.has_value());
    EXPECT_EQ(*v.error, ErrorType::kUpstreamError);
    EXPECT_EQ(errorTypeStatus(*v.error), 502);
    EXPECT_EQ(v.retry_after_s, 0);
  }
}

TEST(AttemptVerdict, ATimeoutIsAFailureCountedAsTimeoutNeverRetried504) {
  const AttemptVerdict v = verdictOnError(UpstreamErrorKind::kTimeout, false);
  EXPECT_EQ(v.breaker, BreakerVerdict::kFailure);
  EXPECT_TRUE(v.timeout);
  ASSERT_TRUE(v.retry.has_value());
  EXPECT_EQ(*v.retry, AttemptFailure::kTimeout);
  EXPECT_FALSE(retriable(v));  // a retry would stretch the wait the client was promised
  ASSERT_TRUE(v.error.has_value());
  EXPECT_EQ(*v.error, ErrorType::kUpstreamTimeout);
  EXPECT_EQ(errorTypeStatus(*v.error), 504);
  EXPECT_EQ(v.retry_after_s, 0);
}

TEST(AttemptVerdict, ALocalShortageIsNotTheProvidersFaultAndAnswers503WithRetryAfter) {
  const AttemptVerdict v = verdictOnError(UpstreamErrorKind::kLocal, false);
  EXPECT_EQ(v.breaker, BreakerVerdict::kNeutral);  // no circuit opens for our descriptors
  EXPECT_FALSE(v.timeout);
  ASSERT_TRUE(v.retry.has_value());
  EXPECT_EQ(*v.retry, AttemptFailure::kLocal);
  EXPECT_FALSE(retriable(v));  // any other target would meet the same shortage
  ASSERT_TRUE(v.error.has_value());
  EXPECT_EQ(*v.error, ErrorType::kNoUpstreamAvailable);
  EXPECT_EQ(errorTypeStatus(*v.error), 503);
  EXPECT_EQ(v.retry_after_s, 1);
}

TEST(AttemptVerdict, AfterTheHeadWentOutNothingIsRetriedAndTheStreamEndsAsAnError) {
  for (const auto kind : kAllKinds) {
    const AttemptVerdict before = verdictOnError(kind, false);
    const AttemptVerdict after = verdictOnError(kind, /*response_started=*/true);
    SCOPED_TRACE(std::string(upstreamErrorKindName(kind)));
    EXPECT_FALSE(after.retry.has_value());
    EXPECT_EQ(after.breaker, before.breaker);  // the provider's fault or not, either way
    EXPECT_EQ(after.timeout, before.timeout);
    ASSERT_TRUE(after.error.has_value());
    EXPECT_EQ(*after.error, kind == UpstreamErrorKind::kTimeout ? ErrorType::kUpstreamTimeout
                                                                : ErrorType::kUpstreamError);
    EXPECT_EQ(after.retry_after_s, 0);  // no answer of slotgate's own follows
  }
}

TEST(AttemptVerdict, OnlyATimeoutCountsAsOne) {
  for (const auto kind : kAllKinds) {
    for (const bool started : {false, true}) {
      EXPECT_EQ(verdictOnError(kind, started).timeout, kind == UpstreamErrorKind::kTimeout)
          << upstreamErrorKindName(kind) << (started ? " (started)" : "");
    }
  }
}

TEST(AttemptVerdict, StatusesOf5xxAnd429AreFailuresWorthARetryThatPassThroughOtherwise) {
  for (const int status : {429, 500, 502, 503, 504, 599}) {
    const AttemptVerdict v = verdictOnStatus(status);
    EXPECT_EQ(v.breaker, BreakerVerdict::kFailure) << status;
    ASSERT_TRUE(v.retry.has_value()) << status;
    EXPECT_EQ(*v.retry, AttemptFailure::kRetriableStatus) << status;
    EXPECT_TRUE(retriable(v)) << status;
    EXPECT_FALSE(v.error.has_value()) << status;  // the provider's answer when none is left
    EXPECT_FALSE(v.timeout) << status;
  }
}

TEST(AttemptVerdict, Other4xxAreNeutralAnd2xx3xxWaitForTheBody) {
  for (const int status : {400, 401, 403, 404, 413, 422, 499}) {
    const AttemptVerdict v = verdictOnStatus(status);
    EXPECT_EQ(v.breaker, BreakerVerdict::kNeutral) << status;
    EXPECT_FALSE(v.retry.has_value()) << status;
    EXPECT_FALSE(v.error.has_value()) << status;
  }
  for (const int status : {200, 201, 204, 301, 304}) {
    const AttemptVerdict v = verdictOnStatus(status);
    EXPECT_EQ(v.breaker, BreakerVerdict::kNone) << status;
    EXPECT_FALSE(v.retry.has_value()) << status;
    EXPECT_FALSE(v.error.has_value()) << status;
  }
}

TEST(AttemptVerdict, TheMessageNamesTheProviderAndTheKindNeverMore) {
  EXPECT_EQ(upstreamFailureMessage(UpstreamErrorKind::kTimeout, "openai-main"),
            "provider 'openai-main' did not answer within request_timeout");
  EXPECT_EQ(upstreamFailureMessage(UpstreamErrorKind::kConnect, "openai-main"),
            "provider 'openai-main' failed: connect");
  EXPECT_EQ(upstreamFailureMessage(UpstreamErrorKind::kTls, "p"), "provider 'p' failed: tls");
  EXPECT_EQ(upstreamFailureMessage(UpstreamErrorKind::kProtocol, "p"),
            "provider 'p' failed: protocol");
  EXPECT_EQ(upstreamFailureMessage(UpstreamErrorKind::kClosed, "p"), "provider 'p' failed: closed");
  const std::string local = upstreamFailureMessage(UpstreamErrorKind::kLocal, "p");
  EXPECT_NE(local.find("out of local resources"), std::string::npos) << local;
  EXPECT_EQ(local.find("'p'"), std::string::npos) << local;  // the provider was not contacted
}

}  // namespace
}  // namespace slotgate::gateway
