#include "conf/digest.h"

#include <gtest/gtest.h>

namespace slotgate::conf {
namespace {

TEST(Digest, Sha256OfKnownValues) {
  EXPECT_EQ(sha256Hex(sha256Of("")),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256Hex(sha256Of("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Digest, ParsesHexInEitherCase) {
  auto lower = parseSha256Hex("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  auto upper = parseSha256Hex("BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD");
  ASSERT_TRUE(lower);
  ASSERT_TRUE(upper);
  EXPECT_EQ(*lower, sha256Of("abc"));
  EXPECT_EQ(*upper, sha256Of("abc"));
}

TEST(Digest, RejectsWrongLengthOrDigits) {
  EXPECT_FALSE(parseSha256Hex(""));
  EXPECT_FALSE(parseSha256Hex("ba7816bf"));
  EXPECT_FALSE(
      parseSha256Hex("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad00"));
  EXPECT_FALSE(parseSha256Hex("za7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
}

}  // namespace
}  // namespace slotgate::conf
