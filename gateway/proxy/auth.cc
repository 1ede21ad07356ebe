#include "gateway/proxy/auth.h"

#include <openssl/crypto.h>

#include "conf/digest.h"
#include "conf/glob.h"

namespace slotgate::gateway {
namespace {

std::string_view presentedKey(const Headers& headers) {
  if (const std::string* auth = findHeader(headers, "authorization")) {
    std::string_view v(*auth);
    if (v.size() > 7 && (v.substr(0, 7) == "Bearer " || v.substr(0, 7) == "bearer ")) {
      v.remove_prefix(7);
      while (!v.empty() && v.front() == ' ') {
        v.remove_prefix(1);
      }
      return v;
    }
  }
  if (const std::string* key = findHeader(headers, "x-api-key")) {
    return *key;
  }
  return {};
}

size_t authenticateKey(const conf::Config& config, std::string_view key) {
  if (key.empty()) {
    return kNoClient;
  }
  const conf::Sha256 digest = conf::sha256Of(key);
  size_t found = kNoClient;
  // Every digest is compared, with no early exit, so timing reveals nothing.
  for (size_t i = 0; i < config.clients.size(); ++i) {
    const bool equal =
        CRYPTO_memcmp(digest.data(), config.clients[i].key_digest.data(), digest.size()) == 0;
    if (equal && found == kNoClient) {
      found = i;
    }
  }
  return found;
}

}  // namespace

size_t authenticate(const conf::Config& config, const Headers& headers) {
  return authenticateKey(config, presentedKey(headers));
}

ConnectionAuth::~ConnectionAuth() { forget(); }

size_t ConnectionAuth::authenticate(const conf::Config& config, const Headers& headers) {
  const std::string_view key = presentedKey(headers);
  // The length is not secret between two requests of one connection; the bytes are compared
  // in constant time.
  if (config_version_ != 0 && config_version_ == config.version && !key.empty() &&
      key.size() == key_.size() && CRYPTO_memcmp(key.data(), key_.data(), key.size()) == 0) {
    return client_;
  }
  forget();
  if (key.empty()) {
    return kNoClient;
  }
  ++digests_;
  const size_t client = authenticateKey(config, key);
  // Version 0 is a config no server installed (tests): nothing tells its snapshots apart.
  if (client != kNoClient && config.version != 0) {
    key_.assign(key);
    config_version_ = config.version;
    client_ = client;
  }
  return client;
}

void ConnectionAuth::forget() {
  OPENSSL_cleanse(key_.data(), key_.size());
  key_.clear();
  config_version_ = 0;
  client_ = kNoClient;
}

bool clientMayUse(const conf::Client& client, const std::string& model_name) {
  for (const auto& glob : client.models) {
    if (conf::globMatch(glob, model_name)) {
      return true;
    }
  }
  return false;
}

size_t requestClient(const conf::Config& config, const IncomingRequest& request) {
  const IncomingRequest::DispatcherNote& note = request.note;
  if (note.config_version != 0 && note.config_version == config.version &&
      note.client < config.clients.size()) {
    return note.client;
  }
  return authenticate(config, request.headers);
}

}  // namespace slotgate::gateway
