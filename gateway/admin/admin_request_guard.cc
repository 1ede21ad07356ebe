#include "gateway/admin/admin_request_guard.h"

#include <string>
#include <string_view>

#include "conf/address.h"
#include "gateway/downstream/ascii.h"

namespace slotgate::gateway {
namespace {

std::string lower(std::string_view s) {
  std::string out;
  appendAsciiLower(out, trimOws(s));
  return out;
}

// "host", "host:port", "[v6]", "[v6]:port" → host without brackets; "" when malformed.
std::string_view hostOf(std::string_view authority) {
  if (!authority.empty() && authority.front() == '[') {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) {
      return {};
    }
    const std::string_view rest = authority.substr(close + 1);
    if (!rest.empty() && rest.front() != ':') {
      return {};
    }
    return authority.substr(1, close - 1);
  }
  const auto colon = authority.find(':');
  if (colon != std::string_view::npos && authority.find(':', colon + 1) != std::string_view::npos) {
    return {};  // an unbracketed IPv6 literal is not a Host value
  }
  return authority.substr(0, colon);
}

}  // namespace

bool loopbackHostHeader(const char* host) {
  if (host == nullptr) {
    return true;
  }
  const std::string name = lower(hostOf(trimOws(host)));
  return !name.empty() && conf::isLoopbackHost(name);
}

const char* crossSitePostReason(const char* origin, const char* host, const char* sec_fetch_site,
                                const char* content_type) {
  if (sec_fetch_site != nullptr) {
    const std::string site = lower(sec_fetch_site);
    // same-site is still another origin (another port of localhost is same-site).
    if (site != "same-origin" && site != "none") {
      return "cross-site request refused (Sec-Fetch-Site)";
    }
  }
  if (origin != nullptr) {
    const std::string o = lower(origin);
    const std::string h = host != nullptr ? lower(host) : std::string();
    if (h.empty() || (o != "http://" + h && o != "https://" + h)) {
      return "cross-origin request refused (Origin)";
    }
  }
  if (content_type != nullptr) {
    const std::string_view value = content_type;
    const std::string t = lower(value.substr(0, value.find(';')));
    if (t == "application/x-www-form-urlencoded" || t == "multipart/form-data" ||
        t == "text/plain") {
      return "form content type refused: send no body or application/json";
    }
  }
  return nullptr;
}

}  // namespace slotgate::gateway
