#include "conf/duration.h"

#include <gtest/gtest.h>

namespace slotgate::conf {
namespace {

using std::chrono::milliseconds;

TEST(ParseDuration, AcceptsUnits) {
  EXPECT_EQ(parseDuration("250ms"), milliseconds(250));
  EXPECT_EQ(parseDuration("30s"), milliseconds(30'000));
  EXPECT_EQ(parseDuration("5m"), milliseconds(300'000));
  EXPECT_EQ(parseDuration("2h"), milliseconds(7'200'000));
  EXPECT_EQ(parseDuration("0s"), milliseconds(0));
  EXPECT_EQ(parseDuration("1m30s"), milliseconds(90'000));
  EXPECT_EQ(parseDuration("1.5s"), milliseconds(1500));
  EXPECT_EQ(parseDuration(" 10s "), milliseconds(10'000));
}

TEST(ParseDuration, RejectsMissingOrUnknownUnits) {
  EXPECT_FALSE(parseDuration("30"));
  EXPECT_FALSE(parseDuration("0"));
  EXPECT_FALSE(parseDuration(""));
  EXPECT_FALSE(parseDuration("s"));
  EXPECT_FALSE(parseDuration("10d"));
  EXPECT_FALSE(parseDuration("10 s"));
  EXPECT_FALSE(parseDuration("-5s"));
  EXPECT_FALSE(parseDuration("5sec"));
  EXPECT_FALSE(parseDuration("1e3s"));
  EXPECT_FALSE(parseDuration("99999999999999999999h"));
}

TEST(ParseSize, AcceptsBytesAndBinaryUnits) {
  EXPECT_EQ(parseSize("65536"), 65536u);
  EXPECT_EQ(parseSize("0"), 0u);
  EXPECT_EQ(parseSize("512B"), 512u);
  EXPECT_EQ(parseSize("64KiB"), 65536u);
  EXPECT_EQ(parseSize("10MiB"), 10u << 20);
  EXPECT_EQ(parseSize("2GiB"), 2ull << 30);
  EXPECT_EQ(parseSize("10 MiB"), 10u << 20);
}

TEST(ParseSize, RejectsOtherForms) {
  EXPECT_FALSE(parseSize("10MB"));
  EXPECT_FALSE(parseSize("10kib"));
  EXPECT_FALSE(parseSize("1.5MiB"));
  EXPECT_FALSE(parseSize("-1"));
  EXPECT_FALSE(parseSize("MiB"));
  EXPECT_FALSE(parseSize(""));
  EXPECT_FALSE(parseSize("99999999999999999999"));
  EXPECT_FALSE(parseSize("17179869184GiB"));  // overflows 64 bits
}

TEST(FormatDuration, UsesLargestExactUnit) {
  EXPECT_EQ(formatDuration(milliseconds(0)), "0s");
  EXPECT_EQ(formatDuration(milliseconds(250)), "250ms");
  EXPECT_EQ(formatDuration(milliseconds(1500)), "1500ms");
  EXPECT_EQ(formatDuration(milliseconds(30'000)), "30s");
  EXPECT_EQ(formatDuration(milliseconds(300'000)), "5m");
  EXPECT_EQ(formatDuration(milliseconds(7'200'000)), "2h");
}

TEST(FormatSize, UsesLargestExactUnit) {
  EXPECT_EQ(formatSize(0), "0");
  EXPECT_EQ(formatSize(1000), "1000");
  EXPECT_EQ(formatSize(65536), "64KiB");
  EXPECT_EQ(formatSize(10u << 20), "10MiB");
  EXPECT_EQ(formatSize(3ull << 30), "3GiB");
}

}  // namespace
}  // namespace slotgate::conf
