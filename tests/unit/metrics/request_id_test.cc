// RequestId: a request id held in a fixed array (no allocation per copy).
#include "metrics/request_id.h"

#include <gtest/gtest.h>

#include <sstream>
#include <string>

namespace slotgate::metrics {
namespace {

TEST(RequestId, HoldsAnIdOfUpToItsMaximumAsItIs) {
  const std::string generated = "req_0123456789abcdef0123456789abcdef";  // 36: past SSO
  RequestId id(generated);
  EXPECT_EQ(id.view(), generated);
  EXPECT_EQ(id.size(), 36u);
  const std::string longest(RequestId::kMaxSize, 'x');
  id = longest;
  EXPECT_EQ(id.view(), longest);
  EXPECT_TRUE(RequestId().empty());
  EXPECT_EQ(RequestId().view(), "");
}

TEST(RequestId, ALongerIdIsCutAtTheMaximum) {
  const std::string too_long(RequestId::kMaxSize + 10, 'y');
  const RequestId id(too_long);
  EXPECT_EQ(id.size(), RequestId::kMaxSize);
  EXPECT_EQ(id.view(), too_long.substr(0, RequestId::kMaxSize));
}

TEST(RequestId, CopiesAreEqualAndIndependent) {
  RequestId a("req-a");
  RequestId b = a;
  EXPECT_EQ(a, b);
  b = "req-bb";
  EXPECT_EQ(a, "req-a");
  EXPECT_EQ(b, "req-bb");
  a = b;
  EXPECT_EQ(a.view(), "req-bb");
  const RequestId& same = a;
  a = same;  // assigned onto itself: the id stays
  EXPECT_EQ(a.view(), "req-bb");
}

TEST(RequestId, OrdersAndPrintsAsItsText) {
  EXPECT_LT(RequestId("a"), RequestId("b"));
  EXPECT_LT(RequestId("a"), RequestId("aa"));
  EXPECT_FALSE(RequestId("b") < RequestId("a"));
  std::ostringstream out;
  out << RequestId("req-1");
  EXPECT_EQ(out.str(), "req-1");
  EXPECT_EQ(RequestId("req-2").str(), std::string("req-2"));
}

}  // namespace
}  // namespace slotgate::metrics
