#include "gateway/admin/admin_request_guard.h"

#include <gtest/gtest.h>

namespace slotgate::gateway {
namespace {

TEST(AdminRequestGuard, OnlyLoopbackHostNamesPass) {
  for (const char* host :
       {"localhost", "localhost:9901", "LOCALHOST:9901", "127.0.0.1", "127.0.0.1:9901",
        "127.1.2.3:80", "[::1]", "[::1]:9901", " localhost "}) {
    EXPECT_TRUE(loopbackHostHeader(host)) << host;
  }
  for (const char* host :
       {"evil.example", "evil.example:9901", "localhost.evil.example", "127.0.0.1.evil.example",
        "10.0.0.1:9901", "[::2]:9901", "[::1", "[::1]x", "::1", "", ":9901"}) {
    EXPECT_FALSE(loopbackHostHeader(host)) << host;
  }
  EXPECT_TRUE(loopbackHostHeader(nullptr));  // no Host: not a browser
}

TEST(AdminRequestGuard, PlainClientPostsPass) {
  EXPECT_EQ(crossSitePostReason(nullptr, "127.0.0.1:9901", nullptr, nullptr), nullptr);
  EXPECT_EQ(crossSitePostReason(nullptr, "127.0.0.1:9901", nullptr, "application/json"), nullptr);
  // A same-origin page (the dashboard) sends its own origin.
  EXPECT_EQ(crossSitePostReason("http://127.0.0.1:9901", "127.0.0.1:9901", "same-origin",
                                "application/json; charset=utf-8"),
            nullptr);
  EXPECT_EQ(crossSitePostReason(nullptr, nullptr, "none", nullptr), nullptr);
}

TEST(AdminRequestGuard, CrossSiteAndFormPostsAreRefused) {
  EXPECT_NE(crossSitePostReason(nullptr, "127.0.0.1:9901", "cross-site", nullptr), nullptr);
  // Another port of localhost is same-site but another origin.
  EXPECT_NE(crossSitePostReason(nullptr, "127.0.0.1:9901", "same-site", nullptr), nullptr);
  EXPECT_NE(crossSitePostReason("http://evil.example", "127.0.0.1:9901", nullptr, nullptr),
            nullptr);
  EXPECT_NE(crossSitePostReason("http://127.0.0.1:8000", "127.0.0.1:9901", nullptr, nullptr),
            nullptr);
  EXPECT_NE(crossSitePostReason("null", "127.0.0.1:9901", nullptr, nullptr), nullptr);
  EXPECT_NE(crossSitePostReason("http://127.0.0.1:9901", nullptr, nullptr, nullptr), nullptr);
  for (const char* type : {"application/x-www-form-urlencoded", "multipart/form-data; boundary=x",
                           "TEXT/PLAIN", " text/plain ;charset=utf-8"}) {
    EXPECT_NE(crossSitePostReason(nullptr, "127.0.0.1:9901", nullptr, type), nullptr) << type;
  }
}

}  // namespace
}  // namespace slotgate::gateway
