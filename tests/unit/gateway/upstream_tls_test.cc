// https upstreams against a local TLS test server whose self-signed certificate is
// generated with the openssl CLI and trusted through SSL_CERT_FILE.
#include <gtest/gtest.h>
#include <openssl/ssl.h>
#include <stdlib.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <string>

#include "gateway/upstream/tls_client_context.h"
#include "gateway/upstream/upstream_pool.h"
#include "upstream_test_util.h"

namespace slotgate::gateway::testing {
namespace {

std::string g_dir;

bool makeCert(const std::string& name) {
  const std::string cmd =
      "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 "
      "-nodes -days 2 -subj /CN=localhost -addext "
      "subjectAltName=DNS:localhost -keyout " +
      g_dir + "/" + name + ".key -out " + g_dir + "/" + name + ".pem >/dev/null 2>&1";
  return std::system(cmd.c_str()) == 0;
}

class UpstreamTlsTest : public UpstreamTestBase {
 protected:
  static void SetUpTestSuite() {
    char tmpl[] = "/tmp/upstream-tls-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    g_dir = tmpl;
    ASSERT_TRUE(makeCert("trusted"));
    ASSERT_TRUE(makeCert("untrusted"));
  }
  static void TearDownTestSuite() { std::system(("rm -rf " + g_dir).c_str()); }

  void SetUp() override {
    // Only our test certificate is trusted; set before the context is created.
    setenv("SSL_CERT_FILE", (g_dir + "/trusted.pem").c_str(), 1);
    setenv("SSL_CERT_DIR", g_dir.c_str(), 1);
    std::string error;
    client_ctx_ = makeTlsClientContext(&error);
    ASSERT_TRUE(client_ctx_) << error;
    makePool(client_ctx_.get());
  }

  SslCtxPtr serverContext(const std::string& name) {
    SslCtxPtr ctx(SSL_CTX_new(TLS_server_method()));
    EXPECT_EQ(SSL_CTX_use_certificate_chain_file(ctx.get(), (g_dir + "/" + name + ".pem").c_str()),
              1);
    EXPECT_EQ(SSL_CTX_use_PrivateKey_file(ctx.get(), (g_dir + "/" + name + ".key").c_str(),
                                          SSL_FILETYPE_PEM),
              1);
    return ctx;
  }

  // A server with the trusted certificate that answers every request 200 "secure".
  void serveSecure() {
    server_ctx_ = serverContext("trusted");
    makeServer([](TestServerConn& c, const std::string&) { c.send(okResponse("secure")); },
               server_ctx_.get());
  }
  UpstreamOrigin secureOrigin() const { return localOrigin(server_->port(), true, "localhost"); }

  SslCtxPtr client_ctx_;
  SslCtxPtr server_ctx_;
};

TEST_F(UpstreamTlsTest, VerifiedRequestsReuseTheConnection) {
  serveSecure();
  for (int i = 0; i < 2; ++i) {
    RecordingHandler h;
    auto ex = pool_->send(secureOrigin(), postRequest("{}"), h);
    ASSERT_TRUE(runUntil([&] { return h.ended(); }));
    ASSERT_TRUE(h.completed) << h.error->detail;
    EXPECT_EQ(h.status, 200);
    EXPECT_EQ(h.body(), "secure");
  }
  EXPECT_EQ(server_->accepted(), 1);
  EXPECT_EQ(pool_->idleConnections(), 1u);
}

TEST_F(UpstreamTlsTest, ProviderConnectionsHaveNagleOff) {
  serveSecure();
  const UpstreamOrigin origin = secureOrigin();
  RecordingHandler h;
  auto ex = pool_->send(origin, postRequest("{}"), h);
  ASSERT_TRUE(runUntil([&] { return h.ended(); }));
  ASSERT_TRUE(h.completed) << h.error->detail;
  EXPECT_EQ(tcpNoDelay(*pool_->takeIdle(origin)), 1);
}

TEST_F(UpstreamTlsTest, ReusedConnectionWhoseFirstWriteFailsIsResentOnAFreshOne) {
  // The uncounted re-send over TLS (see the plain-socket case in upstream_pool_test): the
  // TLS layer takes bytes from the output buffer only once SSL_write succeeded, so a pooled
  // connection whose first write fails still holds the whole request, which goes out once,
  // on a fresh connection, with no error to the caller.
  std::signal(SIGPIPE, SIG_IGN);  // slotgate's main() ignores it too
  serveSecure();
  const UpstreamOrigin origin = secureOrigin();
  RecordingHandler h1;
  auto ex1 = pool_->send(origin, getRequest("/first"), h1);
  ASSERT_TRUE(runUntil([&] { return h1.completed; }));
  ASSERT_EQ(pool_->idleConnections(), 1u);
  const int client_fd = connectedSocket(server_->port(), /*local=*/false);
  ASSERT_GE(client_fd, 0);
  ASSERT_EQ(shutdown(client_fd, SHUT_WR), 0);

  RecordingHandler h2;
  auto ex2 = pool_->send(origin, getRequest("/second"), h2);
  ASSERT_TRUE(runUntil([&] { return h2.ended(); }));
  ASSERT_TRUE(h2.completed) << h2.error->detail;
  EXPECT_EQ(h2.body(), "secure");
  runFor(std::chrono::milliseconds(100));  // a second copy, if any, would arrive now
  EXPECT_EQ(server_->accepted(), 2);
  ASSERT_EQ(server_->requests().size(), 2u);
  EXPECT_EQ(server_->requests()[1].rfind("GET /second ", 0), 0u) << server_->requests()[1];
}

TEST_F(UpstreamTlsTest, ChunkedStreamAndDirtyCloseBodyOverTls) {
  server_ctx_ = serverContext("trusted");
  makeServer(
      [](TestServerConn& c, const std::string& req) {
        if (req.find("/stream") != std::string::npos) {
          c.send(kChunkedHead + chunk("one"));
          c.sendAfter(std::chrono::milliseconds(30), chunk("two") + "0\r\n\r\n");
        } else {
          // No length: the body ends when the server closes (without close_notify).
          c.send("HTTP/1.1 200 OK\r\n\r\nto-the-end");
          c.closeAfterFlush();
        }
      },
      server_ctx_.get());
  RecordingHandler h1;
  auto ex1 = pool_->send(secureOrigin(), getRequest("/stream"), h1);
  ASSERT_TRUE(runUntil([&] { return h1.ended(); }));
  ASSERT_TRUE(h1.completed) << h1.error->detail;
  EXPECT_EQ(h1.chunks, (std::vector<std::string>{"one", "two"}));

  RecordingHandler h2;
  auto ex2 = pool_->send(secureOrigin(), getRequest("/eof"), h2);
  ASSERT_TRUE(runUntil([&] { return h2.ended(); }));
  ASSERT_TRUE(h2.completed) << h2.error->detail;
  EXPECT_EQ(h2.body(), "to-the-end");
}

TEST_F(UpstreamTlsTest, HostnameMismatchIsATlsError) {
  server_ctx_ = serverContext("trusted");
  makeServer([](TestServerConn& c, const std::string&) { c.send(okResponse("x")); },
             server_ctx_.get());
  RecordingHandler h;
  // The certificate names only "localhost", not the IP address.
  auto ex = pool_->send(localOrigin(server_->port(), true, "127.0.0.1"), getRequest(), h);
  ASSERT_TRUE(runUntil([&] { return h.ended(); }));
  ASSERT_TRUE(h.error);
  EXPECT_EQ(h.error->kind, UpstreamErrorKind::kTls);
  EXPECT_EQ(h.error->detail, "TLS certificate verification of 127.0.0.1:" +
                                 std::to_string(server_->port()) + " failed: IP address mismatch");
  EXPECT_FALSE(h.error->response_started);
  EXPECT_TRUE(server_->requests().empty());
  EXPECT_EQ(pool_->openConnections(), 0u);
}

TEST_F(UpstreamTlsTest, UntrustedCertificateIsATlsError) {
  server_ctx_ = serverContext("untrusted");
  makeServer([](TestServerConn& c, const std::string&) { c.send(okResponse("x")); },
             server_ctx_.get());
  RecordingHandler h;
  auto ex = pool_->send(secureOrigin(), getRequest(), h);
  ASSERT_TRUE(runUntil([&] { return h.ended(); }));
  ASSERT_TRUE(h.error);
  EXPECT_EQ(h.error->kind, UpstreamErrorKind::kTls);
  EXPECT_EQ(h.error->detail,
            "TLS certificate verification of localhost:" + std::to_string(server_->port()) +
                " failed: self-signed certificate");
  EXPECT_TRUE(server_->requests().empty());
}

TEST_F(UpstreamTlsTest, RefusedTlsConnectIsAConnectError) {
  // Port of a server that is gone.
  uint16_t port;
  {
    TestHttpServer gone(base_ptr_, [](TestServerConn&, const std::string&) {});
    port = gone.port();
  }
  RecordingHandler h;
  auto ex = pool_->send(localOrigin(port, true, "localhost"), getRequest(), h);
  ASSERT_TRUE(runUntil([&] { return h.ended(); }));
  ASSERT_TRUE(h.error);
  EXPECT_EQ(h.error->kind, UpstreamErrorKind::kConnect) << h.error->detail;
  EXPECT_EQ(h.error->detail,
            "connect to localhost:" + std::to_string(port) + " failed: Connection refused");
}

TEST_F(UpstreamTlsTest, HttpsWithoutAContextIsReported) {
  UpstreamPool plain(loop_, dns_.get(), nullptr);
  RecordingHandler h;
  auto ex = plain.send(localOrigin(443, true, "localhost"), getRequest(), h);
  ASSERT_TRUE(runUntil([&] { return h.ended(); }));
  ASSERT_TRUE(h.error);
  EXPECT_EQ(h.error->kind, UpstreamErrorKind::kTls);
  EXPECT_EQ(h.error->detail, "https origin but no TLS client context");
}

}  // namespace
}  // namespace slotgate::gateway::testing
