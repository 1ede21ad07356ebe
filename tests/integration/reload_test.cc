// Hot reload (SPEC section 7) through the real binary: POST /admin/reload and SIGHUP.
#include <gtest/gtest.h>

#include <atomic>
#include <csignal>
#include <future>
#include <thread>
#include <vector>

#include "tests/integration/gateway_fixture.h"

namespace slotgate::testing {
namespace {

HttpResponse reload(const Gateway& gw) {
  return request("POST", gw.adminUrl("/admin/reload"), bearer(gw.config().adminToken), "");
}

int runningVersion(const Gateway& gw) {
  auto r = request("GET", gw.adminUrl("/admin/config"), bearer(gw.config().adminToken));
  return r.status == 200 ? r.json().value("version", -1) : -1;
}

TEST(Reload, AddsAnAliasThatWorksOnTheNextRequest) {
  MockProvider mock;
  GatewayConfig config = standardConfig(mock);
  Gateway gw(config);
  EXPECT_EQ(gw.chat("brand-new-alias").status, 404);

  config.models[0].aliases.push_back("brand-new-alias");
  gw.rewriteConfig(config);
  const HttpResponse r = reload(gw);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["version"], 2);
  EXPECT_EQ(runningVersion(gw), 2);

  const HttpResponse chat = gw.chat("brand-new-alias");
  EXPECT_EQ(chat.status, 200) << chat.body;
  EXPECT_EQ(chat.header("x-slotgate-model"), "gpt-upstream");
}

TEST(Reload, ABrokenFileChangesNothingAndListsEveryError) {
  MockProvider mock;
  GatewayConfig config = standardConfig(mock);
  Gateway gw(config);
  ASSERT_EQ(gw.chat("gt").status, 200);

  std::string broken = config.yaml();
  broken += "surprise_key: 1\n";
  const auto at = broken.find("max_concurrency: 64");
  ASSERT_NE(at, std::string::npos);
  broken.replace(at, std::string("max_concurrency: 64").size(), "max_concurrency: -3");
  gw.rewriteConfigText(broken);

  const HttpResponse r = reload(gw);
  ASSERT_EQ(r.status, 400) << r.body;
  const auto body = r.json();
  ASSERT_TRUE(body["errors"].is_array());
  EXPECT_GE(body["errors"].size(), 2u) << r.body;
  bool saw_unknown = false;
  bool saw_limit = false;
  for (const auto& e : body["errors"]) {
    const std::string path = e["path"];
    saw_unknown |= path == "surprise_key";
    saw_limit |= path.find("max_concurrency") != std::string::npos;
  }
  EXPECT_TRUE(saw_unknown) << r.body;
  EXPECT_TRUE(saw_limit) << r.body;
  // The old config keeps serving, at its old version.
  EXPECT_EQ(gw.chat("gt").status, 200);
  EXPECT_EQ(runningVersion(gw), 1);
  EXPECT_EQ(gw.metricValue("slotgate_config_reloads_total", {{"result", "failure"}}), 1.0);
}

TEST(Reload, SighupReloadsTheSameFile) {
  MockProvider mock;
  GatewayConfig config = standardConfig(mock);
  Gateway gw(config);
  config.models[1].aliases.push_back("hup-alias");
  gw.rewriteConfig(config);
  ASSERT_TRUE(gw.process().signal(SIGHUP));
  EXPECT_TRUE(eventually([&] { return runningVersion(gw) == 2; }, 20s));
  const HttpResponse r =
      gw.post("/v1/messages", R"({"model":"hup-alias","max_tokens":5,"messages":[]})");
  EXPECT_EQ(r.status, 200) << r.body;
}

// A file with absurd numbers (issue 10: a 5,000-digit duration made std::stold throw past the
// YAML catch and abort the process) is answered 400 with the YAML paths, by POST and by
// SIGHUP alike, and the gateway keeps serving on its old config; so is a file too big to read.
TEST(Reload, AbsurdNumbersAreRefusedWhileTheGatewayKeepsServing) {
  MockProvider mock;
  GatewayConfig config = standardConfig(mock);
  const std::string huge(5000, '9');
  config.headerTimeout = huge + "s";
  config.drainTimeout = "1" + huge + "ms";
  config.maxRequestBody = "18446744073709551615";
  config.maxHeaderBytes = huge + "GiB";
  config.providers[0].requestTimeout = huge + ".5h";
  const std::string absurd = config.yaml();
  Gateway gw(standardConfig(mock));
  ASSERT_EQ(gw.chat("gt").status, 200);

  gw.rewriteConfigText(absurd);
  const HttpResponse r = reload(gw);
  ASSERT_EQ(r.status, 400) << r.body.substr(0, 2000);
  EXPECT_LT(r.body.size(), 4000u) << "values are quoted cut short, not echoed";
  std::vector<std::string> paths;
  const auto answer = r.json();
  for (const auto& e : answer["errors"]) {
    paths.push_back(e["path"]);
  }
  EXPECT_EQ(paths, (std::vector<std::string>{"server.max_request_body", "server.max_header_bytes",
                                             "server.header_timeout", "server.drain_timeout",
                                             "providers[0].request_timeout"}))
      << r.body;

  // SIGHUP reloads the same file: refused too, and the process is still there.
  ASSERT_TRUE(gw.process().signal(SIGHUP));
  EXPECT_TRUE(eventually(
      [&] {
        return gw.metricValue("slotgate_config_reloads_total", {{"result", "failure"}}) == 2.0;
      },
      10s));
  EXPECT_TRUE(gw.process().running());

  // A file over the size limit is refused without being read whole.
  gw.rewriteConfigText(config.yaml() + "# " + std::string(17 << 20, 'x') + "\n");
  const HttpResponse big = reload(gw);
  EXPECT_EQ(big.status, 400) << big.body.substr(0, 2000);
  EXPECT_NE(big.body.find("larger than"), std::string::npos) << big.body.substr(0, 2000);

  EXPECT_TRUE(gw.process().running());
  EXPECT_EQ(gw.chat("gt").status, 200);
  EXPECT_EQ(runningVersion(gw), 1);
}

// Ten reloads while 200 streams run and a steady client sends requests back to back: no request
// fails, no stream is cut, and every slot is back afterwards.
TEST(Reload, TenReloadsDuringStreamsAndSteadyLoadLoseNothing) {
  MockProvider mock({"--threads", "2"});
  GatewayConfig config = standardConfig(mock);
  config.workers = 2;
  config.clients[0] = makeClient("team-a", kClientKey, 0);  // unlimited: this is about reloads
  config.providers[0].keys[0].maxConcurrency = 0;
  Gateway gw(config);

  std::atomic<bool> stop{false};
  std::atomic<int> steady_ok{0};
  std::atomic<int> steady_bad{0};
  std::thread steady([&] {
    while (!stop.load()) {
      const int status = gw.chat("gt").status;
      (status == 200 ? steady_ok : steady_bad).fetch_add(1);
    }
  });

  constexpr int kStreams = 200;
  std::vector<std::future<StreamResponse>> streams;
  streams.reserve(kStreams);
  for (int i = 0; i < kStreams; ++i) {
    streams.push_back(std::async(std::launch::async, [&] {
      return gw.stream("gt", kClientKey, mockHold("reload", {{"x-mock-chunks", "10"}}), {}, 120s);
    }));
  }
  // Every stream is held at the mock after its first event: all are in flight across the
  // reloads, until the test releases them.
  EXPECT_TRUE(mock.waitHeld("reload", kStreams, 60s));  // not ASSERT: `steady` must be joined
  for (int i = 0; i < 10; ++i) {
    std::this_thread::sleep_for(100ms);
    if (i % 2 == 0) {
      config.models[0].aliases.push_back("reload-" + std::to_string(i));
    } else {
      config.models[0].aliases.pop_back();
    }
    gw.rewriteConfig(config);
    const HttpResponse r = reload(gw);
    EXPECT_EQ(r.status, 200) << r.body;
  }
  EXPECT_EQ(mock.release("reload"), kStreams);
  int clean = 0;
  for (auto& f : streams) {
    const StreamResponse s = f.get();
    EXPECT_EQ(s.status, 200) << s.error;
    if (s.cleanEnd() && s.body.find("data: [DONE]") != std::string::npos) {
      ++clean;
    }
  }
  stop = true;
  steady.join();
  EXPECT_EQ(clean, kStreams);
  EXPECT_EQ(steady_bad.load(), 0);
  EXPECT_GT(steady_ok.load(), 0);
  EXPECT_EQ(runningVersion(gw), 11);
  EXPECT_TRUE(eventually(
      [&] {
        return gw.metricValue("concurrency_slots_in_use", {{"key_id", "openai-key"}}) == 0.0;
      },
      20s));
}

// The YAML of `config` with `extra` inserted at the top of the server section.
std::string withServerYaml(const GatewayConfig& config, const std::string& extra) {
  std::string yaml = config.yaml();
  const std::string server = "server:\n";
  EXPECT_EQ(yaml.rfind(server, 0), 0u);
  yaml.insert(server.size(), extra);
  return yaml;
}

std::string chatBodyOfSize(size_t bytes) {
  const std::string head = R"({"model":"gt","messages":[{"role":"user","content":")";
  const std::string tail = R"("}]})";
  return head + std::string(bytes - head.size() - tail.size(), 'a') + tail;
}

TEST(Reload, ALoweredMaxRequestBodyIsEnforcedOnNewConnections) {
  MockProvider mock;
  GatewayConfig config = standardConfig(mock);
  Gateway gw(config);
  const std::string body = chatBodyOfSize(4000);
  ASSERT_EQ(gw.post("/v1/chat/completions", body).status, 200);

  config.maxRequestBody = "1KiB";
  gw.rewriteConfig(config);
  const HttpResponse r = reload(gw);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(r.json()["warnings"].empty()) << r.body;
  // Each request is a new connection; the worker applies the reload on its next loop turn.
  EXPECT_TRUE(eventually([&] { return gw.post("/v1/chat/completions", body).status == 413; }, 10s));
  EXPECT_EQ(gw.post("/v1/chat/completions", chatBodyOfSize(500)).status, 200);
}

TEST(Reload, AChangedAdminTokenIsInEffectAtOnce) {
  MockProvider mock;
  GatewayConfig config = standardConfig(mock);
  const std::string new_token = "admin-token-rotated-Qw12Er34";
  ASSERT_EQ(setenv("SG_TEST_ROTATED_ADMIN_TOKEN", new_token.c_str(), 1), 0);  // inherited
  Gateway gw(config);
  ASSERT_EQ(runningVersion(gw), 1);

  std::string yaml = config.yaml();
  const auto at = yaml.find("token_env: SG_TEST_ADMIN_TOKEN");
  ASSERT_NE(at, std::string::npos);
  yaml.replace(at, std::string("token_env: SG_TEST_ADMIN_TOKEN").size(),
               "token_env: SG_TEST_ROTATED_ADMIN_TOKEN");
  gw.rewriteConfigText(yaml);
  const HttpResponse r = reload(gw);
  ASSERT_EQ(r.status, 200) << r.body;

  EXPECT_EQ(request("GET", gw.adminUrl("/admin/config"), bearer(config.adminToken)).status, 401);
  const HttpResponse with_new = request("GET", gw.adminUrl("/admin/config"), bearer(new_token));
  EXPECT_EQ(with_new.status, 200);
  EXPECT_EQ(with_new.json()["version"], 2);
  // The token is a secret: the config view names its variable, never its value.
  EXPECT_EQ(with_new.body.find(new_token), std::string::npos);
}

TEST(Reload, ARestartOnlyFieldIsWarnedAboutAndMarkedPending) {
  MockProvider mock;
  GatewayConfig config = standardConfig(mock);
  config.workers = 1;
  Gateway gw(config);
  config.workers = 3;
  config.maxHeaderBytes = "32KiB";  // applied: no warning for it
  gw.rewriteConfig(config);
  const HttpResponse r = reload(gw);
  ASSERT_EQ(r.status, 200) << r.body;
  const auto warnings = r.json()["warnings"];
  ASSERT_EQ(warnings.size(), 1u) << r.body;
  EXPECT_NE(warnings[0].get<std::string>().find("server.workers"), std::string::npos);

  const HttpResponse view = request("GET", gw.adminUrl("/admin/config"), bearer(config.adminToken));
  ASSERT_EQ(view.status, 200);
  EXPECT_EQ(view.json()["pending_restart"], nlohmann::json::array({"server.workers"})) << view.body;
  EXPECT_EQ(view.json()["server"]["effective_workers"], 3);
  EXPECT_EQ(gw.chat("gt").status, 200);

  // Back to the running value: nothing pending any more.
  config.workers = 1;
  gw.rewriteConfig(config);
  const HttpResponse back = reload(gw);
  ASSERT_EQ(back.status, 200) << back.body;
  EXPECT_TRUE(back.json()["warnings"].empty()) << back.body;
  EXPECT_TRUE(request("GET", gw.adminUrl("/admin/config"), bearer(config.adminToken))
                  .json()["pending_restart"]
                  .empty());
}

TEST(Reload, NewHandshakesGetTheNewCertificateAndKey) {
  MockProvider mock;
  GatewayConfig config = standardConfig(mock);
  Gateway gw(config);
  TempDir dir_a;
  TempDir dir_b;
  const CertFiles a = makeSelfSignedCert(dir_a);
  const CertFiles b = makeSelfSignedCert(dir_b);
  const std::string https =
      "https://127.0.0.1:" + std::to_string(gw.port()) + "/v1/chat/completions";
  const std::string body = chatBodyOfSize(200);
  auto trusting = [](const std::string& ca) {
    ClientOptions options;
    options.caFile = ca;
    return options;
  };

  gw.rewriteConfigText(
      withServerYaml(config, "  tls: { cert: " + a.cert + ", key: " + a.key + " }\n"));
  HttpResponse r = reload(gw);
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_TRUE(eventually(
      [&] {
        return request("POST", https, bearer(kClientKey), body, 10s, trusting(a.cert)).status ==
               200;
      },
      10s));

  gw.rewriteConfigText(
      withServerYaml(config, "  tls: { cert: " + b.cert + ", key: " + b.key + " }\n"));
  r = reload(gw);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(eventually(
      [&] {
        return request("POST", https, bearer(kClientKey), body, 10s, trusting(b.cert)).status ==
               200;
      },
      10s));
  // The old certificate is no longer presented: a client trusting only it fails verification.
  const HttpResponse old = request("POST", https, bearer(kClientKey), body, 10s, trusting(a.cert));
  EXPECT_FALSE(old.ok());
  EXPECT_EQ(old.status, 0);
}

TEST(Reload, ACertificateThatDoesNotLoadRejectsTheReload) {
  MockProvider mock;
  GatewayConfig config = standardConfig(mock);
  Gateway gw(config);
  TempDir dir;
  const std::string cert = dir.writeFile("cert.pem", "not a certificate\n");
  const std::string key = dir.writeFile("key.pem", "not a key\n");
  gw.rewriteConfigText(withServerYaml(config, "  tls: { cert: " + cert + ", key: " + key + " }\n"));
  const HttpResponse r = reload(gw);
  ASSERT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(r.json()["errors"][0]["path"], "server.tls") << r.body;
  EXPECT_EQ(runningVersion(gw), 1);
  EXPECT_EQ(gw.chat("gt").status, 200);  // still cleartext, still serving
}

// The SETTINGS_MAX_CONCURRENT_STREAMS a new HTTP/2 connection is offered, read from the
// frames `nghttp -v` prints; -1 if none was seen.
int offeredMaxConcurrentStreams(const Gateway& gw) {
  Process nghttp({"nghttp", "-nv", "-H", std::string("authorization: Bearer ") + kClientKey,
                  gw.url("/v1/models")});
  if (nghttp.waitExit(20s) != 0) {
    return -1;
  }
  const std::string out = nghttp.stdoutText();
  const std::string tag = "SETTINGS_MAX_CONCURRENT_STREAMS(0x03):";
  // The first SETTINGS frame received is the server's (nghttp prints its own as "send").
  const auto recv = out.find("recv SETTINGS frame");
  const auto at = out.find(tag, recv == std::string::npos ? 0 : recv);
  return at == std::string::npos ? -1 : std::atoi(out.c_str() + at + tag.size());
}

TEST(Reload, NewHttp2ConnectionsGetTheNewMaxConcurrentStreams) {
  MockProvider mock;
  GatewayConfig config = standardConfig(mock);
  Gateway gw(config);
  ASSERT_EQ(offeredMaxConcurrentStreams(gw), 128);
  gw.rewriteConfigText(withServerYaml(config, "  http2: { max_concurrent_streams: 7 }\n"));
  const HttpResponse r = reload(gw);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(r.json()["warnings"].empty()) << r.body;
  EXPECT_TRUE(eventually([&] { return offeredMaxConcurrentStreams(gw) == 7; }, 20s));
}

}  // namespace
}  // namespace slotgate::testing
