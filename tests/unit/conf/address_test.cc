#include "conf/address.h"

#include <gtest/gtest.h>

namespace slotgate::conf {
namespace {

TEST(ParseHostPort, AcceptsIpv4Ipv6AndNames) {
  std::string err;
  auto a = parseHostPort("127.0.0.1:8080", err);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->host, "127.0.0.1");
  EXPECT_EQ(a->port, 8080);
  auto b = parseHostPort("[::1]:0", err);
  ASSERT_TRUE(b);
  EXPECT_EQ(b->host, "::1");
  EXPECT_EQ(b->port, 0);
  auto c = parseHostPort("localhost:65535", err);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->host, "localhost");
  EXPECT_EQ(c->port, 65535);
}

TEST(ParseHostPort, RejectsMalformed) {
  std::string err;
  EXPECT_FALSE(parseHostPort("127.0.0.1", err));
  EXPECT_EQ(err, "missing port (expected host:port, e.g. 127.0.0.1:8080 or [::1]:8080)");
  EXPECT_FALSE(parseHostPort("127.0.0.1:65536", err));
  EXPECT_EQ(err, "port must be an integer from 0 to 65535");
  EXPECT_FALSE(parseHostPort("::1:80", err));
  EXPECT_FALSE(parseHostPort(":8080", err));
  EXPECT_FALSE(parseHostPort("[zz]:80", err));
  EXPECT_FALSE(parseHostPort("host:port", err));
  EXPECT_FALSE(parseHostPort("a b:80", err));
}

TEST(IsLoopbackHost, RecognisesLoopbackOnly) {
  EXPECT_TRUE(isLoopbackHost("127.0.0.1"));
  EXPECT_TRUE(isLoopbackHost("127.1.2.3"));
  EXPECT_TRUE(isLoopbackHost("::1"));
  EXPECT_TRUE(isLoopbackHost("::ffff:127.0.0.1"));
  EXPECT_TRUE(isLoopbackHost("localhost"));
  EXPECT_FALSE(isLoopbackHost("0.0.0.0"));
  EXPECT_FALSE(isLoopbackHost("10.0.0.1"));
  EXPECT_FALSE(isLoopbackHost("::"));
  EXPECT_FALSE(isLoopbackHost("example.com"));
}

TEST(ParseUpstreamUrl, DefaultsAndHostHeader) {
  std::string err;
  auto a = parseUpstreamUrl("https://api.openai.com", err);
  ASSERT_TRUE(a);
  EXPECT_TRUE(a->tls);
  EXPECT_EQ(a->host, "api.openai.com");
  EXPECT_EQ(a->port, 443);
  EXPECT_EQ(a->path_prefix, "");
  EXPECT_EQ(a->host_header, "api.openai.com");

  auto b = parseUpstreamUrl("http://127.0.0.1:9911/proxy/v0/", err);
  ASSERT_TRUE(b);
  EXPECT_FALSE(b->tls);
  EXPECT_EQ(b->port, 9911);
  EXPECT_EQ(b->path_prefix, "/proxy/v0");
  EXPECT_EQ(b->host_header, "127.0.0.1:9911");

  auto c = parseUpstreamUrl("http://[::1]:8000/", err);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->host, "::1");
  EXPECT_EQ(c->host_header, "[::1]:8000");
  EXPECT_EQ(c->path_prefix, "");

  auto d = parseUpstreamUrl("https://[2001:db8::1]:443", err);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->host_header, "[2001:db8::1]");

  auto e = parseUpstreamUrl("HTTP://example.com:80", err);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->host_header, "example.com");
}

TEST(ParseUpstreamUrl, RejectsMalformed) {
  std::string err;
  EXPECT_FALSE(parseUpstreamUrl("ftp://x", err));
  EXPECT_EQ(err, "must start with http:// or https://");
  EXPECT_FALSE(parseUpstreamUrl("api.openai.com", err));
  EXPECT_FALSE(parseUpstreamUrl("https://", err));
  EXPECT_FALSE(parseUpstreamUrl("https://user:pw@host", err));
  EXPECT_EQ(err, "must not contain credentials (use secret_env)");
  EXPECT_FALSE(parseUpstreamUrl("https://host?x=1", err));
  EXPECT_FALSE(parseUpstreamUrl("https://host:0", err));
  EXPECT_FALSE(parseUpstreamUrl("https://host:", err));
}

TEST(ParseRedisUrl, PartsAndDefaults) {
  std::string err;
  auto a = parseRedisUrl("redis://10.0.0.5:6380/2", err);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->host, "10.0.0.5");
  EXPECT_EQ(a->port, 6380);
  EXPECT_EQ(a->db, 2);
  auto b = parseRedisUrl("redis://cache", err);
  ASSERT_TRUE(b);
  EXPECT_EQ(b->port, 6379);
  EXPECT_EQ(b->db, 0);
  EXPECT_FALSE(parseRedisUrl("http://cache", err));
  EXPECT_FALSE(parseRedisUrl("redis://cache/x", err));
  EXPECT_FALSE(parseRedisUrl("redis://:hunter2@cache", err));
  EXPECT_EQ(err.find("hunter2"), std::string::npos);
}

}  // namespace
}  // namespace slotgate::conf
