#include "tests/mock_provider/bodies.h"

#include <charconv>

namespace slotgate::mock {
namespace {

constexpr std::string_view kText = "Hello from the slotgate mock provider.";

void appendInt(std::string& out, int64_t value) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), value);
  out.append(buf, end);
}

void appendQuoted(std::string& out, std::string_view text) {
  out.push_back('"');
  appendJsonEscaped(out, text);
  out.push_back('"');
}

void appendText(std::string& out, size_t padBytes) {
  out.push_back('"');
  out.append(kText);
  out.append(padBytes, 'x');
  out.push_back('"');
}

void appendChunkText(std::string& out, int index) {
  out.append("\"tok");
  appendInt(out, index);
  out.append(" \"");
}

// Common "id/created/model" prefix of OpenAI objects.
void appendOpenAiHead(std::string& out, std::string_view idPrefix, std::string_view object,
                      const ResponseContext& ctx) {
  out.append("{\"id\":\"");
  out.append(idPrefix);
  appendInt(out, static_cast<int64_t>(ctx.id));
  out.append("\",\"object\":\"");
  out.append(object);
  out.append("\",\"created\":");
  appendInt(out, ctx.created);
  out.append(",\"model\":");
  appendQuoted(out, ctx.model);
}

void appendOpenAiUsage(std::string& out, int outputTokens) {
  out.append("\"usage\":{\"prompt_tokens\":");
  appendInt(out, kInputTokens);
  out.append(",\"completion_tokens\":");
  appendInt(out, outputTokens);
  out.append(",\"total_tokens\":");
  appendInt(out, kInputTokens + outputTokens);
  out.append(",\"prompt_tokens_details\":{\"cached_tokens\":");
  appendInt(out, kCachedTokens);
  out.append(
      ",\"audio_tokens\":0},\"completion_tokens_details\":{\"reasoning_tokens\":0,"
      "\"audio_tokens\":0,\"accepted_prediction_tokens\":0,\"rejected_prediction_tokens\":0}}");
}

void appendResponsesUsage(std::string& out, int outputTokens) {
  out.append("\"usage\":{\"input_tokens\":");
  appendInt(out, kInputTokens);
  out.append(",\"input_tokens_details\":{\"cached_tokens\":");
  appendInt(out, kCachedTokens);
  out.append("},\"output_tokens\":");
  appendInt(out, outputTokens);
  out.append(",\"output_tokens_details\":{\"reasoning_tokens\":0},\"total_tokens\":");
  appendInt(out, kInputTokens + outputTokens);
  out.push_back('}');
}

void appendAnthropicUsage(std::string& out, int outputTokens) {
  out.append("\"usage\":{\"input_tokens\":");
  appendInt(out, kInputTokens);
  out.append(",\"cache_creation_input_tokens\":");
  appendInt(out, kCacheCreationTokens);
  out.append(",\"cache_read_input_tokens\":");
  appendInt(out, kCachedTokens);
  out.append(",\"output_tokens\":");
  appendInt(out, outputTokens);
  out.push_back('}');
}

// The full Responses API object; `text` is written by the caller-supplied writer.
template <typename WriteText>
void appendResponseObject(std::string& out, const ResponseContext& ctx, std::string_view status,
                          int outputTokens, WriteText&& writeText) {
  out.append("{\"id\":\"resp_mock_");
  appendInt(out, static_cast<int64_t>(ctx.id));
  out.append("\",\"object\":\"response\",\"created_at\":");
  appendInt(out, ctx.created);
  out.append(",\"status\":\"");
  out.append(status);
  out.append("\",\"error\":null,\"model\":");
  appendQuoted(out, ctx.model);
  out.append(",\"output\":[");
  if (status == "completed") {
    out.append("{\"type\":\"message\",\"id\":\"msg_mock_");
    appendInt(out, static_cast<int64_t>(ctx.id));
    out.append(
        "\",\"status\":\"completed\",\"role\":\"assistant\",\"content\":[{\"type\":"
        "\"output_text\",\"text\":");
    writeText();
    out.append(",\"annotations\":[]}]}],");
    appendResponsesUsage(out, outputTokens);
  } else {
    out.append("],\"usage\":null");
  }
  out.push_back('}');
}

void appendSse(std::string& out, std::string_view event) {
  out.append("event: ");
  out.append(event);
  out.append("\ndata: ");
}

// The streamed text of `chunks` content chunks, quoted: "tok0 tok1 ".
void appendStreamedText(std::string& out, int chunks) {
  out.push_back('"');
  for (int i = 0; i < chunks; ++i) {
    out.append("tok");
    appendInt(out, i);
    out.push_back(' ');
  }
  out.push_back('"');
}

// `"type":"TYPE","sequence_number":N` of a Responses stream event, after its opening brace.
void appendResponsesEvent(std::string& out, std::string_view type, int sequence) {
  appendSse(out, type);
  out.append("{\"type\":\"");
  out.append(type);
  out.append("\",\"sequence_number\":");
  appendInt(out, sequence);
}

// `,"item_id":"msg_mock_N","output_index":0` (+ `,"content_index":0` when `withContent`).
void appendResponsesItemRef(std::string& out, const ResponseContext& ctx, bool withContent) {
  out.append(",\"item_id\":\"msg_mock_");
  appendInt(out, static_cast<int64_t>(ctx.id));
  out.append(withContent ? "\",\"output_index\":0,\"content_index\":0" : "\",\"output_index\":0");
}

// The output_text content part; its text written by `writeText`.
template <typename WriteText>
void appendOutputTextPart(std::string& out, WriteText&& writeText) {
  out.append("{\"type\":\"output_text\",\"text\":");
  writeText();
  out.append(",\"annotations\":[],\"logprobs\":[]}");
}

// The assistant message output item, `in_progress` with no content or `completed` with the
// streamed text.
void appendMessageItem(std::string& out, const ResponseContext& ctx, int chunks, bool completed) {
  out.append("{\"id\":\"msg_mock_");
  appendInt(out, static_cast<int64_t>(ctx.id));
  out.append("\",\"type\":\"message\",\"status\":\"");
  out.append(completed ? "completed" : "in_progress");
  out.append("\",\"role\":\"assistant\",\"content\":[");
  if (completed) {
    appendOutputTextPart(out, [&] { appendStreamedText(out, chunks); });
  }
  out.append("]}");
}

// Events before the first content chunk: 4 of them (sequence 0..3).
constexpr int kResponsesHeadEvents = 4;

}  // namespace

void appendJsonEscaped(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (u < 0x20) {
      out.append("\\u00");
      out.push_back(kHex[u >> 4]);
      out.push_back(kHex[u & 0xf]);
    } else {
      out.push_back(c);
    }
  }
}

void appendNonStreamBody(std::string& out, const ResponseContext& ctx, size_t padBytes) {
  switch (ctx.path) {
    case ApiPath::kChatCompletions:
      appendOpenAiHead(out, "chatcmpl-mock-", "chat.completion", ctx);
      out.append(",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":");
      appendText(out, padBytes);
      out.append(",\"refusal\":null},\"logprobs\":null,\"finish_reason\":\"stop\"}],");
      appendOpenAiUsage(out, kNonStreamOutputTokens);
      out.append(",\"system_fingerprint\":\"fp_mock\"}");
      return;
    case ApiPath::kCompletions:
      appendOpenAiHead(out, "cmpl-mock-", "text_completion", ctx);
      out.append(",\"choices\":[{\"text\":");
      appendText(out, padBytes);
      out.append(",\"index\":0,\"logprobs\":null,\"finish_reason\":\"stop\"}],");
      appendOpenAiUsage(out, kNonStreamOutputTokens);
      out.push_back('}');
      return;
    case ApiPath::kEmbeddings:
      out.append("{\"object\":\"list\",\"data\":[");
      for (int i = 0; i < ctx.embeddingInputs; ++i) {
        if (i > 0) {
          out.push_back(',');
        }
        out.append("{\"object\":\"embedding\",\"index\":");
        appendInt(out, i);
        out.append(",\"embedding\":[0.125,-0.25,0.5,-0.0625,0.75,-0.375,0.03125,0.875]}");
      }
      out.append("],\"model\":");
      appendQuoted(out, ctx.model);
      out.append(",\"usage\":{\"prompt_tokens\":");
      appendInt(out, kInputTokens);
      out.append(",\"total_tokens\":");
      appendInt(out, kInputTokens);
      out.append("}}");
      return;
    case ApiPath::kResponses:
      appendResponseObject(out, ctx, "completed", kNonStreamOutputTokens,
                           [&] { appendText(out, padBytes); });
      return;
    case ApiPath::kMessages:
      out.append("{\"id\":\"msg_mock_");
      appendInt(out, static_cast<int64_t>(ctx.id));
      out.append("\",\"type\":\"message\",\"role\":\"assistant\",\"model\":");
      appendQuoted(out, ctx.model);
      out.append(",\"content\":[{\"type\":\"text\",\"text\":");
      appendText(out, padBytes);
      out.append("}],\"stop_reason\":\"end_turn\",\"stop_sequence\":null,");
      appendAnthropicUsage(out, kNonStreamOutputTokens);
      out.push_back('}');
      return;
    case ApiPath::kMessagesCountTokens:
      out.append("{\"input_tokens\":");
      appendInt(out, kInputTokens);
      out.push_back('}');
      return;
    case ApiPath::kCount:
      return;
  }
}

void appendErrorBody(std::string& out, ApiPath path, int status, std::string_view message) {
  if (isAnthropic(path)) {
    std::string_view type = "api_error";
    switch (status) {
      case 400:
        type = "invalid_request_error";
        break;
      case 401:
        type = "authentication_error";
        break;
      case 403:
        type = "permission_error";
        break;
      case 404:
        type = "not_found_error";
        break;
      case 429:
        type = "rate_limit_error";
        break;
      case 529:
        type = "overloaded_error";
        break;
      default:
        break;
    }
    out.append("{\"type\":\"error\",\"error\":{\"type\":\"");
    out.append(type);
    out.append("\",\"message\":");
    appendQuoted(out, message);
    out.append("}}");
    return;
  }
  std::string_view type = "server_error";
  std::string_view code = "null";
  switch (status) {
    case 400:
      type = "invalid_request_error";
      break;
    case 401:
      type = "invalid_request_error";
      code = "\"invalid_api_key\"";
      break;
    case 404:
      type = "invalid_request_error";
      code = "\"not_found\"";
      break;
    case 405:
      type = "invalid_request_error";
      code = "\"method_not_allowed\"";
      break;
    case 429:
      type = "rate_limit_error";
      code = "\"rate_limit_exceeded\"";
      break;
    default:
      break;
  }
  out.append("{\"error\":{\"message\":");
  appendQuoted(out, message);
  out.append(",\"type\":\"");
  out.append(type);
  out.append("\",\"param\":null,\"code\":");
  out.append(code);
  out.append("}}");
}

void appendStreamHead(std::string& out, const ResponseContext& ctx) {
  switch (ctx.path) {
    case ApiPath::kChatCompletions:
      out.append("data: ");
      appendOpenAiHead(out, "chatcmpl-mock-", "chat.completion.chunk", ctx);
      out.append(
          ",\"system_fingerprint\":\"fp_mock\",\"choices\":[{\"index\":0,\"delta\":{\"role\":"
          "\"assistant\",\"content\":\"\",\"refusal\":null},\"logprobs\":null,"
          "\"finish_reason\":null}]");
      out.append(ctx.includeUsage ? ",\"usage\":null}\n\n" : "}\n\n");
      return;
    case ApiPath::kMessages:
      appendSse(out, "message_start");
      out.append("{\"type\":\"message_start\",\"message\":{\"id\":\"msg_mock_");
      appendInt(out, static_cast<int64_t>(ctx.id));
      out.append("\",\"type\":\"message\",\"role\":\"assistant\",\"content\":[],\"model\":");
      appendQuoted(out, ctx.model);
      out.append(",\"stop_reason\":null,\"stop_sequence\":null,");
      appendAnthropicUsage(out, 1);
      out.append("}}\n\n");
      appendSse(out, "content_block_start");
      out.append(
          "{\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\","
          "\"text\":\"\"}}\n\n");
      appendSse(out, "ping");
      out.append("{\"type\": \"ping\"}\n\n");
      return;
    case ApiPath::kResponses:
      // What the Responses API sends before the first text delta; the SDKs' stream helpers
      // build the output item and its content part from the *.added events.
      appendResponsesEvent(out, "response.created", 0);
      out.append(",\"response\":");
      appendResponseObject(out, ctx, "in_progress", 0, [] {});
      out.append("}\n\n");
      appendResponsesEvent(out, "response.in_progress", 1);
      out.append(",\"response\":");
      appendResponseObject(out, ctx, "in_progress", 0, [] {});
      out.append("}\n\n");
      appendResponsesEvent(out, "response.output_item.added", 2);
      out.append(",\"output_index\":0,\"item\":");
      appendMessageItem(out, ctx, 0, false);
      out.append("}\n\n");
      appendResponsesEvent(out, "response.content_part.added", 3);
      appendResponsesItemRef(out, ctx, true);
      out.append(",\"part\":");
      appendOutputTextPart(out, [&] { out.append("\"\""); });
      out.append("}\n\n");
      return;
    case ApiPath::kCompletions:
    case ApiPath::kEmbeddings:
    case ApiPath::kMessagesCountTokens:
    case ApiPath::kCount:
      return;
  }
}

void appendStreamChunk(std::string& out, const ResponseContext& ctx, int index) {
  switch (ctx.path) {
    case ApiPath::kChatCompletions:
      out.append("data: ");
      appendOpenAiHead(out, "chatcmpl-mock-", "chat.completion.chunk", ctx);
      out.append(
          ",\"system_fingerprint\":\"fp_mock\",\"choices\":[{\"index\":0,\"delta\":{"
          "\"content\":");
      appendChunkText(out, index);
      out.append("},\"logprobs\":null,\"finish_reason\":null}]");
      out.append(ctx.includeUsage ? ",\"usage\":null}\n\n" : "}\n\n");
      return;
    case ApiPath::kCompletions:
      out.append("data: ");
      appendOpenAiHead(out, "cmpl-mock-", "text_completion", ctx);
      out.append(",\"choices\":[{\"text\":");
      appendChunkText(out, index);
      out.append(",\"index\":0,\"logprobs\":null,\"finish_reason\":null}]");
      out.append(ctx.includeUsage ? ",\"usage\":null}\n\n" : "}\n\n");
      return;
    case ApiPath::kMessages:
      appendSse(out, "content_block_delta");
      out.append(
          "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\","
          "\"text\":");
      appendChunkText(out, index);
      out.append("}}\n\n");
      return;
    case ApiPath::kResponses:
      appendResponsesEvent(out, "response.output_text.delta", kResponsesHeadEvents + index);
      appendResponsesItemRef(out, ctx, true);
      out.append(",\"delta\":");
      appendChunkText(out, index);
      out.append(",\"logprobs\":[]}\n\n");
      return;
    case ApiPath::kEmbeddings:
    case ApiPath::kMessagesCountTokens:
    case ApiPath::kCount:
      return;
  }
}

void appendStreamTail(std::string& out, const ResponseContext& ctx, int chunks) {
  switch (ctx.path) {
    case ApiPath::kChatCompletions:
    case ApiPath::kCompletions: {
      const bool chat = ctx.path == ApiPath::kChatCompletions;
      const std::string_view prefix = chat ? "chatcmpl-mock-" : "cmpl-mock-";
      const std::string_view object = chat ? "chat.completion.chunk" : "text_completion";
      out.append("data: ");
      appendOpenAiHead(out, prefix, object, ctx);
      out.append(chat ? ",\"system_fingerprint\":\"fp_mock\",\"choices\":[{\"index\":0,\"delta\":{}"
                      : ",\"choices\":[{\"text\":\"\",\"index\":0");
      out.append(",\"logprobs\":null,\"finish_reason\":\"stop\"}]");
      out.append(ctx.includeUsage ? ",\"usage\":null}\n\n" : "}\n\n");
      if (ctx.includeUsage) {
        out.append("data: ");
        appendOpenAiHead(out, prefix, object, ctx);
        out.append(chat ? ",\"system_fingerprint\":\"fp_mock\",\"choices\":[],"
                        : ",\"choices\":[],");
        appendOpenAiUsage(out, chunks);
        out.append("}\n\n");
      }
      out.append("data: [DONE]\n\n");
      return;
    }
    case ApiPath::kMessages:
      appendSse(out, "content_block_stop");
      out.append("{\"type\":\"content_block_stop\",\"index\":0}\n\n");
      appendSse(out, "message_delta");
      out.append(
          "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\","
          "\"stop_sequence\":null},\"usage\":{\"output_tokens\":");
      appendInt(out, chunks);
      out.append("}}\n\n");
      appendSse(out, "message_stop");
      out.append("{\"type\":\"message_stop\"}\n\n");
      return;
    case ApiPath::kResponses: {
      const int seq = kResponsesHeadEvents + chunks;
      appendResponsesEvent(out, "response.output_text.done", seq);
      appendResponsesItemRef(out, ctx, true);
      out.append(",\"text\":");
      appendStreamedText(out, chunks);
      out.append(",\"logprobs\":[]}\n\n");
      appendResponsesEvent(out, "response.content_part.done", seq + 1);
      appendResponsesItemRef(out, ctx, true);
      out.append(",\"part\":");
      appendOutputTextPart(out, [&] { appendStreamedText(out, chunks); });
      out.append("}\n\n");
      appendResponsesEvent(out, "response.output_item.done", seq + 2);
      out.append(",\"output_index\":0,\"item\":");
      appendMessageItem(out, ctx, chunks, true);
      out.append("}\n\n");
      appendResponsesEvent(out, "response.completed", seq + 3);
      out.append(",\"response\":");
      appendResponseObject(out, ctx, "completed", chunks, [&] { appendStreamedText(out, chunks); });
      out.append("}\n\n");
      return;
    }
    case ApiPath::kEmbeddings:
    case ApiPath::kMessagesCountTokens:
    case ApiPath::kCount:
      return;
  }
}

}  // namespace slotgate::mock
