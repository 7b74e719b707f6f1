// The dashboard's shell: who is signed in, their projects, the project switcher, navigation,
// and the page router. Pages are modules under pages/ that render into <main>.

import { get, post, setCsrf, ApiError } from "./api.js";
import { h, replace, loading, errorState } from "./ui.js";
import { readFilters } from "./filters.js";

const PAGES = {
  "/login": { title: "Sign in", load: () => import("./pages/login.js"), public: true },
  "/events": { title: "Events", load: () => import("./pages/events.js"), group: "Dashboards" },
  "/content": { title: "Content", load: () => import("./pages/content.js"), group: "Dashboards" },
  "/journeys": { title: "Journeys", load: () => import("./pages/journeys.js"), group: "Dashboards" },
  "/referrals": { title: "AI referrals", load: () => import("./pages/referrals.js"), group: "Dashboards" },
  "/conversions": { title: "Conversions", load: () => import("./pages/conversions.js"), group: "Dashboards" },
  "/crawlers": { title: "AI crawlers", load: () => import("./pages/crawlers.js"), group: "Dashboards" },
  "/install": { title: "Install", load: () => import("./pages/install.js"), group: "Set up" },
  "/api-keys": { title: "API keys", load: () => import("./pages/api_keys.js"), group: "Set up" },
  "/account": { title: "Your account", load: () => import("./pages/account.js"), group: "Account" },
  "/members": { title: "Members", load: () => import("./pages/members.js"), group: "Set up" },
  "/tokens": { title: "Analyst tokens", load: () => import("./pages/tokens.js"), group: "Set up" },
  "/settings": { title: "Properties", load: () => import("./pages/settings.js"), group: "Set up" },
  "/sources": { title: "AI sources", load: () => import("./pages/sources.js"), group: "Set up" },
  "/projects": { title: "Projects", load: () => import("./pages/projects.js"), group: "Set up" },
  "/data-policy": { title: "Data policy", load: () => import("./pages/data_policy.js"), group: "Set up" },
  "/admin/organizations": { title: "Organizations", load: () => import("./pages/admin_organizations.js"), group: "Platform", admin: true },
  "/admin/users": { title: "Users", load: () => import("./pages/admin_users.js"), group: "Platform", admin: true },
  "/admin/health": { title: "Health", load: () => import("./pages/admin_health.js"), group: "Platform", admin: true },
};

// What stays in the address bar from page to page.
const CARRIED = ["project", "range", "from", "to", "tz", "property"];

const ctx = {
  me: null,
  /// The values the forms offer, with their labels, as the server spells them (/api/v1/vocabulary).
  vocabulary: null,
  projects: [],
  project: null,
  params: new URLSearchParams(),
  filters: null,
  go,
  reload: () => boot(true),
  link,
  /// The current project's organization entry from /me (role and permissions included).
  organization() {
    return this.project && this.me.organizations.find((o) => o.id === this.project.project.organization_id);
  },
  /// Whether the server lets this user configure the current project (properties, keys, sources).
  canConfigure() {
    const org = this.organization();
    return Boolean(org && org.can_configure_projects);
  },
};

/// An href to `path` keeping the project, window and filters.
function link(path, extra = {}) {
  const params = new URLSearchParams();
  for (const name of CARRIED) {
    const value = ctx.params.get(name);
    if (value) params.set(name, value);
  }
  if (ctx.project && !params.get("project")) params.set("project", ctx.project.project.id);
  for (const [k, v] of Object.entries(extra)) {
    if (v === null || v === undefined || v === "") params.delete(k);
    else params.set(k, v);
  }
  const query = params.toString();
  return query ? `${path}?${query}` : path;
}

let focusHeading = false;

function go(href, { replace: swap = false } = {}) {
  if (swap) history.replaceState(null, "", href);
  else {
    history.pushState(null, "", href);
    focusHeading = true;
  }
  render();
}

document.addEventListener("click", (event) => {
  const a = event.target.closest("a[href]");
  if (!a || a.target || event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) return;
  const url = new URL(a.href, location.href);
  if (url.origin !== location.origin || !(url.pathname in PAGES || url.pathname === "/")) return;
  event.preventDefault();
  go(url.pathname + url.search);
});
window.addEventListener("popstate", () => render());

async function loadProjects(me) {
  const lists = await Promise.all(
    me.organizations.map((org) =>
      get(`/api/v1/organizations/${encodeURIComponent(org.id)}/projects`).then((r) =>
        r.projects.map((p) => ({ ...p, organization: org })),
      ),
    ),
  );
  return lists.flat();
}

function chooseProject() {
  const wanted = ctx.params.get("project") || ctx.params.get("project_id") || localStorage.getItem("ov.project");
  ctx.project = ctx.projects.find((p) => p.project.id === wanted) || ctx.projects[0] || null;
  if (ctx.project) localStorage.setItem("ov.project", ctx.project.project.id);
}

function renderTop() {
  const top = document.getElementById("top");
  if (!ctx.me) {
    replace(top, h("a", { class: "brand", href: "/login" }, "Optiview"));
    return;
  }
  const options = [];
  const byOrg = new Map();
  for (const p of ctx.projects) {
    if (!byOrg.has(p.organization.name)) byOrg.set(p.organization.name, []);
    byOrg.get(p.organization.name).push(p);
  }
  const switcher = h(
    "select",
    { id: "project-switcher", name: "project" },
    [...byOrg.entries()].map(([org, list]) =>
      h("optgroup", { label: org }, list.map((p) => h("option", { value: p.project.id, selected: ctx.project && p.project.id === ctx.project.project.id }, `${p.project.name} (${p.project.domain})`))),
    ),
  );
  if (ctx.projects.length === 0) switcher.append(h("option", { value: "" }, "No project yet"));
  switcher.addEventListener("change", () => {
    localStorage.setItem("ov.project", switcher.value);
    // Properties belong to one project: the property filter does not carry over.
    ctx.params.delete("property");
    ctx.params.set("project", switcher.value);
    go(`${location.pathname}?${ctx.params.toString()}`);
  });
  options.push(h("div", { class: "switcher" }, h("label", { for: "project-switcher" }, "Project"), switcher));
  const signOut = h("button", { type: "button", class: "link-button" }, "Sign out");
  signOut.addEventListener("click", async () => {
    try {
      await post("/api/v1/auth/logout");
    } finally {
      location.assign("/login");
    }
  });
  // Ends every session of this user (a lost laptop, a shared machine), this one included.
  const signOutEverywhere = h("button", { type: "button", class: "link-button", title: "End every session of this account, on every device" }, "Sign out everywhere");
  signOutEverywhere.addEventListener("click", async () => {
    try {
      await post("/api/v1/auth/logout-everywhere");
    } finally {
      location.assign("/login");
    }
  });
  replace(
    top,
    h("a", { class: "brand", href: link("/events") }, "Optiview"),
    options,
    h("a", { class: "new-project", href: link("/projects", { new: "1" }) }, "+ New project"),
    h("div", { class: "user" }, h("a", { class: "email", href: link("/account"), title: "Your account and sessions" }, ctx.me.user.email), signOut, signOutEverywhere),
  );
}

function renderNav(path) {
  const nav = document.getElementById("nav");
  if (!ctx.me) {
    replace(nav);
    return;
  }
  const groups = new Map();
  for (const [p, page] of Object.entries(PAGES)) {
    if (!page.group || (page.admin && !ctx.me.user.platform_admin)) continue;
    if (!groups.has(page.group)) groups.set(page.group, []);
    groups.get(page.group).push(h("li", {}, h("a", { href: link(p), "aria-current": p === path ? "page" : null }, page.title)));
  }
  replace(nav, [...groups.entries()].map(([name, items]) => h("div", { class: "nav-group" }, h("p", { class: "nav-title" }, name), h("ul", {}, items))));
}

let renderSeq = 0;

async function render() {
  const seq = ++renderSeq;
  const main = document.getElementById("main");
  let path = location.pathname;
  ctx.params = new URLSearchParams(location.search);
  if (path === "/" || !(path in PAGES)) {
    path = "/events";
    history.replaceState(null, "", link(path));
  }
  const page = PAGES[path];
  if (!page.public && !ctx.me) {
    location.assign(`/login?next=${encodeURIComponent(location.pathname + location.search)}`);
    return;
  }
  if (ctx.me) chooseProject();
  ctx.filters = readFilters(ctx.params);
  document.title = `${page.title} · Optiview`;
  renderTop();
  renderNav(path);
  replace(main, loading());
  try {
    const module = await page.load();
    if (seq !== renderSeq) return;
    const view = h("div", { class: "page" });
    replace(main, view);
    await module.render(ctx, view, page);
    if (seq !== renderSeq) return;
  } catch (error) {
    if (seq !== renderSeq) return;
    if (error instanceof ApiError && error.status === 401) {
      location.assign("/login");
      return;
    }
    replace(main, errorState(error, () => render()));
  }
  main.dataset.ready = String(seq);
  // Keyboard and screen-reader users land on the new page's heading after following a link.
  const heading = main.querySelector("h1");
  if (focusHeading && heading) {
    heading.setAttribute("tabindex", "-1");
    heading.focus({ preventScroll: true });
  }
  focusHeading = false;
}

async function boot(force) {
  const main = document.getElementById("main");
  const onLogin = location.pathname === "/login";
  if (!onLogin || force) {
    try {
      const [me, vocabulary] = await Promise.all([get("/api/v1/me"), get("/api/v1/vocabulary")]);
      ctx.me = me;
      ctx.vocabulary = vocabulary;
      setCsrf(me.csrf_token);
      ctx.projects = await loadProjects(me);
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 401)) {
        replace(main, errorState(error, () => boot()));
        return;
      }
      ctx.me = null;
    }
  }
  await render();
}

boot();
