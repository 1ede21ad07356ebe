// TLS client context for upstream (provider) connections.
//
// Verifies the peer against the system CA store (SSL_CTX_set_default_verify_paths, which
// honours the SSL_CERT_FILE / SSL_CERT_DIR environment variables at the time this is
// called), requires TLS 1.2 or newer and offers ALPN "http/1.1". Hostname/IP checks are
// per connection (UpstreamConnection sets SNI and SSL_set1_host).
//
// Thread-safety: the returned SSL_CTX may be shared by all workers (OpenSSL locks it
// internally); do not reconfigure it after SSL objects were created from it.
#pragma once

#include <string>

#include "gateway/event/libevent_ptr.h"

namespace slotgate::gateway {

// Returns nullptr on failure; *error (if given) then says why.
[[nodiscard]] SslCtxPtr makeTlsClientContext(std::string* error = nullptr);

}  // namespace slotgate::gateway
