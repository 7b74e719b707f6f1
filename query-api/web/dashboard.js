// What every dashboard page shares: heading, filters, fetching its endpoint with the window,
// and the loading, empty and error states around the page's own drawing.

import { get } from "./api.js";
import { h, replace, loading, errorState, empty, select, field } from "./ui.js";
import { filterBar, windowQuery, describe, activeDimensions, DIMENSIONS } from "./filters.js";

export function noProject(ctx) {
  return empty(
    "No project yet",
    h("p", {}, "A project is one site or app you want to see through AI's eyes."),
    h("a", { class: "button", href: ctx.link("/projects", { new: "1" }) }, "Create a project"),
  );
}

function noEvents(ctx, what = "events") {
  return empty(
    `No ${what} yet — install the tag`,
    h("p", {}, `Nothing arrived in this time window. Once the tag is on your pages, ${what} show up here within seconds.`),
    h("a", { class: "button", href: ctx.link("/install") }, "Install the tag"),
  );
}

/// The active breakdown filters as chips, each a link that removes it; null when there is none.
function filterChips(ctx, names) {
  const active = activeDimensions(ctx.params, names);
  if (active.length === 0) return null;
  const named = new Map(DIMENSIONS);
  const classes = labels(ctx, "agent_classes");
  return h(
    "p",
    { class: "filter-chips", "aria-label": "Breakdown filters" },
    "Filtered to ",
    active.map(([name, value]) =>
      h("a", { class: "chip", href: filterLink(ctx, { [name]: null }), title: "Remove this filter" }, `${named.get(name)}: ${name === "class" ? classes(value) : value} ✕`),
    ),
  );
}

/// An href to this page with its breakdown filters changed (`null` removes one), keeping the
/// others the page has.
export function filterLink(ctx, changes) {
  const kept = {};
  for (const [name] of DIMENSIONS) {
    const value = ctx.params.get(name);
    if (value) kept[name] = value;
  }
  return ctx.link(location.pathname, { ...kept, ...changes });
}

/// spec: { name (endpoint), title, intro, query (extra params), filters (breakdown filters the
/// endpoint applies), isEmpty(data), emptyWhat, draw(data, ctx) → nodes }
export async function dashboard(ctx, view, spec) {
  replace(view, h("h1", {}, spec.title), spec.intro ? h("p", { class: "intro" }, spec.intro) : null);
  if (!ctx.project) {
    view.append(noProject(ctx));
    return;
  }
  const apply = (changes) => {
    const href = new URL(ctx.link(location.pathname, changes), location.href);
    ctx.go(href.pathname + href.search, { replace: true });
  };
  view.append(filterBar(ctx, apply));
  const body = h("div", { class: "dashboard-body", "aria-live": "polite", "aria-busy": "true" }, loading());
  // append() prints a null as the text "null": leave out the chips line when no filter is on.
  const chips = filterChips(ctx, spec.filters || []);
  view.append(h("p", { class: "window-label muted" }, describe(ctx.filters)), ...(chips ? [chips] : []), body);
  const query = windowQuery(ctx.filters);
  for (const [k, v] of activeDimensions(ctx.params, spec.filters || [])) query.set(k, v);
  for (const [k, v] of Object.entries(spec.query || {})) query.set(k, v);
  const path = `/api/v1/projects/${encodeURIComponent(ctx.project.project.id)}/${spec.name}?${query}`;
  let data;
  try {
    data = await get(path);
  } catch (error) {
    replace(body, errorState(error, () => ctx.go(location.pathname + location.search, { replace: true })));
    body.setAttribute("aria-busy", "false");
    return;
  }
  body.setAttribute("aria-busy", "false");
  if (spec.isEmpty(data)) replace(body, noEvents(ctx, spec.emptyWhat));
  else replace(body, spec.draw(data, ctx));
}

/// A breakdown from the API ([{value, events|hits}]) as bar rows, `count` reading a row's number;
/// blank values get a name.
/// `label` names a value in words (see `labels`); without it the value shows as sent.
/// `pick(value)` gives the href that filters the page by a value (see `picker`); blank values,
/// which no filter can select, get none.
export function breakdownRows(rows, count, blank = "(unknown)", label = String, pick = null) {
  return (rows || []).map((r) => ({
    label: r.value === "" ? blank : label(r.value),
    value: Number(count(r) || 0),
    href: pick && r.value !== "" ? pick(r.value) : null,
  }));
}

/// Bar links that filter the page by the `name` breakdown filter.
export function picker(ctx, name) {
  return (value) => filterLink(ctx, { [name]: value });
}

/// How the server's vocabulary `list` (e.g. `agent_classes`) names a value; the value itself for
/// one the vocabulary does not know.
export function labels(ctx, list) {
  const named = new Map((ctx.vocabulary[list] || []).map((c) => [c.value, c.label]));
  return (value) => named.get(value) || String(value);
}

/// The property a setup page works on (`?property_id=`, else the project's first) and a picker
/// that reloads `path` with another; null, with an empty state in `view`, when there is none.
export function propertyPicker(ctx, view, path) {
  const properties = ctx.project.properties;
  const wanted = ctx.params.get("property_id") || ctx.params.get("property");
  const property = properties.find((p) => String(p.id) === String(wanted)) || properties[0];
  if (!property) {
    view.append(empty("This project has no property", h("a", { class: "button", href: ctx.link("/settings") }, "Add a property")));
    return null;
  }
  const picker = select("property_id", properties.map((p) => [p.id, `${p.domain} (${p.kind})`]), property.id);
  picker.addEventListener("change", () => ctx.go(ctx.link(path, { property_id: picker.value, key_id: null }), { replace: true }));
  return { property, form: h("form", { class: "filters", onsubmit: (e) => e.preventDefault() }, field("Property", picker)) };
}
