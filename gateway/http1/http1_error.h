// Why the strict HTTP/1.1 parser refused a message (RFC 9110/9112 read
// strictly; see Http1Parser). A fixed set: names are safe as log fields and
// metric label values. Pure, thread-safe.
#pragma once

#include <cstdint>
#include <string_view>

namespace slotgate::gateway {

enum class Http1Error : uint8_t {
  kNone,
  // Start line.
  kBadMethod,   // empty or non-token method, or not followed by one SP
  kBadTarget,   // empty target, a byte outside the URI characters, or not origin/absolute/"*"
  kBadVersion,  // anything but exactly HTTP/1.0 or HTTP/1.1
  kBadStatus,   // response: not three digits in 100..599
  kBadReason,   // response: a control byte in the reason phrase
  kSwitchingProtocols,  // response: 101 (slotgate never asks an upstream to upgrade)
  // Line structure.
  kBareCr,   // CR not followed by LF
  kBareLf,   // LF not preceded by CR
  kObsFold,  // a field line starting with SP/HTAB (RFC 9112 5.2)
  // Field lines.
  kBadFieldName,      // empty name, non-token byte, or no colon
  kSpaceBeforeColon,  // "Name : value" (RFC 9112 5.1: MUST be rejected)
  kBadFieldValue,     // NUL or another control byte (HTAB allowed) in a value
  kBadHost,           // request: no Host in HTTP/1.1, two Hosts, or a bad Host value
  // Framing.
  kBadContentLength,        // not 1*DIGIT (sign, list, empty), or overflowing
  kDuplicateContentLength,  // two Content-Length fields, even with equal values
  kContentLengthWithTransferEncoding,
  kBadTransferEncoding,  // not exactly one field whose value is "chunked", or HTTP/1.0
  kInterimWithBody,      // response: a 1xx carrying Content-Length or Transfer-Encoding
  // Chunked body.
  kBadChunkSize,       // not 1*HEXDIG (0x prefix, sign, SP), or overflowing
  kBadChunkExtension,  // not ;name[=token|quoted-string] with BWS
  kChunkLineTooLong,   // size line with its extensions longer than the limit
  kBadChunkEnd,        // anything but CRLF right after chunk data
  kBadTrailer,         // a trailer field line that a header line could not be
  kTrailersTooLarge,   // trailer section over the head limits
  // Limits of the head (431 for a request).
  kHeadTooLarge,
  kTooManyFields,
  // Response only: the connection closed before the message's end.
  kIncompleteAtEof,
};

// snake_case name of the error, e.g. "space_before_colon".
[[nodiscard]] std::string_view http1ErrorName(Http1Error error);

// Whether the error is a size limit (431 for a request) rather than a malformed message (400).
[[nodiscard]] constexpr bool isHttp1LimitError(Http1Error error) {
  return error == Http1Error::kHeadTooLarge || error == Http1Error::kTooManyFields ||
         error == Http1Error::kTrailersTooLarge;
}

}  // namespace slotgate::gateway
