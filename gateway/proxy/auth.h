// Client authentication (SPEC section 3): the key from `Authorization: Bearer`
// or `x-api-key`, hashed with SHA-256 and compared in constant time against
// every client's digest. Keys are never stored or compared in plain text.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "conf/config.h"
#include "gateway/downstream/http_message.h"

namespace slotgate::gateway {

inline constexpr size_t kNoClient = SIZE_MAX;

// The index of the client whose key the request presents, or kNoClient.
// Thread-safe. Time does not depend on which client (if any) matched.
size_t authenticate(const conf::Config& config, const Headers& headers);

// Who a complete request authenticated as: the answer admitHead noted at end of headers
// (IncomingRequest::note) when the same config is still installed, else authenticate() again
// (a reload swapped the snapshot in between).
size_t requestClient(const conf::Config& config, const IncomingRequest& request);

// The credential a client connection presented last and who it authenticated as, so that
// the next request on a keep-alive connection skips SHA-256: its key is compared in constant
// time with the previous one, and the digest is computed again only when the key changed or a
// reload installed another config. Only a key that matched a client is remembered. The key
// is wiped when replaced and when the connection goes. One connection's thread only.
class ConnectionAuth : public ConnectionMemo {
 public:
  ConnectionAuth() = default;
  ConnectionAuth(const ConnectionAuth&) = delete;
  ConnectionAuth& operator=(const ConnectionAuth&) = delete;
  ~ConnectionAuth() override;

  // What authenticate(config, headers) returns, from the remembered answer when it applies.
  size_t authenticate(const conf::Config& config, const Headers& headers);
  // SHA-256 digests computed so far (what remembering saves, for tests).
  uint64_t digestsComputed() const { return digests_; }

 private:
  void forget();

  std::string key_;
  uint64_t config_version_ = 0;  // 0: nothing remembered
  size_t client_ = kNoClient;
  uint64_t digests_ = 0;
};

// Whether `model_name` is in the client's `models` globs.
bool clientMayUse(const conf::Client& client, const std::string& model_name);

}  // namespace slotgate::gateway
