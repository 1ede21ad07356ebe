// The downstream TLS context (server.tls): certificate chain and key from PEM
// files, TLS 1.2+, ALPN choosing "h2" over "http/1.1".
//
// Thread-safety: the SSL_CTX is built once and then only read (SSL_new from
// every worker), which OpenSSL allows.
#pragma once

#include <memory>
#include <string>

#include "gateway/event/libevent_ptr.h"

namespace slotgate::gateway {

using SharedSslCtx = std::shared_ptr<SSL_CTX>;

// nullptr with *error set (file, reason; never key material) on failure.
[[nodiscard]] SharedSslCtx makeServerTlsContext(const std::string& cert_file,
                                                const std::string& key_file, std::string* error);

enum class AppProtocol { kHttp11, kHttp2 };

// What ALPN agreed on for a finished handshake; no ALPN means HTTP/1.1.
[[nodiscard]] AppProtocol negotiatedProtocol(const SSL* ssl);

}  // namespace slotgate::gateway
