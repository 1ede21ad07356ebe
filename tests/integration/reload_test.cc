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
  EXPECT_TRUE(eventually([&] { return runningVersion(gw) == 2; }, 5s));
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
      return gw.stream("gt", kClientKey, {{"x-mock-chunks", "10"}, {"x-mock-delay-ms", "100"}});
    }));
  }
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
      2s));
}

}  // namespace
}  // namespace slotgate::testing
