// What keeps a browser from using the ops listener on an operator's behalf
// (SPEC section 6; README "Process hygiene"). Pure functions on header
// values (nullptr = header absent), thread-safe.
//
// - DNS rebinding: a page on evil.example whose name is re-pointed at
//   127.0.0.1 reaches a tokenless loopback listener with "Host: evil.example".
//   Without an admin token only loopback names are served.
// - Cross-site requests: a page can make a browser POST a form (no preflight,
//   no Authorization header) to /admin/reload. Form content types and any
//   request a browser marks as coming from another origin are refused; plain
//   clients (curl, scripts) send none of those headers.
#pragma once

namespace slotgate::gateway {

// True for "localhost", "127.0.0.1" (any 127/8 address), "[::1]", each with or without a
// ":port"; and for a missing Host (HTTP/1.0 tools; a browser always sends one).
[[nodiscard]] bool loopbackHostHeader(const char* host);

// nullptr when a POST may proceed, else why it is refused: an Origin other than this
// listener's own (http(s)://<Host>), a Sec-Fetch-Site other than same-origin/none, or a
// Content-Type a form can send (application/x-www-form-urlencoded, multipart/form-data,
// text/plain).
[[nodiscard]] const char* crossSitePostReason(const char* origin, const char* host,
                                              const char* sec_fetch_site, const char* content_type);

}  // namespace slotgate::gateway
