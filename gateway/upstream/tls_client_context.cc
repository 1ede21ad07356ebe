#include "gateway/upstream/tls_client_context.h"

#include <openssl/err.h>

namespace slotgate::gateway {
namespace {

std::string opensslError(const char* what) {
  std::string out = what;
  const unsigned long code = ERR_get_error();
  if (code != 0) {
    char buf[256];
    ERR_error_string_n(code, buf, sizeof(buf));
    out += ": ";
    out += buf;
  }
  ERR_clear_error();
  return out;
}

}  // namespace

SslCtxPtr makeTlsClientContext(std::string* error) {
  SslCtxPtr ctx(SSL_CTX_new(TLS_client_method()));
  auto failed = [&](const char* what) {
    if (error != nullptr) {
      *error = opensslError(what);
    }
    return SslCtxPtr();
  };
  if (!ctx) {
    return failed("SSL_CTX_new");
  }
  if (SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION) != 1) {
    return failed("SSL_CTX_set_min_proto_version");
  }
  if (SSL_CTX_set_default_verify_paths(ctx.get()) != 1) {
    return failed("SSL_CTX_set_default_verify_paths");
  }
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
  static const unsigned char kAlpn[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
  // Unlike most OpenSSL calls, 0 means success here.
  if (SSL_CTX_set_alpn_protos(ctx.get(), kAlpn, sizeof(kAlpn)) != 0) {
    return failed("SSL_CTX_set_alpn_protos");
  }
  // Providers often close without close_notify. Bodies delimited by EOF cannot detect
  // truncation anyway; length-delimited and chunked bodies still can (the parser sees
  // the missing bytes), so treating a dirty close as EOF loses nothing.
  SSL_CTX_set_options(ctx.get(), SSL_OP_IGNORE_UNEXPECTED_EOF | SSL_OP_NO_COMPRESSION);
  SSL_CTX_set_mode(ctx.get(), SSL_MODE_RELEASE_BUFFERS);
  return ctx;
}

}  // namespace slotgate::gateway
