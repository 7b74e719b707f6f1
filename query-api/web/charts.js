// Charts: time series through uPlot (vendor/), and bars, comparisons and the journey flow as
// plain HTML/SVG so they stay readable by screen readers and at any width.

import { h, compact, num } from "./ui.js";

const PALETTE = ["#4f46e5", "#0891b2", "#d97706", "#16a34a", "#db2777", "#7c3aed", "#dc2626", "#475569"];

/// series: the API's `series` rows ({t, ...}); lines: [[row => value, label]]; tz: the viewer's
/// zone; daily: the buckets are days (the answer's `window.day_buckets`).
export function timeSeries(title, series, lines, tz, daily) {
  const box = h("div", { class: "chart", role: "img", "aria-label": `${title}: ${lines.map((l) => l[1]).join(", ")} over time` });
  const xs = series.map((row) => Math.floor(new Date(row.t).getTime() / 1000));
  const data = [xs, ...lines.map(([read]) => series.map((row) => Number(read(row) || 0)))];
  const make = () => {
    if (!window.uPlot) return;
    box.replaceChildren();
    const width = Math.max(280, box.clientWidth || 600);
    const options = {
      width,
      height: 240,
      tzDate: (ts) => window.uPlot.tzDate(new Date(ts * 1000), tz),
      legend: { live: true },
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: true } },
      axes: [
        // One tick per whole day at least, so day buckets are never labelled twice.
        daily
          ? { values: "{MMM} {D}", incrs: [86400, 2 * 86400, 7 * 86400, 14 * 86400, 30 * 86400], space: 50, grid: { stroke: "#eef0f3" } }
          : { grid: { stroke: "#eef0f3" } },
        { values: (u, ticks) => ticks.map((v) => compact(v)), grid: { stroke: "#eef0f3" }, size: 50 },
      ],
      series: [
        { label: daily ? "Day" : "Time", value: (u, ts) => (ts == null ? "" : new Date(ts * 1000).toLocaleString(undefined, { timeZone: tz, dateStyle: "medium", timeStyle: daily ? undefined : "short" })) },
        ...lines.map(([, label], i) => ({
          label,
          stroke: PALETTE[i % PALETTE.length],
          width: 2,
          fill: lines.length === 1 ? `${PALETTE[0]}1a` : undefined,
          value: (u, v) => (v == null ? "" : num(v)),
          points: { show: series.length < 40 },
        })),
      ],
    };
    new window.uPlot(options, data, box);
  };
  // Drawn once the box is in the page (its width is known), redrawn when the width changes.
  let last = 0;
  new ResizeObserver(() => {
    const width = box.clientWidth;
    if (width && Math.abs(width - last) > 8) {
      last = width;
      make();
    }
  }).observe(box);
  return h("figure", { class: "figure" }, h("figcaption", {}, title), box);
}

/// rows: [{label, value, href?}] drawn as horizontal bars relative to the largest; a row with an
/// href is a link (a click filters the page by it).
export function bars(title, rows, format = num) {
  const max = Math.max(1, ...rows.map((r) => r.value));
  return h(
    "figure",
    { class: "figure bars" },
    h("figcaption", {}, title),
    rows.length === 0
      ? h("p", { class: "muted" }, "Nothing in this window.")
      : h(
          "ul",
          { class: "bar-list" },
          rows.map((r) =>
            h(
              "li",
              {},
              r.href
                ? h("a", { class: "bar-label", href: r.href, title: `Filter the page to ${r.label}` }, r.label)
                : h("span", { class: "bar-label", title: r.label }, r.label),
              h("span", { class: "bar-track", "aria-hidden": "true" }, h("span", { class: "bar-fill", style: `width:${(100 * r.value) / max}%` })),
              h("span", { class: "bar-value" }, format(r.value)),
            ),
          ),
        ),
  );
}

/// Two quantities side by side per row (e.g. crawler hits vs referral visits), with their ratio.
export function comparison(title, rows, [leftLabel, rightLabel], ratioLabel) {
  const max = Math.max(1, ...rows.flatMap((r) => [r.left, r.right]));
  return h(
    "figure",
    { class: "figure comparison" },
    h("figcaption", {}, title),
    h("p", { class: "legend" }, h("span", { class: "swatch left" }), leftLabel, " ", h("span", { class: "swatch right" }), rightLabel),
    rows.length === 0
      ? h("p", { class: "muted" }, "Nothing in this window.")
      : h(
          "ul",
          { class: "compare-list" },
          rows.map((r) =>
            h(
              "li",
              {},
              r.href
                ? h("a", { class: "bar-label", href: r.href, title: `Filter the page to ${r.label}` }, r.label)
                : h("span", { class: "bar-label", title: r.label }, r.label),
              h(
                "span",
                { class: "pair" },
                h("span", { class: "bar-track" }, h("span", { class: "bar-fill left", style: `width:${(100 * r.left) / max}%` })),
                h("span", { class: "bar-track" }, h("span", { class: "bar-fill right", style: `width:${(100 * r.right) / max}%` })),
              ),
              h("span", { class: "bar-value" }, `${num(r.left)} / ${num(r.right)}`, h("br"), h("small", {}, r.ratio == null ? "—" : `${ratioLabel} ${r.ratio}`)),
            ),
          ),
        ),
  );
}

/// Entry pages on the left, exit pages on the right, a band per path as wide as its sessions.
export function flow(title, paths) {
  const NS = "http://www.w3.org/2000/svg";
  const svg = (tag, attrs) => {
    const node = document.createElementNS(NS, tag);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
    return node;
  };
  const totals = (key) => {
    const m = new Map();
    for (const p of paths) m.set(p[key], (m.get(p[key]) || 0) + p.sessions);
    return [...m.entries()].sort((a, b) => b[1] - a[1]);
  };
  const entries = totals("entry");
  const exits = totals("exit");
  const all = paths.reduce((s, p) => s + p.sessions, 0) || 1;
  const width = 720;
  const gap = 6;
  const height = Math.max(160, Math.max(entries.length, exits.length) * 34);
  const scale = (height - gap * (Math.max(entries.length, exits.length) + 1)) / all;
  const place = (list) => {
    const at = new Map();
    let y = gap;
    for (const [name, n] of list) {
      at.set(name, { y, h: Math.max(2, n * scale), used: 0 });
      y += Math.max(2, n * scale) + gap;
    }
    return at;
  };
  const left = place(entries);
  const right = place(exits);
  const root = svg("svg", { viewBox: `0 0 ${width} ${height}`, class: "flow", role: "img", "aria-label": `${title}: entry page to exit page, by sessions` });
  const nodeW = 10;
  const x0 = 200;
  const x1 = width - 200;
  paths.forEach((p, i) => {
    const a = left.get(p.entry);
    const b = right.get(p.exit);
    const band = Math.max(1, p.sessions * scale);
    const ya = a.y + a.used + band / 2;
    const yb = b.y + b.used + band / 2;
    a.used += band;
    b.used += band;
    const path = svg("path", {
      d: `M${x0 + nodeW},${ya} C${(x0 + x1) / 2},${ya} ${(x0 + x1) / 2},${yb} ${x1},${yb}`,
      stroke: PALETTE[i % PALETTE.length],
      "stroke-width": band,
      "stroke-opacity": 0.35,
      fill: "none",
    });
    const tip = svg("title", {});
    tip.textContent = `${p.entry} → ${p.exit}: ${num(p.sessions)} sessions`;
    path.append(tip);
    root.append(path);
  });
  const label = (text, x, y, anchor) => {
    const t = svg("text", { x, y, "text-anchor": anchor, "dominant-baseline": "middle", class: "flow-label" });
    t.textContent = text;
    return t;
  };
  for (const [name, n] of entries) {
    const a = left.get(name);
    root.append(svg("rect", { x: x0, y: a.y, width: nodeW, height: a.h, class: "flow-node" }));
    root.append(label(`${name} (${num(n)})`, x0 - 6, a.y + a.h / 2, "end"));
  }
  for (const [name, n] of exits) {
    const b = right.get(name);
    root.append(svg("rect", { x: x1, y: b.y, width: nodeW, height: b.h, class: "flow-node" }));
    root.append(label(`${name} (${num(n)})`, x1 + nodeW + 6, b.y + b.h / 2, "start"));
  }
  return h("figure", { class: "figure" }, h("figcaption", {}, title), h("div", { class: "flow-wrap" }, root));
}
