#include "gateway/downstream/http2_stream_ids.h"

#include <gtest/gtest.h>

namespace slotgate::gateway {
namespace {

TEST(Http2StreamIds, NewStreamsMustGrow) {
  Http2StreamIds ids;
  EXPECT_TRUE(ids.onHeadersFrame(1, false));
  EXPECT_TRUE(ids.onHeadersFrame(5, false));  // skipping 3 is allowed; 3 is closed now
  EXPECT_EQ(ids.highest(), 5);
  EXPECT_FALSE(ids.onHeadersFrame(3, false));  // never opened, lower than 5
  EXPECT_FALSE(ids.onHeadersFrame(1, false));  // opened, closed and forgotten
  EXPECT_FALSE(ids.onHeadersFrame(5, false));  // the highest itself, closed
  EXPECT_TRUE(ids.onHeadersFrame(7, false));
}

TEST(Http2StreamIds, OpenStreamsTakeTrailers) {
  Http2StreamIds ids;
  EXPECT_TRUE(ids.onHeadersFrame(1, false));
  EXPECT_TRUE(ids.onHeadersFrame(3, false));
  EXPECT_TRUE(ids.onHeadersFrame(1, true));
}

TEST(Http2StreamIds, RecentResetsAreForgiven) {
  Http2StreamIds ids;
  for (int32_t id = 1; id <= 201; id += 2) {
    ASSERT_TRUE(ids.onHeadersFrame(id, false));
    ids.onResetSent(id);
  }
  EXPECT_TRUE(ids.onHeadersFrame(201, false));
  EXPECT_TRUE(ids.onHeadersFrame(201 - 2 * 63, false));   // the 64th most recent
  EXPECT_FALSE(ids.onHeadersFrame(201 - 2 * 64, false));  // long ago
}

TEST(Http2StreamIds, EvenAndZeroAreLeftToNghttp2) {
  Http2StreamIds ids;
  EXPECT_TRUE(ids.onHeadersFrame(5, false));
  EXPECT_TRUE(ids.onHeadersFrame(2, false));
  EXPECT_TRUE(ids.onHeadersFrame(0, false));
  EXPECT_EQ(ids.highest(), 5);
}

TEST(Http2StreamIds, TheUpgradeStreamCounts) {
  Http2StreamIds ids;
  ids.onUpgradeStream(1);
  EXPECT_FALSE(ids.onHeadersFrame(1, false));
  EXPECT_TRUE(ids.onHeadersFrame(1, true));
  EXPECT_TRUE(ids.onHeadersFrame(3, false));
}

}  // namespace
}  // namespace slotgate::gateway
