import { h, kpis, num, table } from "../ui.js";
import { dashboard, breakdownRows, labels, picker } from "../dashboard.js";
import { timeSeries, bars, comparison } from "../charts.js";

export function render(ctx, view) {
  return dashboard(ctx, view, {
    name: "crawlers",
    title: "AI crawlers",
    intro: "Which crawlers read your pages, whether they are who they claim to be, and what each AI sends back.",
    emptyWhat: "crawler hits",
    filters: ["class", "page"],
    isEmpty: (d) => !d.totals || d.totals.hits === 0,
    draw: (d) => {
      const b = d.breakdowns;
      const operators = d.crawl_to_referral.by_operator.filter((r) => r.assistant);
      return h(
        "div",
        {},
        kpis([
          ["Crawler hits", num(d.totals.hits)],
          ["Verified", num(d.totals.verified), "from the operator's published addresses"],
          ["Spoofed", num(d.totals.spoofed), "claimed a known agent from elsewhere"],
          ["Unverifiable", num(d.totals.unverifiable), "operator publishes no addresses"],
          // Only when it happened: the loader was behind for longer than the verification window.
          ...(d.totals.unchecked ? [["Unchecked", num(d.totals.unchecked), "address expired before it was checked"]] : []),
        ]),
        timeSeries("Crawler hits over time", d.series, [[(r) => r.hits, "Hits"]], d.window.tz, d.window.day_buckets),
        comparison(
          "Crawl to referral: what each AI reads versus the visitors it sends",
          operators.map((r) => ({ label: `${r.operator} → ${r.assistant}`, left: r.crawler_hits, right: r.referral_visits, ratio: r.crawl_to_referral })),
          ["Crawler hits", "Referral visits"],
          "hits per visit:",
        ),
        h("div", { class: "grid" },
          bars("Agents", breakdownRows(b.agent, (r) => r.hits)),
          bars("Operators", breakdownRows(b.operator, (r) => r.hits)),
          bars("Agent class", breakdownRows(b.class, (r) => r.hits, "(unknown)", labels(ctx, "agent_classes"), picker(ctx, "class"))),
          bars("Verification", breakdownRows(b.verification, (r) => r.hits, "(unknown)", labels(ctx, "verifications"))),
          bars("Response status", breakdownRows(b.status, (r) => r.hits))),
        h("h2", {}, "Crawl to referral by page"),
        table("Crawl to referral by page", [
          { label: "Page", value: (p) => p.path },
          { label: "AI crawler hits", value: (p) => num(p.crawler_hits), numeric: true },
          { label: "AI referral visits", value: (p) => num(p.referral_visits), numeric: true },
          { label: "Hits per visit", value: (p) => (p.crawl_to_referral == null ? "—" : num(p.crawl_to_referral)), numeric: true },
        ], d.crawl_to_referral.by_page),
      );
    },
  });
}
