// The bundled mock provider, exercised through the harness: response shapes and usage, SSE
// event order, failure modes, runtime control, stats under concurrency, cancellation, threads
// and TLS.
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <thread>

#include "tests/integration/harness.h"

namespace slotgate::testing {
namespace {

const Headers kJson = {{"Content-Type", "application/json"}};

Headers with(Headers extra) {
  Headers all = kJson;
  all.insert(all.end(), extra.begin(), extra.end());
  return all;
}

TEST(MockProvider, ChatCompletionShapeUsageAndLastRequest) {
  MockProvider mock;
  const auto response =
      request("POST", mock.url("/v1/chat/completions"), with({{"X-Custom-Thing", "abc"}}),
              R"({"model":"gpt-test","messages":[{"role":"user","content":"hi"}]})");
  ASSERT_TRUE(response.ok()) << response.error;
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.header("content-type"), "application/json");
  const auto body = response.json();
  EXPECT_EQ(body["object"], "chat.completion");
  EXPECT_EQ(body["model"], "gpt-test");
  EXPECT_EQ(body["choices"][0]["message"]["role"], "assistant");
  EXPECT_EQ(body["choices"][0]["finish_reason"], "stop");
  EXPECT_EQ(body["usage"]["prompt_tokens"], 10);
  EXPECT_EQ(body["usage"]["completion_tokens"], 5);
  EXPECT_EQ(body["usage"]["total_tokens"], 15);
  EXPECT_EQ(body["usage"]["prompt_tokens_details"]["cached_tokens"], 2);

  const auto stats = mock.stats();
  EXPECT_EQ(stats["requests"], 1);
  EXPECT_EQ(stats["by_path"]["/v1/chat/completions"], 1);
  EXPECT_EQ(stats["inflight"], 0);
  const auto& last = stats["last_request"];
  EXPECT_EQ(last["method"], "POST");
  EXPECT_EQ(last["path"], "/v1/chat/completions");
  EXPECT_EQ(last["headers"]["x-custom-thing"], "abc");
  EXPECT_EQ(last["body"], R"({"model":"gpt-test","messages":[{"role":"user","content":"hi"}]})");
}

TEST(MockProvider, OtherEndpointShapes) {
  MockProvider mock;
  auto completion = request("POST", mock.url("/v1/completions"), kJson, R"({"model":"m1"})");
  EXPECT_EQ(completion.status, 200);
  EXPECT_EQ(completion.json()["object"], "text_completion");
  EXPECT_EQ(completion.json()["model"], "m1");
  EXPECT_EQ(completion.json()["usage"]["completion_tokens"], 5);

  auto embeddings =
      request("POST", mock.url("/v1/embeddings"), kJson, R"({"model":"e1","input":["a","b"]})");
  EXPECT_EQ(embeddings.status, 200);
  EXPECT_EQ(embeddings.json()["object"], "list");
  EXPECT_EQ(embeddings.json()["data"].size(), 2u);
  EXPECT_EQ(embeddings.json()["data"][1]["object"], "embedding");
  EXPECT_EQ(embeddings.json()["usage"]["prompt_tokens"], 10);
  EXPECT_EQ(embeddings.json()["usage"]["total_tokens"], 10);

  auto responses = request("POST", mock.url("/v1/responses"), kJson, R"({"model":"r1"})");
  EXPECT_EQ(responses.status, 200);
  const auto r = responses.json();
  EXPECT_EQ(r["object"], "response");
  EXPECT_EQ(r["status"], "completed");
  EXPECT_EQ(r["model"], "r1");
  EXPECT_EQ(r["usage"]["input_tokens"], 10);
  EXPECT_EQ(r["usage"]["output_tokens"], 5);
  EXPECT_EQ(r["usage"]["input_tokens_details"]["cached_tokens"], 2);

  auto messages = request("POST", mock.url("/v1/messages"), kJson,
                          R"({"model":"claude-x","max_tokens":10,"messages":[]})");
  EXPECT_EQ(messages.status, 200);
  const auto m = messages.json();
  EXPECT_EQ(m["type"], "message");
  EXPECT_EQ(m["model"], "claude-x");
  EXPECT_EQ(m["content"][0]["type"], "text");
  EXPECT_EQ(m["usage"]["input_tokens"], 10);
  EXPECT_EQ(m["usage"]["output_tokens"], 5);
  EXPECT_EQ(m["usage"]["cache_read_input_tokens"], 2);
  EXPECT_EQ(m["usage"]["cache_creation_input_tokens"], 1);

  const auto stats = mock.stats();
  EXPECT_EQ(stats["requests"], 4);
  EXPECT_EQ(stats["by_path"]["/v1/messages"], 1);
  EXPECT_EQ(stats["by_path"]["/v1/embeddings"], 1);
}

TEST(MockProvider, BodyBytesPadsResponse) {
  MockProvider mock;
  const auto response = request("POST", mock.url("/v1/chat/completions"),
                                with({{"x-mock-body-bytes", "200000"}}), R"({"model":"m"})");
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body.size(), 200000u);
  EXPECT_TRUE(response.json().is_object());
}

TEST(MockProvider, BadBodyGets400InPathFormat) {
  MockProvider mock;
  const auto openai = request("POST", mock.url("/v1/chat/completions"), kJson, "not json");
  EXPECT_EQ(openai.status, 400);
  EXPECT_EQ(openai.json()["error"]["type"], "invalid_request_error");
  const auto anthropic = request("POST", mock.url("/v1/messages"), kJson, R"({"stream":true})");
  EXPECT_EQ(anthropic.status, 400);
  EXPECT_EQ(anthropic.json()["type"], "error");
  EXPECT_EQ(anthropic.json()["error"]["type"], "invalid_request_error");
}

TEST(MockProvider, OpenAiStreamWithIncludeUsage) {
  MockProvider mock;
  const auto response =
      streamRequest("POST", mock.url("/v1/chat/completions"), with({{"x-mock-chunks", "4"}}),
                    R"({"model":"gpt-s","stream":true,"stream_options":{"include_usage":true}})");
  ASSERT_TRUE(response.cleanEnd()) << response.error;
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.header("content-type"), "text/event-stream");
  EXPECT_EQ(response.header("transfer-encoding"), "chunked");
  const auto events = parseSse(response.body);
  // role chunk, 4 content chunks, finish chunk, usage chunk, [DONE]
  ASSERT_EQ(events.size(), 8u);
  const auto first = nlohmann::json::parse(events[0].data);
  EXPECT_EQ(first["object"], "chat.completion.chunk");
  EXPECT_EQ(first["model"], "gpt-s");
  EXPECT_EQ(first["choices"][0]["delta"]["role"], "assistant");
  for (int i = 0; i < 4; ++i) {
    const auto chunk = nlohmann::json::parse(events[1 + i].data);
    EXPECT_EQ(chunk["choices"][0]["delta"]["content"], "tok" + std::to_string(i) + " ");
    EXPECT_TRUE(chunk["usage"].is_null());
  }
  EXPECT_EQ(nlohmann::json::parse(events[5].data)["choices"][0]["finish_reason"], "stop");
  const auto usage = nlohmann::json::parse(events[6].data);
  EXPECT_TRUE(usage["choices"].empty());
  EXPECT_EQ(usage["usage"]["prompt_tokens"], 10);
  EXPECT_EQ(usage["usage"]["completion_tokens"], 4);
  EXPECT_EQ(usage["usage"]["total_tokens"], 14);
  EXPECT_EQ(usage["usage"]["prompt_tokens_details"]["cached_tokens"], 2);
  EXPECT_EQ(events[7].data, "[DONE]");
}

TEST(MockProvider, OpenAiStreamWithoutIncludeUsageHasNoUsageChunk) {
  MockProvider mock;
  const auto response = streamRequest("POST", mock.url("/v1/chat/completions"), kJson,
                                      R"({"model":"gpt-s","stream":true})");
  ASSERT_TRUE(response.cleanEnd()) << response.error;
  const auto events = parseSse(response.body);
  ASSERT_EQ(events.size(), 6u);  // role, 3 content (default), finish, [DONE]
  for (size_t i = 0; i + 1 < events.size(); ++i) {
    EXPECT_FALSE(nlohmann::json::parse(events[i].data).contains("usage")) << events[i].data;
  }
  EXPECT_EQ(events.back().data, "[DONE]");
}

TEST(MockProvider, AnthropicStreamEventOrderAndUsage) {
  MockProvider mock;
  const auto response = streamRequest("POST", mock.url("/v1/messages"), kJson,
                                      R"({"model":"claude-s","stream":true,"max_tokens":5})");
  ASSERT_TRUE(response.cleanEnd()) << response.error;
  const auto events = parseSse(response.body);
  std::vector<std::string> names;
  for (const auto& event : events) {
    names.push_back(event.event);
    EXPECT_EQ(nlohmann::json::parse(event.data)["type"], event.event);
  }
  const std::vector<std::string> expected = {
      "message_start",       "content_block_start", "ping",
      "content_block_delta", "content_block_delta", "content_block_delta",
      "content_block_stop",  "message_delta",       "message_stop"};
  EXPECT_EQ(names, expected);
  const auto start = nlohmann::json::parse(events[0].data);
  EXPECT_EQ(start["message"]["model"], "claude-s");
  EXPECT_EQ(start["message"]["usage"]["input_tokens"], 10);
  EXPECT_EQ(start["message"]["usage"]["cache_read_input_tokens"], 2);
  EXPECT_EQ(start["message"]["usage"]["cache_creation_input_tokens"], 1);
  EXPECT_EQ(nlohmann::json::parse(events[7].data)["usage"]["output_tokens"], 3);
}

TEST(MockProvider, ResponsesStreamSendsEveryEventOfTheApi) {
  MockProvider mock;
  const auto response =
      streamRequest("POST", mock.url("/v1/responses"), with({{"x-mock-chunks", "2"}}),
                    R"({"model":"r-s","stream":true})");
  ASSERT_TRUE(response.cleanEnd()) << response.error;
  const auto events = parseSse(response.body);
  std::vector<std::string> names;
  for (size_t i = 0; i < events.size(); ++i) {
    names.push_back(events[i].event);
    const auto data = nlohmann::json::parse(events[i].data);
    EXPECT_EQ(data["type"], events[i].event);
    EXPECT_EQ(data["sequence_number"], i);
  }
  const std::vector<std::string> expected = {
      "response.created",           "response.in_progress",
      "response.output_item.added", "response.content_part.added",
      "response.output_text.delta", "response.output_text.delta",
      "response.output_text.done",  "response.content_part.done",
      "response.output_item.done",  "response.completed"};
  ASSERT_EQ(names, expected);
  const auto added = nlohmann::json::parse(events[2].data);
  EXPECT_EQ(added["item"]["type"], "message");
  EXPECT_EQ(added["item"]["status"], "in_progress");
  EXPECT_EQ(nlohmann::json::parse(events[3].data)["part"]["type"], "output_text");
  EXPECT_EQ(nlohmann::json::parse(events[6].data)["text"], "tok0 tok1 ");
  EXPECT_EQ(nlohmann::json::parse(events[8].data)["item"]["content"][0]["text"], "tok0 tok1 ");
  const auto done = nlohmann::json::parse(events[9].data);
  EXPECT_EQ(done["response"]["status"], "completed");
  EXPECT_EQ(done["response"]["output"][0]["content"][0]["text"], "tok0 tok1 ");
  EXPECT_EQ(done["response"]["usage"]["input_tokens"], 10);
  EXPECT_EQ(done["response"]["usage"]["output_tokens"], 2);
}

TEST(MockProvider, CountTokensAnswersInputTokensInAnthropicFormat) {
  MockProvider mock;
  auto response = request("POST", mock.url("/v1/messages/count_tokens"), {},
                          R"({"model":"claude-c","stream":true,"messages":[]})");
  ASSERT_EQ(response.status, 200);
  EXPECT_EQ(response.json(), nlohmann::json::parse(R"({"input_tokens":10})"));
  response = request("POST", mock.url("/v1/messages/count_tokens"), {}, R"({"messages":[]})");
  EXPECT_EQ(response.status, 400);
  EXPECT_EQ(response.json()["type"], "error");
  EXPECT_EQ(mock.stats()["by_path"]["/v1/messages/count_tokens"], 2);
}

TEST(MockProvider, StreamChunksArriveSpreadInTime) {
  MockProvider mock;
  const auto response = streamRequest("POST", mock.url("/v1/chat/completions"),
                                      with({{"x-mock-chunks", "3"}, {"x-mock-delay-ms", "150"}}),
                                      R"({"model":"m","stream":true})");
  ASSERT_TRUE(response.cleanEnd()) << response.error;
  ASSERT_GE(response.chunks.size(), 2u);
  // The role chunk comes with the headers; the three content chunks follow 150 ms apart.
  EXPECT_GE(response.chunks.back().at - response.chunks.front().at, 400ms);
  EXPECT_GE(response.finished - response.started, 450ms);
  EXPECT_EQ(response.chunks.front().data.find("tok0"), std::string::npos);
}

TEST(MockProvider, LatencyDelaysTheHeaders) {
  MockProvider mock;
  const auto started = Clock::now();
  const auto response = request("POST", mock.url("/v1/chat/completions"),
                                with({{"x-mock-latency-ms", "300"}}), R"({"model":"m"})");
  EXPECT_EQ(response.status, 200);
  EXPECT_GE(Clock::now() - started, 300ms);
}

TEST(MockProvider, ErrorStatusesUseThePathFormat) {
  MockProvider mock;
  const auto openai500 = request("POST", mock.url("/v1/chat/completions"),
                                 with({{"x-mock-fail", "500"}}), R"({"model":"m"})");
  EXPECT_EQ(openai500.status, 500);
  EXPECT_EQ(openai500.json()["error"]["type"], "server_error");
  EXPECT_TRUE(openai500.json()["error"].contains("message"));

  const auto anthropic500 =
      request("POST", mock.url("/v1/messages"), with({{"x-mock-fail", "500"}}), R"({"model":"m"})");
  EXPECT_EQ(anthropic500.status, 500);
  EXPECT_EQ(anthropic500.json()["type"], "error");
  EXPECT_EQ(anthropic500.json()["error"]["type"], "api_error");

  const auto limited = request("POST", mock.url("/v1/chat/completions"),
                               with({{"x-mock-fail", "429"}}), R"({"model":"m"})");
  EXPECT_EQ(limited.status, 429);
  EXPECT_EQ(limited.header("retry-after"), "1");
  EXPECT_EQ(limited.json()["error"]["type"], "rate_limit_error");

  const auto bad =
      request("POST", mock.url("/v1/messages"), with({{"x-mock-fail", "400"}}), R"({"model":"m"})");
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.json()["error"]["type"], "invalid_request_error");

  const auto unauthorized =
      request("POST", mock.url("/v1/messages"), with({{"x-mock-fail", "401"}}), R"({"model":"m"})");
  EXPECT_EQ(unauthorized.status, 401);
  EXPECT_EQ(unauthorized.json()["error"]["type"], "authentication_error");

  // A streaming request fails the same way, before any event.
  const auto streamFail = request("POST", mock.url("/v1/chat/completions"),
                                  with({{"x-mock-fail", "500"}}), R"({"model":"m","stream":true})");
  EXPECT_EQ(streamFail.status, 500);
  EXPECT_EQ(streamFail.header("content-type"), "application/json");
}

TEST(MockProvider, DropBreaksTheChunkedStream) {
  MockProvider mock;
  const auto response = streamRequest("POST", mock.url("/v1/chat/completions"),
                                      with({{"x-mock-fail", "drop"}, {"x-mock-chunks", "5"}}),
                                      R"({"model":"m","stream":true})");
  EXPECT_EQ(response.status, 200);
  EXPECT_FALSE(response.cleanEnd());
  EXPECT_EQ(response.curlCode, kCurlPartialFile) << response.error;
  EXPECT_NE(response.body.find("tok0"), std::string::npos);
  EXPECT_EQ(response.body.find("tok1"), std::string::npos);
  EXPECT_EQ(response.body.find("[DONE]"), std::string::npos);
  EXPECT_TRUE(eventually([&] { return mock.stats()["inflight"] == 0; }));
}

TEST(MockProvider, DropAndCloseWithoutResponse) {
  MockProvider mock;
  const auto dropped = request("POST", mock.url("/v1/chat/completions"),
                               with({{"x-mock-fail", "drop"}}), R"({"model":"m"})");
  EXPECT_EQ(dropped.curlCode, kCurlGotNothing) << dropped.error;
  const auto closed = request("POST", mock.url("/v1/messages"), with({{"x-mock-fail", "close"}}),
                              R"({"model":"m","stream":true})");
  EXPECT_EQ(closed.curlCode, kCurlGotNothing) << closed.error;
  const auto stats = mock.stats();
  EXPECT_EQ(stats["requests"], 2);
  EXPECT_EQ(stats["inflight"], 0);
  EXPECT_EQ(stats["cancelled"], 0);
}

TEST(MockProvider, HangIsCancelledWhenTheClientGivesUp) {
  MockProvider mock;
  const auto response = request("POST", mock.url("/v1/chat/completions"),
                                with({{"x-mock-fail", "hang"}}), R"({"model":"m"})", 300ms);
  EXPECT_EQ(response.curlCode, kCurlTimeout);
  EXPECT_TRUE(eventually([&] {
    const auto stats = mock.stats();
    return stats["inflight"] == 0 && stats["cancelled"] == 1;
  })) << mock.stats().dump();
}

TEST(MockProvider, FailNextCountsDownThenRecovers) {
  MockProvider mock;
  mock.failNext("500", 2);
  const std::string url = mock.url("/v1/chat/completions");
  EXPECT_EQ(request("POST", url, kJson, R"({"model":"m"})").status, 500);
  EXPECT_EQ(request("POST", url, kJson, R"({"model":"m"})").status, 500);
  EXPECT_EQ(request("POST", url, kJson, R"({"model":"m"})").status, 200);

  mock.failNext("429", 3);
  EXPECT_EQ(request("POST", url, kJson, R"({"model":"m"})").status, 429);
  mock.reset();  // clears the remaining two
  EXPECT_EQ(request("POST", url, kJson, R"({"model":"m"})").status, 200);
  const auto stats = mock.stats();
  EXPECT_EQ(stats["requests"], 1);
  EXPECT_EQ(stats["last_request"]["path"], "/v1/chat/completions");

  const auto bad = request("POST", mock.url("/mock/fail-next"), kJson, R"({"mode":"nope"})");
  EXPECT_EQ(bad.status, 400);
}

TEST(MockProvider, FailFlagBreaksEveryRequest) {
  MockProvider mock({"--fail", "500"});
  for (int i = 0; i < 3; ++i) {
    const auto response = request("POST", mock.url("/v1/messages"), kJson, R"({"model":"claude"})");
    EXPECT_EQ(response.status, 500);
    EXPECT_EQ(response.json()["error"]["type"], "api_error");
  }
}

TEST(MockProvider, InflightAndMaxInflightWithParallelRequests) {
  MockProvider mock;
  std::vector<std::thread> clients;
  std::atomic<int> ok{0};
  for (int i = 0; i < 5; ++i) {
    clients.emplace_back([&] {
      const auto response = request("POST", mock.url("/v1/chat/completions"),
                                    with({{"x-mock-delay-ms", "1500"}}), R"({"model":"m"})");
      ok += response.status == 200 ? 1 : 0;
    });
  }
  EXPECT_TRUE(eventually([&] { return mock.stats()["inflight"] == 5; }));
  for (auto& client : clients) {
    client.join();
  }
  EXPECT_EQ(ok.load(), 5);
  const auto stats = mock.stats();
  EXPECT_EQ(stats["inflight"], 0);
  EXPECT_EQ(stats["max_inflight"], 5);
  EXPECT_EQ(stats["requests"], 5);
  EXPECT_EQ(stats["cancelled"], 0);
  mock.reset();
  EXPECT_EQ(mock.stats()["max_inflight"], 0);
}

TEST(MockProvider, ClientAbortMidStreamCountsCancelled) {
  MockProvider mock;
  StreamOptions abort;
  abort.abortWhen = [](const std::string& body) { return body.find("tok1") != body.npos; };
  const auto response = streamRequest("POST", mock.url("/v1/chat/completions"),
                                      with({{"x-mock-chunks", "50"}, {"x-mock-delay-ms", "50"}}),
                                      R"({"model":"m","stream":true})", 30s, abort);
  EXPECT_TRUE(response.aborted);
  EXPECT_EQ(response.curlCode, kCurlWriteError);
  EXPECT_TRUE(eventually([&] {
    const auto stats = mock.stats();
    return stats["inflight"] == 0 && stats["cancelled"] == 1;
  })) << mock.stats().dump();
  // The mock keeps serving after the cancellation.
  EXPECT_EQ(request("POST", mock.url("/v1/chat/completions"), kJson, R"({"model":"m"})").status,
            200);
}

TEST(MockProvider, CancelDuringLatencyIsCounted) {
  MockProvider mock;
  const auto response =
      streamRequest("POST", mock.url("/v1/messages"), with({{"x-mock-latency-ms", "5000"}}),
                    R"({"model":"m","stream":true})", 300ms);
  EXPECT_EQ(response.curlCode, kCurlTimeout);
  EXPECT_TRUE(eventually([&] { return mock.stats()["cancelled"] == 1; }));
  EXPECT_EQ(mock.stats()["inflight"], 0);
}

TEST(MockProvider, TwoThreadsServeConcurrently) {
  MockProvider mock({"--threads", "2"});
  std::vector<std::thread> clients;
  std::atomic<int> ok{0};
  for (int t = 0; t < 4; ++t) {
    clients.emplace_back([&] {
      for (int i = 0; i < 10; ++i) {
        const auto response = request("POST", mock.url("/v1/chat/completions"),
                                      with({{"x-mock-delay-ms", "5"}}), R"({"model":"m"})");
        ok += response.status == 200 ? 1 : 0;
      }
    });
  }
  for (auto& client : clients) {
    client.join();
  }
  EXPECT_EQ(ok.load(), 40);
  const auto stats = mock.stats();
  EXPECT_EQ(stats["requests"], 40);
  EXPECT_EQ(stats["inflight"], 0);
  EXPECT_EQ(stats["last_request"]["path"], "/v1/chat/completions");
}

TEST(MockProvider, TlsServesHttps) {
  TempDir dir;
  const auto [cert, key] = makeSelfSignedCert(dir);

  MockProvider mock({"--tls-cert", cert, "--tls-key", key});
  EXPECT_TRUE(mock.tls());
  EXPECT_EQ(mock.baseUrl().rfind("https://", 0), 0u);
  ClientOptions verified;
  verified.caFile = cert;
  const auto response = request("POST", mock.url("/v1/chat/completions"), kJson,
                                R"({"model":"tls-model"})", 10s, verified);
  ASSERT_TRUE(response.ok()) << response.error;
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.json()["model"], "tls-model");

  const auto stream =
      streamRequest("POST", mock.url("/v1/messages"), kJson, R"({"model":"m","stream":true})");
  EXPECT_TRUE(stream.cleanEnd()) << stream.error;
  EXPECT_EQ(parseSse(stream.body).back().event, "message_stop");
  EXPECT_EQ(mock.stats()["requests"], 2);
}

TEST(MockProvider, UnknownPathIs404AndStatsIgnoresIt) {
  MockProvider mock;
  const auto response = request("GET", mock.url("/nope"));
  EXPECT_EQ(response.status, 404);
  EXPECT_EQ(response.json()["error"]["type"], "invalid_request_error");
  EXPECT_EQ(mock.stats()["requests"], 0);
}

TEST(MockProvider, SigtermExitsZero) {
  MockProvider mock;
  ASSERT_TRUE(mock.process().signal(SIGTERM));
  EXPECT_EQ(mock.process().waitExit(10s), 0);
}

TEST(Harness, RawExchangeAndClosedWithin) {
  MockProvider mock;
  const std::string reply =
      rawExchange(mock.port(), "GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 5s);
  EXPECT_EQ(reply.rfind("HTTP/1.1 200", 0), 0u) << reply;
  std::string received;
  EXPECT_TRUE(rawConnectionClosedWithin(
      mock.port(), "GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 5s, &received));
  EXPECT_NE(received.find("\"ok\":true"), std::string::npos);
  // An idle keep-alive connection stays open.
  EXPECT_FALSE(rawConnectionClosedWithin(mock.port(), "", 200ms));
}

TEST(Harness, ProcessCapturesOutputAndExitStatus) {
  Process echo({"/bin/sh", "-c", "echo out-line; echo err-line >&2; echo \"$HARNESS_X\"; exit 3"},
               {{"HARNESS_X", "from-env"}});
  EXPECT_EQ(echo.waitExit(5s), 3);
  EXPECT_TRUE(echo.waitForLine(Stream::kStdout, "out-line", 1s));
  EXPECT_TRUE(echo.waitForLine(Stream::kStderr, "err-line", 1s));
  EXPECT_TRUE(echo.waitForLineRegex(Stream::kStdout, "^from-e.v$", 1s));
  EXPECT_FALSE(echo.waitForLine(Stream::kStdout, "never", 50ms));

  Process sleeper({"sleep", "30"});
  EXPECT_TRUE(sleeper.running());
  EXPECT_FALSE(sleeper.waitExit(50ms).has_value());
  EXPECT_TRUE(sleeper.signal(SIGKILL));
  EXPECT_EQ(sleeper.waitExit(5s), 128 + SIGKILL);

  TempDir dir;
  const std::string file = dir.writeFile("a.txt", "hello");
  Process cat({"cat", file});
  EXPECT_EQ(cat.waitExit(5s), 0);
  EXPECT_EQ(cat.stdoutText(), "hello");
}

TEST(Harness, ParseSseHandlesCrlfAndMultilineData) {
  const auto events =
      parseSse("event: a\r\ndata: x\r\ndata: y\r\n\r\n: comment\n\ndata: z\n\ndata: partial");
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].event, "a");
  EXPECT_EQ(events[0].data, "x\ny");
  EXPECT_EQ(events[1].event, "");
  EXPECT_EQ(events[1].data, "z");
}

}  // namespace
}  // namespace slotgate::testing
