#include "tests/mock_provider/tls.h"

#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <openssl/err.h>

namespace slotgate::mock {
namespace {

int selectAlpn(SSL* /*ssl*/, const unsigned char** out, unsigned char* outLen,
               const unsigned char* in, unsigned int inLen, void* /*arg*/) {
  static const unsigned char kHttp11[] = "\x08http/1.1";
  unsigned char* selected = nullptr;
  if (SSL_select_next_proto(&selected, outLen, kHttp11, sizeof(kHttp11) - 1, in, inLen) !=
      OPENSSL_NPN_NEGOTIATED) {
    return SSL_TLSEXT_ERR_NOACK;
  }
  *out = selected;
  return SSL_TLSEXT_ERR_OK;
}

std::string opensslError() {
  char buf[256];
  ERR_error_string_n(ERR_get_error(), buf, sizeof(buf));
  return buf;
}

}  // namespace

SslCtxPtr createServerContext(const std::string& certFile, const std::string& keyFile,
                              std::string& error) {
  SslCtxPtr ctx(SSL_CTX_new(TLS_server_method()));
  if (!ctx) {
    error = "SSL_CTX_new: " + opensslError();
    return nullptr;
  }
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
  if (SSL_CTX_use_certificate_chain_file(ctx.get(), certFile.c_str()) != 1) {
    error = "cannot load certificate " + certFile + ": " + opensslError();
    return nullptr;
  }
  if (SSL_CTX_use_PrivateKey_file(ctx.get(), keyFile.c_str(), SSL_FILETYPE_PEM) != 1) {
    error = "cannot load key " + keyFile + ": " + opensslError();
    return nullptr;
  }
  SSL_CTX_set_alpn_select_cb(ctx.get(), selectAlpn, nullptr);
  return ctx;
}

bufferevent* makeTlsBufferevent(event_base* base, void* sslCtx) {
  SSL* ssl = SSL_new(static_cast<SSL_CTX*>(sslCtx));
  if (ssl == nullptr) {
    return nullptr;
  }
  bufferevent* bev = bufferevent_openssl_socket_new(base, -1, ssl, BUFFEREVENT_SSL_ACCEPTING,
                                                    BEV_OPT_CLOSE_ON_FREE);
  if (bev != nullptr) {
    // Clients (curl, the gateway) may close without close_notify; that is not an error here.
    bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
  }
  return bev;
}

}  // namespace slotgate::mock
