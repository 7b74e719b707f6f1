import { h, kpis, num } from "../ui.js";
import { dashboard, breakdownRows, labels, picker } from "../dashboard.js";
import { timeSeries, bars } from "../charts.js";

// [breakdown, title, name of a blank value, vocabulary naming the values, filter a bar sets]
const BREAKDOWNS = [
  ["class", "Who: humans and agents", "(unknown)", "agent_classes", "class"],
  ["ai_source", "AI source", "(not from AI)", null, "ai_source"],
  ["event", "Event type", "(none)"],
  ["country", "Country", "(unknown)", null, "country"],
  ["device", "Device", "(server hit)", null, "device"],
  ["browser", "Browser", "(server hit)", null, "browser"],
  ["os", "Operating system", "(server hit)"],
];

export function render(ctx, view) {
  return dashboard(ctx, view, {
    name: "events",
    title: "Events",
    intro: "Everything the tag and your servers sent: pageviews, clicks, conversions and crawler hits.",
    filters: BREAKDOWNS.map((b) => b[4]).filter(Boolean),
    isEmpty: (d) => !d.totals || d.totals.events === 0,
    draw: (d) =>
      h(
        "div",
        {},
        kpis([
          ["Events", num(d.totals.events)],
          ["Pageviews", num(d.totals.pageviews)],
          ["Visitors", num(d.totals.visitors), "People and agents"],
          ["Human visitors", num(d.totals.human_visitors), "Browsers outside datacenter networks"],
          ["From datacenters", num(d.totals.datacenter_visitors), "Browser-looking visitors from clouds and hosters, not counted as human"],
          ["Sessions", num(d.totals.sessions)],
        ]),
        timeSeries("Traffic over time", d.series, [[(r) => r.pageviews, "Pageviews"], [(r) => r.visitors, "Visitors"], [(r) => r.sessions, "Sessions"]], d.window.tz, d.window.day_buckets),
        h("div", { class: "grid" }, BREAKDOWNS.map(([key, title, blank, named, filter]) => bars(title, breakdownRows(d.breakdowns[key], (r) => r.events, blank, named ? labels(ctx, named) : String, filter ? picker(ctx, filter) : null)))),
        // The network databases' licenses (CC BY 4.0) ask for this credit where results are shown.
        h("p", { class: "muted" }, "Networks of origin: ", h("a", { href: "https://db-ip.com" }, "IP Geolocation by DB-IP"), ", RouteViews and NRO data (CC BY 4.0)."),
      ),
  });
}
