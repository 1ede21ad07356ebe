#include "gateway/downstream/tls_server_context.h"

#include <openssl/err.h>

#include <cstring>

namespace slotgate::gateway {
namespace {

// Wire-format ALPN names, in our order of preference.
constexpr unsigned char kH2[] = {'h', '2'};
constexpr unsigned char kHttp11[] = {'h', 't', 't', 'p', '/', '1', '.', '1'};

bool offered(const unsigned char* in, unsigned int inlen, const unsigned char* name,
             unsigned int name_len, const unsigned char** out, unsigned char* outlen) {
  for (unsigned int i = 0; i < inlen;) {
    const unsigned int len = in[i];
    if (i + 1 + len > inlen) {
      return false;
    }
    if (len == name_len && std::memcmp(in + i + 1, name, len) == 0) {
      *out = in + i + 1;
      *outlen = static_cast<unsigned char>(len);
      return true;
    }
    i += 1 + len;
  }
  return false;
}

int selectAlpn(SSL*, const unsigned char** out, unsigned char* outlen, const unsigned char* in,
               unsigned int inlen, void*) {
  if (offered(in, inlen, kH2, sizeof kH2, out, outlen) ||
      offered(in, inlen, kHttp11, sizeof kHttp11, out, outlen)) {
    return SSL_TLSEXT_ERR_OK;
  }
  // A client offering only other protocols still gets HTTP/1.1 (no ALPN answer).
  return SSL_TLSEXT_ERR_NOACK;
}

std::string lastSslError() {
  const unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (e == 0) {
    return "unknown error";
  }
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  return buf;
}

}  // namespace

SharedSslCtx makeServerTlsContext(const std::string& cert_file, const std::string& key_file,
                                  std::string* error) {
  SharedSslCtx ctx(SSL_CTX_new(TLS_server_method()), SslCtxDeleter{});
  if (!ctx) {
    *error = "cannot create TLS context: " + lastSslError();
    return nullptr;
  }
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
  SSL_CTX_set_options(
      ctx.get(), SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  SSL_CTX_set_mode(ctx.get(), SSL_MODE_RELEASE_BUFFERS);
  if (SSL_CTX_use_certificate_chain_file(ctx.get(), cert_file.c_str()) != 1) {
    *error = "server.tls.cert " + cert_file + ": " + lastSslError();
    return nullptr;
  }
  if (SSL_CTX_use_PrivateKey_file(ctx.get(), key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
    *error = "server.tls.key " + key_file + ": " + lastSslError();
    return nullptr;
  }
  if (SSL_CTX_check_private_key(ctx.get()) != 1) {
    *error = "server.tls.key does not match server.tls.cert";
    ERR_clear_error();
    return nullptr;
  }
  SSL_CTX_set_alpn_select_cb(ctx.get(), &selectAlpn, nullptr);
  return ctx;
}

AppProtocol negotiatedProtocol(const SSL* ssl) {
  const unsigned char* name = nullptr;
  unsigned int len = 0;
  SSL_get0_alpn_selected(ssl, &name, &len);
  if (len == sizeof kH2 && std::memcmp(name, kH2, len) == 0) {
    return AppProtocol::kHttp2;
  }
  return AppProtocol::kHttp11;
}

}  // namespace slotgate::gateway
