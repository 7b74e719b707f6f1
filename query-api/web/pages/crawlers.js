import { h, kpis, num, table, when } from "../ui.js";
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
        evidence(ctx, d),
        robots(ctx, d),
      );
    },
  });
}

/// How hits were verified, what agents read and which networks they came from.
function evidence(ctx, d) {
  const e = d.evidence;
  const resource = labels(ctx, "crawl_resources");
  return h(
    "div",
    {},
    h("h2", {}, "What agents read"),
    h("div", { class: "grid" },
      bars("Resources read", breakdownRows(e.resources, (r) => r.hits, "(unknown)", resource)),
      bars("Verification method", breakdownRows(e.verification_methods, (r) => r.hits, "Not checked", labels(ctx, "verification_methods"))),
      bars("Networks", e.networks.map((n) => ({ label: `${n.organization || "(unknown network)"}${n.datacenter ? " · datacenter" : ""}`, value: n.hits })))),
    kpis([["Datacenter hits", num(e.datacenter_hits), "from hosting networks rather than the operator's own"]]),
    table("Machine-readable files read by agent", [
      { label: "File", value: (r) => resource(r.resource) },
      { label: "Agent", value: (r) => r.agent || "(unnamed)" },
      { label: "Hits", value: (r) => num(r.hits), numeric: true },
    ], e.reads),
  );
}

/// robots.txt compliance: as judged when each hit arrived, and under today's file.
function robots(ctx, d) {
  const r = d.robots;
  const violations = (caption, rows) =>
    table(caption, [
      { label: "Agent", value: (v) => v.agent || "(unnamed)" },
      { label: "Path", value: (v) => v.path },
      { label: "Disallowed hits", value: (v) => num(v.hits), numeric: true },
    ], rows);
  const site = (id) => (ctx.project.properties.find((p) => String(p.id) === String(id)) || {}).domain || `property ${id}`;
  const files = r.current_files.map((f) => `${site(f.property_id)}: fetched ${when(f.fetched_at, d.window.tz)}${f.status >= 400 ? ` (answered ${f.status}: no file, anything may be fetched)` : ""}`);
  return h(
    "div",
    {},
    h("h2", {}, "robots.txt compliance"),
    h("div", { class: "grid" }, bars("robots.txt verdict", breakdownRows(r.verdicts, (v) => v.hits, "(unknown)", labels(ctx, "robots_verdicts")))),
    h("h3", {}, "Violations under the file in force at the time"),
    violations("robots.txt violations at the time", r.violations_at_the_time),
    h("h3", {}, "Violations under the current file"),
    h("p", { class: "muted" }, files.length ? `Every hit of the window judged by today's robots.txt (${files.join("; ")}).` : "No robots.txt has been fetched for this project yet."),
    r.truncated ? h("p", { class: "muted" }, "Only the most frequent agent and path pairs were judged.") : null,
    violations("robots.txt violations under the current file", r.violations_current),
  );
}
