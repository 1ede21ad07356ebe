// One call of the real OpenAI or Anthropic Node SDK against slotgate, for
// tests/integration/sdk_clients_test.cc. Prints one JSON line with what the test checks and
// exits 0; an unexpected exception exits 1 with its message on stderr.
//
//   node sdk_calls.mjs CASE BASE_URL API_KEY
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';

const [caseName, baseUrl, apiKey] = process.argv.slice(2);
const common = { apiKey, maxRetries: 0, timeout: 20_000 };
const openai = () => new OpenAI({ ...common, baseURL: `${baseUrl}/v1` });
const anthropic = () => new Anthropic({ ...common, baseURL: baseUrl });

// What an SDK error exposes: its class, status, request id and error body type/code.
function describeError(err) {
  const body = err.error ?? {};
  return {
    class: err.constructor.name,
    status: err.status,
    requestID: err.requestID ?? null,
    type: body.type === 'error' ? body.error?.type : body.type ?? err.type ?? null,
    code: err.code ?? body.error?.code ?? null,
  };
}

// An 11 MiB prompt: over the gateway's max_request_body (10 MiB in the tests), so the
// gateway answers (413, or 401 for a wrong key) before it has read the upload.
const hugePrompt = () => 'x'.repeat(11 << 20);

// An upload answered early: what error the SDK surfaced. With the SDK's default retries (2),
// a connection error would have been retried (and the body uploaded again).
async function uploadError(call) {
  try {
    await call();
    return { thrown: false };
  } catch (err) {
    return { ...describeError(err), cause: err.cause?.code ?? err.cause?.message ?? null };
  }
}

const cases = {
  // client.models.retrieve(id): GET /v1/models/{id}.
  'models-retrieve': async () => {
    const model = await openai().models.retrieve('gt');
    return { id: model.id, object: model.object, owned_by: model.owned_by };
  },
  'models-retrieve-missing': async () => {
    try {
      await openai().models.retrieve('no-such-model');
      return { thrown: false };
    } catch (err) {
      return describeError(err);
    }
  },
  // messages.countTokens: POST /v1/messages/count_tokens.
  'count-tokens': async () => {
    const result = await anthropic().messages.countTokens({
      model: 'ct',
      messages: [{ role: 'user', content: 'Hello' }],
    });
    return { input_tokens: result.input_tokens };
  },
  // responses.stream().finalResponse(): the SDK rebuilds the response from the stream events.
  'responses-stream': async () => {
    const stream = openai().responses.stream({ model: 'gpt-test', input: 'Hello' });
    const events = [];
    stream.on('event', (event) => events.push(event.type));
    const response = await stream.finalResponse();
    return {
      status: response.status,
      output_text: response.output_text,
      input_tokens: response.usage?.input_tokens,
      output_tokens: response.usage?.output_tokens,
      events,
    };
  },
  // An Anthropic SDK error carries slotgate's request id (read from `request-id`).
  'anthropic-error': async () => {
    try {
      await anthropic().messages.create({
        model: 'no-such-model',
        max_tokens: 8,
        messages: [{ role: 'user', content: 'Hello' }],
      });
      return { thrown: false };
    } catch (err) {
      return describeError(err);
    }
  },
  // And a successful Anthropic call exposes it as _request_id.
  'anthropic-message': async () => {
    const message = await anthropic().messages.create({
      model: 'ct',
      max_tokens: 8,
      messages: [{ role: 'user', content: 'Hello' }],
    });
    return { model: message.model, request_id: message._request_id ?? null };
  },
  // chat.completions.create with an 11 MiB body (the OpenAI SDK's fetch upload path).
  'openai-upload': () =>
    uploadError(() =>
      new OpenAI({ ...common, maxRetries: 2, baseURL: `${baseUrl}/v1` }).chat.completions.create({
        model: 'gpt-test',
        messages: [{ role: 'user', content: hugePrompt() }],
      }),
    ),
  // messages.create with an 11 MiB body (the Anthropic SDK's upload path).
  'anthropic-upload': () =>
    uploadError(() =>
      new Anthropic({ ...common, maxRetries: 2, baseURL: baseUrl }).messages.create({
        model: 'ct',
        max_tokens: 8,
        messages: [{ role: 'user', content: hugePrompt() }],
      }),
    ),
};

const run = cases[caseName];
if (!run) {
  console.error(`unknown case ${caseName}; known: ${Object.keys(cases).join(', ')}`);
  process.exit(2);
}
try {
  console.log(JSON.stringify(await run()));
} catch (err) {
  console.error(err?.stack ?? String(err));
  process.exit(1);
}
