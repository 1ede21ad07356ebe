#include "gateway/admin/operator_routes.h"

#include <event2/event.h>

#include <charconv>
#include <chrono>
#include <memory>

#include "gateway/admin/active_requests_stream.h"
#include "gateway/admin/dashboard/dashboard.h"
#include "gateway/proxy/api_error.h"
#include "metrics/process_collector.h"

namespace slotgate::gateway {
namespace {

AdminResponse badRequest(const std::string& message) {
  return {400, "application/json",
          errorBody(conf::ProviderType::kOpenAI, metrics::ErrorType::kInvalidRequest, message)};
}

AdminResponse json(std::string body) { return {200, "application/json", std::move(body)}; }

std::string queryValue(const AdminRequest& r, const std::string& name, std::string fallback) {
  auto it = r.query.find(name);
  return it == r.query.end() ? fallback : it->second;
}

// "true"/"1"/"yes" or "false"/"0"/"no"; nullopt for anything else.
std::optional<bool> parseBool(const std::string& text) {
  if (text == "true" || text == "1" || text == "yes") {
    return true;
  }
  if (text == "false" || text == "0" || text == "no") {
    return false;
  }
  return std::nullopt;
}

AdminResponse runningTotals(metrics::LiveRequestTracker& tracker, const AdminRequest& r) {
  metrics::TotalsFilter filter;
  filter.provider = queryValue(r, "provider", "*");
  filter.model = queryValue(r, "model", "*");
  const std::optional<bool> include_active = parseBool(queryValue(r, "include_active", "false"));
  if (!include_active) {
    return badRequest("include_active must be true or false");
  }
  filter.include_active = *include_active;
  const std::string format = queryValue(r, "format", "yaml");
  if (format != "yaml" && format != "json") {
    return badRequest("format must be yaml or json");
  }
  const metrics::TotalsView view = tracker.totals(filter);
  if (format == "json") {
    return json(metrics::totalsJson(view));
  }
  return {200, "application/yaml; charset=utf-8", metrics::totalsYaml(view)};
}

AdminResponse history(metrics::LiveRequestTracker& tracker, const AdminRequest& r) {
  const std::string text = queryValue(r, "minutes", "10");
  int minutes = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), minutes);
  if (ec != std::errc() || end != text.data() + text.size() || minutes < 1 ||
      minutes > metrics::History::kMaxMinutes) {
    return badRequest("minutes must be an integer from 1 to 60");
  }
  return json(
      metrics::History::json(tracker.history().last(minutes, std::chrono::system_clock::now())));
}

// Closes a history window every History::kInterval on the admin loop.
class HistorySampler {
 public:
  HistorySampler(Dispatcher& loop, metrics::LiveRequestTracker& tracker,
                 std::function<metrics::GaugeSnapshot()> gauges)
      : tracker_(tracker),
        gauges_(std::move(gauges)),
        timer_(loop.createTimer([this] { onTick(); })) {
    timer_->enable(metrics::History::kInterval);
  }

 private:
  void onTick() {
    timer_->enable(metrics::History::kInterval);
    const metrics::GaugeSnapshot gauges = gauges_ ? gauges_() : metrics::GaugeSnapshot{};
    (void)tracker_.history().sample(std::chrono::system_clock::now(),
                                    std::chrono::steady_clock::now(), gauges,
                                    metrics::readProcessStats());
  }

  metrics::LiveRequestTracker& tracker_;
  std::function<metrics::GaugeSnapshot()> gauges_;
  TimerPtr timer_;
};

}  // namespace

void registerOperatorRoutes(AdminServer& admin, OperatorDeps deps) {
  metrics::LiveRequestTracker& tracker = deps.tracker;

  auto stream = std::make_shared<ActiveRequestsStream>(admin.base(), tracker);
  admin.own(stream);
  admin.own(std::make_shared<HistorySampler>(admin.dispatcher(), tracker, deps.gauges));

  admin.route("GET", "/metrics/active-requests", false,
              [&tracker](const AdminRequest&) { return json(tracker.activeJson()); });
  admin.streamRoute(
      "GET", "/metrics/active-requests/stream", false,
      [raw = stream.get()](evhttp_request* req, const AdminRequest&) { raw->add(req); });
  admin.route("GET", "/metrics/running-totals", false,
              [&tracker](const AdminRequest& r) { return runningTotals(tracker, r); });
  admin.route("GET", "/metrics/logs", false,
              [&tracker](const AdminRequest&) { return json(tracker.log().json()); });
  admin.route("GET", "/metrics/history", false,
              [&tracker](const AdminRequest& r) { return history(tracker, r); });
  admin.route("GET", "/dashboard", true, [](const AdminRequest&) {
    // The page may talk only to this origin and load nothing from elsewhere.
    return AdminResponse{200,
                         "text/html; charset=utf-8",
                         std::string(dashboardHtml()),
                         {{"Content-Security-Policy",
                           "default-src 'none'; script-src 'unsafe-inline'; style-src "
                           "'unsafe-inline'; img-src data:; connect-src 'self'; "
                           "frame-ancestors 'none'"},
                          {"X-Content-Type-Options", "nosniff"}}};
  });
  admin.route("GET", "/admin/slots", false,
              [slots = std::move(deps.slots_json)](const AdminRequest&) {
                return json(slots ? slots() : "[]");
              });
  admin.route("GET", "/admin/config", false,
              [config = std::move(deps.config_json)](const AdminRequest&) {
                return json(config ? config() : "{}");
              });
  if (deps.reload) {
    admin.route("POST", "/admin/reload", false,
                [reload = std::move(deps.reload)](const AdminRequest&) { return reload(); });
  }
}

}  // namespace slotgate::gateway
