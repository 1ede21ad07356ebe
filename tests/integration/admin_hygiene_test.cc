// Process hygiene of a process holding provider keys (README "Process hygiene"): no core
// dumps unless asked for; a tokenless admin listener serves only loopback Host names (DNS
// rebinding); admin POSTs refuse what a cross-site page or form can send.
#include <gtest/gtest.h>
#include <sys/resource.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "tests/integration/gateway_fixture.h"

namespace slotgate::testing {
namespace {

// The soft "Max core file size" of a process, as /proc shows it ("0", "unlimited", ...).
std::string softCoreLimit(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/limits");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("Max core file size", 0) == 0) {
      std::istringstream words(line.substr(std::string("Max core file size").size()));
      std::string soft;
      words >> soft;
      return soft;
    }
  }
  return "";
}

// Children inherit the test's limits: raise the soft core limit so that only slotgate's own
// setting can bring it to 0.
class CoreLimitRaised {
 public:
  CoreLimitRaised() {
    EXPECT_EQ(getrlimit(RLIMIT_CORE, &saved_), 0);
    rlimit raised = saved_;
    raised.rlim_cur = saved_.rlim_max;
    EXPECT_EQ(setrlimit(RLIMIT_CORE, &raised), 0);
  }
  ~CoreLimitRaised() { setrlimit(RLIMIT_CORE, &saved_); }
  bool unlimited() const { return saved_.rlim_max == RLIM_INFINITY; }

 private:
  rlimit saved_{};
};

TEST(AdminHygiene, NoCoreDumpsUnlessTheConfigAsks) {
  CoreLimitRaised raised;
  if (!raised.unlimited()) {
    GTEST_SKIP() << "hard core limit is not unlimited here";
  }
  MockProvider mock;
  GatewayConfig config = standardConfig(mock);
  Gateway gw(config);
  EXPECT_EQ(softCoreLimit(gw.process().pid()), "0");

  // server.core_dumps: true (applied by a reload too) gives the inherited limit back.
  std::string yaml = config.yaml();
  yaml.insert(std::string("server:\n").size(), "  core_dumps: true\n");
  gw.rewriteConfigText(yaml);
  const HttpResponse r =
      request("POST", gw.adminUrl("/admin/reload"), bearer(config.adminToken), "");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(softCoreLimit(gw.process().pid()), "unlimited");
}

TEST(AdminHygiene, WithoutATokenOnlyLoopbackHostNamesAreServed) {
  MockProvider mock;
  GatewayConfig config = standardConfig(mock);
  config.adminToken = "";
  Gateway gw(config);
  const std::string port = std::to_string(gw.adminPort());
  for (const std::string& host :
       std::vector<std::string>{"evil.example", "evil.example:" + port, "192.168.1.10:" + port}) {
    for (const char* path : {"/metrics", "/admin/config"}) {
      const HttpResponse r = request("GET", gw.adminUrl(path), {{"Host", host}});
      EXPECT_EQ(r.status, 403) << host << path;
    }
  }
  for (const std::string& host :
       std::vector<std::string>{"localhost:" + port, "127.0.0.1:" + port, "localhost"}) {
    EXPECT_EQ(request("GET", gw.adminUrl("/admin/config"), {{"Host", host}}).status, 200) << host;
  }
  EXPECT_EQ(request("GET", gw.adminUrl("/healthz")).status, 200);  // curl's own Host
}

TEST(AdminHygiene, WithATokenOtherHostNamesAreServed) {
  MockProvider mock;
  GatewayConfig config = standardConfig(mock);
  Gateway gw(config);
  EXPECT_EQ(request("GET", gw.adminUrl("/healthz"), {{"Host", "gateway.internal"}}).status, 200);
}

TEST(AdminHygiene, ReloadRefusesCrossSiteAndFormPosts) {
  MockProvider mock;
  GatewayConfig config = standardConfig(mock);
  config.adminToken = "";  // the case where nothing else would stop a browser
  Gateway gw(config);
  const std::string self = "127.0.0.1:" + std::to_string(gw.adminPort());
  const std::string url = gw.adminUrl("/admin/reload");
  const std::vector<Headers> refused = {
      {{"Content-Type", "application/x-www-form-urlencoded"}},
      {{"Content-Type", "multipart/form-data; boundary=b"}},
      {{"Content-Type", "text/plain"}},
      {{"Origin", "http://evil.example"}},
      {{"Origin", "null"}},
      {{"Sec-Fetch-Site", "cross-site"}},
      {{"Sec-Fetch-Site", "same-site"}},
  };
  for (const Headers& h : refused) {
    const HttpResponse r = request("POST", url, h, "");
    EXPECT_EQ(r.status, 403) << h[0].first << ": " << h[0].second << " " << r.body;
  }
  EXPECT_EQ(gw.metricValue("slotgate_config_reloads_total", {{"result", "success"}}).value_or(0),
            0.0);

  EXPECT_EQ(request("POST", url, {}, "").status, 200);  // curl -X POST
  EXPECT_EQ(
      request("POST", url, {{"Origin", "http://" + self}, {"Sec-Fetch-Site", "same-origin"}}, "")
          .status,
      200);
  EXPECT_EQ(gw.metricValue("slotgate_config_reloads_total", {{"result", "success"}}), 2.0);
}

}  // namespace
}  // namespace slotgate::testing
