// Streams one chat completion through slotgate with the real OpenAI Node SDK and prints what
// the SDK handed to the caller, as one JSON line, for tests/integration/sdk_stream_usage_test.cc.
//
//   SLOTGATE_BASE_URL=http://127.0.0.1:PORT/v1 SLOTGATE_KEY=... SLOTGATE_MODEL=... \
//     node openai_stream.mjs default|include_usage|other_stream_options [x-mock-chunks]
import OpenAI from "openai";

const [mode = "default", chunks = "3"] = process.argv.slice(2);
const client = new OpenAI({
  baseURL: process.env.SLOTGATE_BASE_URL,
  apiKey: process.env.SLOTGATE_KEY,
  maxRetries: 0,
  timeout: 60_000,
});

const body = {
  model: process.env.SLOTGATE_MODEL,
  messages: [{ role: "user", content: "hi" }],
  stream: true,
};
if (mode === "include_usage") {
  body.stream_options = { include_usage: true };
} else if (mode === "other_stream_options") {
  body.stream_options = { include_obfuscation: false };
}

const stream = await client.chat.completions.create(body, {
  headers: { "x-mock-chunks": chunks, "x-request-id": "sdk-" + mode },
});
const out = { chunks: 0, usage_chunks: 0, usage: null, content: "", non_null_usage_fields: 0 };
for await (const chunk of stream) {
  out.chunks += 1;
  if (chunk.usage) {
    out.non_null_usage_fields += 1;
  }
  if (chunk.choices.length === 0 && chunk.usage) {
    out.usage_chunks += 1;
    out.usage = chunk.usage;
  }
  for (const choice of chunk.choices) {
    out.content += choice.delta?.content ?? "";
  }
}
console.log(JSON.stringify(out));
