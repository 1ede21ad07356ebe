#include "gateway/head_scanner.h"

#include <gtest/gtest.h>

#include <string>

namespace slotgate::gateway {
namespace {

HeadVerdict scanAll(std::string_view data, size_t max_bytes = 1024, size_t max_fields = 100) {
  HeadScanner s(max_bytes, max_fields);
  return s.scan(data);
}

TEST(HeadScanner, AcceptsCompleteHeadAndReportsLength) {
  std::string head = "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n";
  HeadScanner s(1024, 100);
  EXPECT_EQ(s.scan(head + "{}"), HeadVerdict::kOk);
  EXPECT_EQ(s.headLength(), head.size());
}

TEST(HeadScanner, IncrementalByteByByteMatchesWhole) {
  std::string head = "\r\nGET / HTTP/1.1\r\nA: b\r\nC: d\r\n\r\n";
  HeadScanner s(1024, 100);
  for (size_t n = 1; n < head.size(); ++n) {
    ASSERT_EQ(s.scan(std::string_view(head).substr(0, n)), HeadVerdict::kIncomplete) << n;
  }
  EXPECT_EQ(s.scan(head), HeadVerdict::kOk);
  EXPECT_EQ(s.headLength(), head.size());
}

TEST(HeadScanner, RefusesBareLf) {
  EXPECT_EQ(scanAll("GET / HTTP/1.1\nHost: x\r\n\r\n"), HeadVerdict::kBareLf);
  EXPECT_EQ(scanAll("GET / HTTP/1.1\r\nHost: x\n\n"), HeadVerdict::kBareLf);
  EXPECT_EQ(scanAll("\nGET / HTTP/1.1\r\n\r\n"), HeadVerdict::kBareLf);
}

TEST(HeadScanner, RefusesObsFold) {
  EXPECT_EQ(scanAll("GET / HTTP/1.1\r\nX-A: 1\r\n  continued\r\n\r\n"), HeadVerdict::kObsFold);
  EXPECT_EQ(scanAll("GET / HTTP/1.1\r\nX-A: 1\r\n\tcontinued\r\n\r\n"), HeadVerdict::kObsFold);
}

TEST(HeadScanner, LimitsFieldCountAndSize) {
  std::string head = "GET / HTTP/1.1\r\n";
  for (int i = 0; i < 101; ++i) {
    head += "X-" + std::to_string(i) + ": v\r\n";
  }
  head += "\r\n";
  EXPECT_EQ(scanAll(head, 1 << 20, 100), HeadVerdict::kTooManyFields);
  EXPECT_EQ(scanAll(head, 100, 1000), HeadVerdict::kTooLarge);
  // Exactly 100 fields is fine.
  std::string ok = "GET / HTTP/1.1\r\n";
  for (int i = 0; i < 100; ++i) {
    ok += "X-" + std::to_string(i) + ": v\r\n";
  }
  ok += "\r\n";
  EXPECT_EQ(scanAll(ok, 1 << 20, 100), HeadVerdict::kOk);
}

TEST(HeadScanner, ResetStartsANewRequest) {
  HeadScanner s(1024, 100);
  EXPECT_EQ(s.scan("GET / HTTP/1.1\r\n\r\n"), HeadVerdict::kOk);
  s.reset();
  const std::string second = "GET /a HTTP/1.1\r\nA: b\r\n\r\n";
  EXPECT_EQ(s.scan(second), HeadVerdict::kOk);
  EXPECT_EQ(s.headLength(), second.size());
}

}  // namespace
}  // namespace slotgate::gateway
