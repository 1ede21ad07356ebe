// TLS for the mock provider: a server SSL_CTX (ALPN http/1.1) and the evhttp bevcb that wraps
// each accepted connection in an OpenSSL bufferevent. The SSL_CTX is shared read-only by all
// workers (OpenSSL makes SSL_new on a shared context thread-safe).
#pragma once

#include <openssl/ssl.h>

#include <memory>
#include <string>

struct bufferevent;
struct event_base;

namespace slotgate::mock {

struct SslCtxDeleter {
  void operator()(SSL_CTX* ctx) const { SSL_CTX_free(ctx); }
};
using SslCtxPtr = std::unique_ptr<SSL_CTX, SslCtxDeleter>;

// Null (with `error` set) when the certificate or key cannot be loaded.
[[nodiscard]] SslCtxPtr createServerContext(const std::string& certFile, const std::string& keyFile,
                                            std::string& error);

// evhttp_set_bevcb callback; `sslCtx` is the SSL_CTX*.
bufferevent* makeTlsBufferevent(event_base* base, void* sslCtx);

}  // namespace slotgate::mock
