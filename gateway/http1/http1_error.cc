#include "gateway/http1/http1_error.h"

namespace slotgate::gateway {

std::string_view http1ErrorName(Http1Error error) {
  switch (error) {
    case Http1Error::kNone:
      return "none";
    case Http1Error::kBadMethod:
      return "bad_method";
    case Http1Error::kBadTarget:
      return "bad_target";
    case Http1Error::kBadVersion:
      return "bad_version";
    case Http1Error::kBadStatus:
      return "bad_status";
    case Http1Error::kBadReason:
      return "bad_reason";
    case Http1Error::kSwitchingProtocols:
      return "switching_protocols";
    case Http1Error::kBareCr:
      return "bare_cr";
    case Http1Error::kBareLf:
      return "bare_lf";
    case Http1Error::kObsFold:
      return "obs_fold";
    case Http1Error::kBadFieldName:
      return "bad_field_name";
    case Http1Error::kSpaceBeforeColon:
      return "space_before_colon";
    case Http1Error::kBadFieldValue:
      return "bad_field_value";
    case Http1Error::kBadHost:
      return "bad_host";
    case Http1Error::kBadContentLength:
      return "bad_content_length";
    case Http1Error::kDuplicateContentLength:
      return "duplicate_content_length";
    case Http1Error::kContentLengthWithTransferEncoding:
      return "content_length_with_transfer_encoding";
    case Http1Error::kBadTransferEncoding:
      return "bad_transfer_encoding";
    case Http1Error::kInterimWithBody:
      return "interim_with_body";
    case Http1Error::kBadChunkSize:
      return "bad_chunk_size";
    case Http1Error::kBadChunkExtension:
      return "bad_chunk_extension";
    case Http1Error::kChunkLineTooLong:
      return "chunk_line_too_long";
    case Http1Error::kBadChunkEnd:
      return "bad_chunk_end";
    case Http1Error::kBadTrailer:
      return "bad_trailer";
    case Http1Error::kTrailersTooLarge:
      return "trailers_too_large";
    case Http1Error::kHeadTooLarge:
      return "head_too_large";
    case Http1Error::kTooManyFields:
      return "too_many_fields";
    case Http1Error::kIncompleteAtEof:
      return "incomplete_at_eof";
  }
  return "unknown";
}

}  // namespace slotgate::gateway
