#include "gateway/downstream/h2c_upgrade.h"

#include <gtest/gtest.h>

#include <string>

#include "gateway/downstream/ascii.h"

namespace slotgate::gateway {
namespace {

// One SETTINGS entry: 16-bit identifier, 32-bit value, network order.
std::string entry(uint16_t id, uint32_t value) {
  return {static_cast<char>(id >> 8),     static_cast<char>(id),
          static_cast<char>(value >> 24), static_cast<char>(value >> 16),
          static_cast<char>(value >> 8),  static_cast<char>(value)};
}

// What curl 7.88 sends: MAX_CONCURRENT_STREAMS 100, INITIAL_WINDOW_SIZE 32 MiB, ENABLE_PUSH 0.
constexpr char kCurlSettings[] = "AAMAAABkAAQCAAAAAAIAAAAA";

Headers upgradeHeaders(std::string settings = kCurlSettings) {
  return {{"host", "127.0.0.1"},
          {"connection", "Upgrade, HTTP2-Settings"},
          {"upgrade", "h2c"},
          {"http2-settings", std::move(settings)},
          {"content-type", "application/json"}};
}

TEST(Base64Url, DecodesTheUrlAlphabetWithAndWithoutPadding) {
  EXPECT_EQ(decodeBase64Url(""), "");
  EXPECT_EQ(decodeBase64Url("Zg"), "f");
  EXPECT_EQ(decodeBase64Url("Zg=="), "f");
  EXPECT_EQ(decodeBase64Url("Zm8"), "fo");
  EXPECT_EQ(decodeBase64Url("Zm8="), "fo");
  EXPECT_EQ(decodeBase64Url("Zm9v"), "foo");
  EXPECT_EQ(decodeBase64Url("Zm9vYmFy"), "foobar");
  // '-' and '_' stand for 62 and 63.
  EXPECT_EQ(decodeBase64Url("-_8"), std::string("\xfb\xff", 2));
  EXPECT_EQ(decodeBase64Url(kCurlSettings), entry(0x3, 100) + entry(0x4, 32 << 20) + entry(0x2, 0));
}

TEST(Base64Url, RefusesOtherAlphabetsAndImpossibleLengths) {
  EXPECT_FALSE(decodeBase64Url("+/8").has_value());  // plain base64, not base64url
  EXPECT_FALSE(decodeBase64Url("Zm9v YmFy").has_value());
  EXPECT_FALSE(decodeBase64Url("Zm9vY").has_value());  // 6 bits cannot end a byte
  EXPECT_FALSE(decodeBase64Url("Zg=").has_value());    // padding that completes nothing
  EXPECT_FALSE(decodeBase64Url("Z===").has_value());
  EXPECT_FALSE(decodeBase64Url("Zm=v").has_value());
  EXPECT_FALSE(decodeBase64Url("Zm9v!").has_value());
}

TEST(SettingsPayload, AcceptsWholeEntriesInRangeAndIgnoresUnknownIds) {
  EXPECT_TRUE(validSettingsPayload(""));
  EXPECT_TRUE(validSettingsPayload(entry(0x3, 100) + entry(0x4, (1u << 31) - 1)));
  EXPECT_TRUE(validSettingsPayload(entry(0x5, 16384) + entry(0x5, (1u << 24) - 1)));
  EXPECT_TRUE(validSettingsPayload(entry(0x2, 1) + entry(0x8, 1) + entry(0x9, 0)));
  EXPECT_TRUE(validSettingsPayload(entry(0xabcd, 0xffffffff)));
}

TEST(SettingsPayload, RefusesPartialEntriesAndValuesOutOfRange) {
  EXPECT_FALSE(validSettingsPayload(entry(0x3, 100).substr(0, 5)));
  EXPECT_FALSE(validSettingsPayload(entry(0x3, 100) + "x"));
  EXPECT_FALSE(validSettingsPayload(entry(0x2, 2)));         // ENABLE_PUSH is 0 or 1
  EXPECT_FALSE(validSettingsPayload(entry(0x4, 1u << 31)));  // window above 2^31-1
  EXPECT_FALSE(validSettingsPayload(entry(0x5, 16383)));     // frame size below 2^14
  EXPECT_FALSE(validSettingsPayload(entry(0x5, 1u << 24)));  // frame size above 2^24-1
  EXPECT_FALSE(validSettingsPayload(entry(0x8, 2)));         // ENABLE_CONNECT_PROTOCOL
  EXPECT_FALSE(validSettingsPayload(entry(0x9, 7)));         // NO_RFC7540_PRIORITIES
}

TEST(TokenList, MatchesWholeTokensCaseInsensitivelyWithWhitespace) {
  EXPECT_TRUE(listHasToken("h2c", "h2c"));
  EXPECT_TRUE(listHasToken("websocket, H2C", "h2c"));
  EXPECT_TRUE(listHasToken(" keep-alive ,\tUpgrade\t, HTTP2-Settings", "upgrade"));
  EXPECT_TRUE(listHasToken(" keep-alive ,\tUpgrade\t, HTTP2-Settings", "http2-settings"));
  EXPECT_FALSE(listHasToken("h2", "h2c"));
  EXPECT_FALSE(listHasToken("h2c2, xh2c", "h2c"));
  EXPECT_FALSE(listHasToken("", "h2c"));
}

TEST(H2cUpgradeSettings, AcceptsWhatCurlSends) {
  const auto settings = h2cUpgradeSettings(upgradeHeaders());
  ASSERT_TRUE(settings.has_value());
  EXPECT_EQ(*settings, entry(0x3, 100) + entry(0x4, 32 << 20) + entry(0x2, 0));
}

TEST(H2cUpgradeSettings, AcceptsTokensInListsAndSplitFields) {
  Headers h = {{"upgrade", "foo/2, H2C"},
               {"connection", "keep-alive, upgrade"},
               {"connection", "http2-settings"},
               {"http2-settings", " AAMAAABk "}};
  const auto settings = h2cUpgradeSettings(h);
  ASSERT_TRUE(settings.has_value());
  EXPECT_EQ(*settings, entry(0x3, 100));
}

TEST(H2cUpgradeSettings, RefusesWhatDoesNotQualify) {
  // No upgrade asked, or another protocol.
  EXPECT_FALSE(h2cUpgradeSettings({{"host", "x"}}).has_value());
  Headers h = upgradeHeaders();
  h[2].value = "websocket";
  EXPECT_FALSE(h2cUpgradeSettings(h).has_value());
  h = upgradeHeaders();
  h[2].value = "h2";  // h2 is TLS only
  EXPECT_FALSE(h2cUpgradeSettings(h).has_value());
  // Connection must name both Upgrade and HTTP2-Settings.
  h = upgradeHeaders();
  h[1].value = "Upgrade";
  EXPECT_FALSE(h2cUpgradeSettings(h).has_value());
  h = upgradeHeaders();
  h[1].value = "HTTP2-Settings";
  EXPECT_FALSE(h2cUpgradeSettings(h).has_value());
  h = upgradeHeaders();
  h.erase(h.begin() + 1);
  EXPECT_FALSE(h2cUpgradeSettings(h).has_value());
}

TEST(H2cUpgradeSettings, RefusesMissingDuplicateOrBadSettings) {
  Headers h = upgradeHeaders();
  h.erase(h.begin() + 3);
  EXPECT_FALSE(h2cUpgradeSettings(h).has_value()) << "missing";
  h = upgradeHeaders();
  h.push_back({"http2-settings", kCurlSettings});
  EXPECT_FALSE(h2cUpgradeSettings(h).has_value()) << "duplicate";
  EXPECT_FALSE(h2cUpgradeSettings(upgradeHeaders("")).has_value()) << "empty";
  EXPECT_FALSE(h2cUpgradeSettings(upgradeHeaders("not base64!")).has_value());
  EXPECT_FALSE(h2cUpgradeSettings(upgradeHeaders("AAMAAAB")).has_value()) << "5 bytes";
  // Decodes fine, but ENABLE_PUSH = 2 is a connection error in a SETTINGS frame.
  EXPECT_FALSE(h2cUpgradeSettings(upgradeHeaders("AAIAAAAC")).has_value());
}

TEST(StripUpgradeHopHeaders, KeepsOnlyEndToEndFields) {
  Headers h = upgradeHeaders();
  h[1].value = "Upgrade, HTTP2-Settings, X-Hop";
  h.push_back({"x-hop", "1"});
  h.push_back({"keep-alive", "timeout=5"});
  h.push_back({"transfer-encoding", "chunked"});
  h.push_back({"authorization", "Bearer k"});
  stripUpgradeHopHeaders(h);
  ASSERT_EQ(h.size(), 3u);
  EXPECT_EQ(h[0].name, "host");
  EXPECT_EQ(h[1].name, "content-type");
  EXPECT_EQ(h[2].name, "authorization");
}

}  // namespace
}  // namespace slotgate::gateway
