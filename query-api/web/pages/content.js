import { h, table, num, when, select, field } from "../ui.js";
import { dashboard, labels, picker } from "../dashboard.js";
import { bars } from "../charts.js";

export function render(ctx, view) {
  // The server lists the sorts with the default first.
  const sorts = ctx.vocabulary.content_sorts.map((s) => [s.value, s.label]);
  const sort = sorts.some(([s]) => s === ctx.params.get("sort")) ? ctx.params.get("sort") : sorts[0][0];
  return dashboard(ctx, view, {
    name: "content",
    title: "Content",
    intro: "Your pages as people and AI systems see them: views, AI crawler reads and AI referrals per page.",
    query: { sort, limit: "50" },
    emptyWhat: "pages",
    filters: ["page"],
    isEmpty: (d) => !d.pages || d.pages.length === 0,
    draw: (d) => {
      const sorter = select("sort", sorts, sort);
      sorter.addEventListener("change", () => {
        const href = new URL(ctx.link(location.pathname, { sort: sorter.value }), location.href);
        ctx.go(href.pathname + href.search, { replace: true });
      });
      const top = d.pages.slice(0, 10);
      const pick = picker(ctx, "page");
      const contentType = labels(ctx, "content_types");
      return h(
        "div",
        {},
        h("div", { class: "grid" },
          bars("Views (top 10)", top.map((p) => ({ label: p.path || p.url, value: p.views, href: pick(p.path || p.url) }))),
          bars("AI crawler reads (top 10)", top.map((p) => ({ label: p.path || p.url, value: p.ai_crawler_hits, href: pick(p.path || p.url) })))),
        h("div", { class: "toolbar" }, field("Sort pages by", sorter)),
        table("Pages", [
          { label: "Page", value: (p) => h("span", { class: "page-cell" }, h("strong", {}, p.title || p.path), h("br"), h("small", { class: "muted" }, p.path)) },
          { label: "Type", value: (p) => contentType(p.content_type) },
          { label: "Views", value: (p) => num(p.views), numeric: true },
          { label: "AI crawler reads", value: (p) => num(p.ai_crawler_hits), numeric: true },
          { label: "AI referrals", value: (p) => num(p.ai_referrals), numeric: true },
          { label: "First seen", value: (p) => when(p.first_seen, d.window.tz) },
          { label: "Last seen", value: (p) => when(p.last_seen, d.window.tz) },
        ], d.pages),
      );
    },
  });
}
