// The dashboards' shared controls: time window (presets or a custom range), the viewer's time
// zone, the property filter and the breakdown filters a click on a bar sets; all kept in the
// address bar so a view can be shared.

import { h, select, field } from "./ui.js";

const RANGES = [
  ["24h", "Last 24 hours"],
  ["7d", "Last 7 days"],
  ["30d", "Last 30 days"],
  ["90d", "Last 90 days"],
  ["custom", "Custom range"],
];

const browserZone = () => Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";

function zones() {
  const list = typeof Intl.supportedValuesOf === "function" ? Intl.supportedValuesOf("timeZone") : [];
  return ["UTC", ...list.filter((z) => z !== "UTC")];
}

/// Today's date in `tz`, as YYYY-MM-DD.
function today(tz) {
  return new Intl.DateTimeFormat("en-CA", { timeZone: tz, year: "numeric", month: "2-digit", day: "2-digit" }).format(new Date());
}

function addDays(date, days) {
  const [y, m, d] = date.split("-").map(Number);
  return new Date(Date.UTC(y, m - 1, d + days)).toISOString().slice(0, 10);
}

export function readFilters(params) {
  const tz = params.get("tz") || localStorage.getItem("ov.tz") || browserZone();
  let range = params.get("range") || "7d";
  if (!RANGES.some(([r]) => r === range)) range = "7d";
  const end = today(tz);
  return {
    range,
    tz,
    from: params.get("from") || addDays(end, -6),
    to: params.get("to") || end,
    property: params.get("property") || "",
  };
}

/// The API's equality filters a breakdown bar can set, with how the filter chip names them. Not
/// carried to other pages: each page declares the ones its endpoint applies (`spec.filters`).
export const DIMENSIONS = [
  ["class", "Who"],
  ["ai_source", "AI source"],
  ["country", "Country"],
  ["device", "Device"],
  ["browser", "Browser"],
  ["page", "Page"],
];

/// The breakdown filters of `params` among `names`, as [name, value] pairs.
export function activeDimensions(params, names) {
  return DIMENSIONS.filter(([name]) => names.includes(name) && params.get(name)).map(([name]) => [name, params.get(name)]);
}

/// The dashboards' query parameters for these filters. The bucket interval is the server's
/// default for the window: hours up to two days, else days.
export function windowQuery(f) {
  const q = new URLSearchParams({ tz: f.tz });
  if (f.range === "24h") {
    // Whole hours, so the hourly rollups can answer.
    const to = new Date();
    to.setUTCMinutes(0, 0, 0);
    to.setUTCHours(to.getUTCHours() + 1);
    q.set("from", new Date(to.getTime() - 24 * 3600 * 1000).toISOString());
    q.set("to", to.toISOString());
  } else if (f.range === "custom") {
    q.set("from", f.from);
    q.set("to", f.to);
  } else {
    const days = Number.parseInt(f.range, 10);
    const end = today(f.tz);
    q.set("from", addDays(end, -(days - 1)));
    q.set("to", end);
  }
  if (f.property) q.set("property", f.property);
  return q;
}

export function describe(f) {
  const label = RANGES.find(([r]) => r === f.range)[1];
  return f.range === "custom" ? `${f.from} – ${f.to} (${f.tz})` : `${label} (${f.tz})`;
}

/// The controls; `apply(changes)` receives the changed parameters.
export function filterBar(ctx, apply) {
  const f = ctx.filters;
  const properties = ctx.project ? ctx.project.properties : [];
  const range = select("range", RANGES, f.range);
  const from = h("input", { type: "date", name: "from", value: f.from, max: today(f.tz) });
  const to = h("input", { type: "date", name: "to", value: f.to, max: today(f.tz) });
  const custom = h("div", { class: "custom-range", hidden: f.range !== "custom" }, field("From", from), field("To", to));
  const tz = select("tz", zones().map((z) => [z, z]), f.tz);
  const property = select("property", [["", "All properties"], ...properties.map((p) => [p.id, `${p.domain} (${p.kind})`])], f.property);
  range.addEventListener("change", () => {
    if (range.value === "custom") {
      custom.hidden = false;
      apply({ range: "custom", from: from.value, to: to.value });
    } else apply({ range: range.value, from: null, to: null });
  });
  const dates = () => {
    if (from.value && to.value && from.value <= to.value) apply({ range: "custom", from: from.value, to: to.value });
  };
  from.addEventListener("change", dates);
  to.addEventListener("change", dates);
  tz.addEventListener("change", () => {
    localStorage.setItem("ov.tz", tz.value);
    apply({ tz: tz.value });
  });
  property.addEventListener("change", () => apply({ property: property.value }));
  return h(
    "form",
    { class: "filters", "aria-label": "Dashboard filters", onsubmit: (e) => e.preventDefault() },
    field("Time window", range),
    custom,
    field("Time zone", tz),
    field("Property", property),
  );
}
