import { h, kpis, num } from "../ui.js";
import { dashboard, breakdownRows, labels } from "../dashboard.js";
import { timeSeries, bars } from "../charts.js";

const BREAKDOWNS = [
  ["class", "Who: humans and agents", "(unknown)", "agent_classes"],
  ["ai_source", "AI source", "(not from AI)"],
  ["event", "Event type", "(none)"],
  ["country", "Country", "(unknown)"],
  ["device", "Device", "(server hit)"],
  ["browser", "Browser", "(server hit)"],
  ["os", "Operating system", "(server hit)"],
];

export function render(ctx, view) {
  return dashboard(ctx, view, {
    name: "events",
    title: "Events",
    intro: "Everything the tag and your servers sent: pageviews, clicks, conversions and crawler hits.",
    isEmpty: (d) => !d.totals || d.totals.events === 0,
    draw: (d) =>
      h(
        "div",
        {},
        kpis([
          ["Events", num(d.totals.events)],
          ["Pageviews", num(d.totals.pageviews)],
          ["Visitors", num(d.totals.visitors)],
          ["Sessions", num(d.totals.sessions)],
        ]),
        timeSeries("Traffic over time", d.series, [[(r) => r.pageviews, "Pageviews"], [(r) => r.visitors, "Visitors"], [(r) => r.sessions, "Sessions"]], d.window.tz, d.window.day_buckets),
        h("div", { class: "grid" }, BREAKDOWNS.map(([key, title, blank, named]) => bars(title, breakdownRows(d.breakdowns[key], (r) => r.events, blank, named ? labels(ctx, named) : String)))),
      ),
  });
}
