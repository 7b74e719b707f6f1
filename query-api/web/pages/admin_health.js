import { get, post } from "../api.js";
import { h, replace, table, notice, empty, kpis, num, pct, when } from "../ui.js";

const at = (ms, tz) => (ms ? when(new Date(ms).toISOString(), tz) : "—");

// The API formats each alert's figures in its rule's unit, as the Slack message does.
const alertValue = (a) => `${a.value_text} (threshold ${a.threshold_text})`;

function testAlert(configured) {
  const status = h("div", { class: "form-status", "aria-live": "polite" });
  const button = h("button", { type: "button", disabled: !configured }, "Send test alert");
  button.addEventListener("click", async () => {
    button.disabled = true;
    replace(status);
    try {
      const sent = await post("/api/v1/admin/health/test-alert");
      replace(status, notice("ok", `Delivered to Slack (${sent.attempts} attempt${sent.attempts === 1 ? "" : "s"}).`));
    } catch (error) {
      const text = error.code === "slack_unavailable" ? "Slack did not accept the test alert; check the webhook URL." : error.message;
      replace(status, notice("error", text));
    } finally {
      button.disabled = false;
    }
  });
  return h(
    "section",
    { class: "card" },
    h("h2", {}, "Slack"),
    h("p", { class: "muted" }, configured ? "Alerts go to the configured incoming webhook." : "No Slack webhook is configured (OPTIVIEW_SLACK_WEBHOOK_URL): alerts are logged and listed above only."),
    h("div", { class: "form-actions" }, button, status),
  );
}

export async function render(ctx, view) {
  replace(view, h("h1", {}, "Health"));
  if (!ctx.me.user.platform_admin) {
    view.append(empty("Platform admins only", h("p", {}, "This page shows the health of the whole pipeline.")));
    return;
  }
  const tz = ctx.filters.tz;
  const health = await get("/api/v1/admin/health");
  const w = health.window;
  view.append(
    w
      ? h(
          "section",
          { "aria-label": "Collector, last 5 minutes" },
          h("p", { class: "muted" }, `Collector, 5 minutes ending ${at(w.window_end_ms, tz)}`),
          kpis([
            ["Ingest rate", `${num(Math.round(health.ingest_events_per_minute))} events/min`],
            ["Requests", num(w.requests)],
            ["Error rate", pct(w.error_rate), `${num(w.errors)} failed requests`],
            ["p95 latency", `${num(Math.round(w.p95_ms))} ms`],
          ]),
        )
      : empty("No collector statistics yet", h("p", {}, "The health processor writes a window once the collector reports its first minute.")),
    h("h2", {}, "Busiest properties"),
    health.properties.length === 0
      ? h("p", { class: "muted" }, "No property had traffic in the last window.")
      : table("Busiest properties in the last window", [
          { label: "Property", value: (p) => h("code", {}, String(p.property_id)) },
          { label: "Events", value: (p) => num(p.events), numeric: true },
          { label: "Error rate", value: (p) => pct(p.error_rate), numeric: true },
          { label: "p95", value: (p) => `${num(Math.round(p.p95_ms))} ms`, numeric: true },
        ], health.properties),
    h("h2", {}, "Consumer lag"),
    health.consumer_lag.length === 0
      ? h("p", { class: "muted" }, "No lag sampled yet.")
      : table("Consumer lag per group", [
          { label: "Group", value: (l) => l.group_id },
          { label: "Topic", value: (l) => l.topic },
          { label: "Lag (records)", value: (l) => num(l.lag), numeric: true },
          { label: "Sampled", value: (l) => at(l.at_ms, tz) },
        ], health.consumer_lag),
    h("h2", {}, "Scheduled jobs"),
    health.jobs.length === 0
      ? h("p", { class: "muted" }, "No job has run yet.")
      : table("Scheduled jobs", [
          { label: "Job", value: (j) => j.job },
          { label: "Last run", value: (j) => at(j.last_started_ms, tz) },
          { label: "Status", value: (j) => h("span", { class: j.last_succeeded ? "ok" : "bad" }, j.last_status) },
          { label: "Rows / parts", value: (j) => `${num(j.last_rows_affected)} / ${num(j.last_parts_affected)}`, numeric: true },
          { label: "Last success", value: (j) => at(j.last_success_ms, tz) },
          { label: "Next run", value: (j) => at(j.next_run_ms, tz) },
          { label: "Message", value: (j) => j.last_message },
        ], health.jobs),
    h("h2", {}, "Recent alerts"),
    health.alerts.length === 0
      ? h("p", { class: "muted" }, "No alerts.")
      : table("Recent alerts", [
          { label: "When", value: (a) => at(a.at_ms, tz) },
          { label: "Rule", value: (a) => a.rule_label },
          { label: "Scope", value: (a) => a.scope },
          { label: "State", value: (a) => a.state },
          { label: "Value", value: alertValue },
          { label: "Window", value: (a) => a.window },
          { label: "Delivered", value: (a) => (a.delivered ? "yes" : `no${a.error ? ` — ${a.error}` : ""}`) },
        ], health.alerts),
    testAlert(health.slack_configured),
  );
}
