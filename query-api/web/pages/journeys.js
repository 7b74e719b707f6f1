import { h, kpis, num, pct, duration, table, when } from "../ui.js";
import { dashboard, labels } from "../dashboard.js";
import { flow } from "../charts.js";

function steps(session, tz, channelName) {
  return h(
    "details",
    { class: "journey" },
    h("summary", {}, `${session.source || channelName(session.channel)} · ${num(session.pageviews)} ${session.pageviews === 1 ? "page" : "pages"} · ${duration(session.duration_seconds)}${session.conversions ? " · converted" : ""}`),
    h(
      "ol",
      {},
      session.journey.map((step) =>
        h("li", {}, h("time", { datetime: step.at }, when(step.at, tz)), " ", h("span", { class: `tag ${step.event_type}` }, step.event_type), " ", step.name || step.title || step.path, h("small", { class: "muted" }, ` ${step.path}`)),
      ),
      session.truncated ? h("li", { class: "muted" }, "… later events not shown") : null,
    ),
  );
}

export function render(ctx, view) {
  return dashboard(ctx, view, {
    name: "journeys",
    title: "Journeys",
    intro: "How visits unfold: where sessions enter and leave, and the steps of recent sessions.",
    query: { limit: "20" },
    emptyWhat: "sessions",
    isEmpty: (d) => !d.metrics || d.metrics.sessions === 0,
    draw: (d) =>
      h(
        "div",
        {},
        kpis([
          ["Sessions", num(d.metrics.sessions)],
          ["Average duration", duration(d.metrics.avg_duration_seconds)],
          ["Pages per session", num(d.metrics.pages_per_session)],
          ["Bounce rate", pct(d.metrics.bounce_rate)],
        ]),
        flow("Entry → exit pages (top paths)", d.top_paths),
        table("Top paths", [
          { label: "Entry", value: (p) => p.entry },
          { label: "Exit", value: (p) => p.exit },
          { label: "Sessions", value: (p) => num(p.sessions), numeric: true },
          { label: "Pages / session", value: (p) => num(p.pages_per_session), numeric: true },
          { label: "Avg. duration", value: (p) => duration(p.avg_duration_seconds), numeric: true },
        ], d.top_paths),
        h("section", { class: "card" }, h("h2", {}, "Recent sessions"), d.sessions.map((s) => steps(s, d.window.tz, labels(ctx, "channels")))),
      ),
  });
}
