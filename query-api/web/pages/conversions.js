import { h, kpis, num, pct, money, table } from "../ui.js";
import { dashboard } from "../dashboard.js";
import { bars } from "../charts.js";

const MODELS = [
  ["session", "Same session", "The conversion is credited to the AI assistant that started its session."],
  ["last_ai_touch", "Last AI touch", "The conversion is credited to the visitor's last AI referral within the lookback window."],
];

export function render(ctx, view) {
  return dashboard(ctx, view, {
    name: "conversions",
    title: "Conversions",
    intro: "Sign-ups, purchases and other goals, and which AI assistants they came from.",
    emptyWhat: "conversions",
    isEmpty: (d) => !d.totals || (d.totals.conversions === 0 && d.totals.sessions === 0),
    draw: (d) =>
      h(
        "div",
        {},
        kpis([
          ["Conversions", num(d.totals.conversions)],
          ["Value", money(d.totals.value)],
          ["Sessions", num(d.totals.sessions)],
          ["Conversion rate", pct(d.totals.rate)],
        ]),
        MODELS.map(([key, title, hint]) => {
          const rows = d.by_model[key] || [];
          return h(
            "section",
            { class: "card" },
            h("h2", {}, `Attribution: ${title}`),
            h("p", { class: "muted" }, hint),
            rows.length === 0
              ? h("p", { class: "muted" }, "No conversion came from an AI assistant in this window.")
              : h("div", {},
                  bars("Conversions by assistant", rows.map((r) => ({ label: r.source, value: r.conversions }))),
                  table(`Conversions by assistant (${title})`, [
                    { label: "Assistant", value: (r) => r.source },
                    { label: "Conversions", value: (r) => num(r.conversions), numeric: true },
                    { label: "Value", value: (r) => money(r.value), numeric: true },
                    { label: "Sessions", value: (r) => num(r.sessions), numeric: true },
                    { label: "Rate", value: (r) => pct(r.rate), numeric: true },
                  ], rows)),
          );
        }),
      ),
  });
}
