import { h, kpis, num, pct, duration, table } from "../ui.js";
import { dashboard, picker } from "../dashboard.js";
import { timeSeries, bars } from "../charts.js";

export function render(ctx, view) {
  return dashboard(ctx, view, {
    name: "referrals",
    title: "AI referrals",
    intro: "Visitors AI assistants sent you, by assistant, and how they behave compared with everyone else.",
    emptyWhat: "AI referrals",
    filters: ["ai_source"],
    isEmpty: (d) => !d.by_source || d.by_source.every((s) => !s.visits),
    draw: (d) => {
      const pick = picker(ctx, "ai_source");
      const total = d.by_source.reduce((s, r) => s + (r.visits || 0), 0);
      const ai = d.engagement.find((e) => e.from_ai) || {};
      const other = d.engagement.find((e) => !e.from_ai) || {};
      return h(
        "div",
        {},
        kpis([
          ["AI referral visits", num(total)],
          ["AI sessions", num(ai.sessions), `others: ${num(other.sessions)}`],
          ["Conversion rate from AI", pct(ai.conversion_rate), `others: ${pct(other.conversion_rate)}`],
          ["Pages per AI session", num(ai.pages_per_session), `others: ${num(other.pages_per_session)}`],
        ]),
        timeSeries("AI referral visits by assistant", d.series, d.sources.map((s) => [(r) => r[s], s]), d.window.tz, d.window.day_buckets),
        h("div", { class: "grid" },
          bars("Visits by assistant", d.by_source.map((r) => ({ label: r.source, value: r.visits || 0, href: pick(r.source) }))),
          bars("Visitors by assistant", d.by_source.map((r) => ({ label: r.source, value: r.visitors || 0, href: pick(r.source) })))),
        table("Engagement: AI-referred versus other visitors", [
          { label: "Visitors from", value: (e) => (e.from_ai ? "AI assistants" : "Everywhere else") },
          { label: "Sessions", value: (e) => num(e.sessions), numeric: true },
          { label: "Pages / session", value: (e) => num(e.pages_per_session), numeric: true },
          { label: "Avg. duration", value: (e) => duration(e.avg_duration_seconds), numeric: true },
          { label: "Bounce rate", value: (e) => pct(e.bounce_rate), numeric: true },
          { label: "Conversion rate", value: (e) => pct(e.conversion_rate), numeric: true },
        ], d.engagement),
        h("h2", {}, "Landing pages"),
        table("Landing pages of AI referrals", [
          { label: "Page", value: (p) => p.path },
          { label: "Assistant", value: (p) => p.source },
          { label: "Visits", value: (p) => num(p.visits), numeric: true },
          { label: "Sessions", value: (p) => num(p.sessions), numeric: true },
        ], d.landing_pages),
      );
    },
  });
}
