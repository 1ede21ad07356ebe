#include "gateway/auth.h"

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

}  // namespace

size_t authenticate(const conf::Config& config, const Headers& headers) {
  const std::string_view key = presentedKey(headers);
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

bool clientMayUse(const conf::Client& client, const std::string& model_name) {
  for (const auto& glob : client.models) {
    if (conf::globMatch(glob, model_name)) {
      return true;
    }
  }
  return false;
}

}  // namespace slotgate::gateway
