import { get, post } from "../api.js";
import { h, replace, select, field, copyButton, notice, empty, loading } from "../ui.js";
import { noProject, propertyPicker } from "../dashboard.js";

/// Starts from the status the page already fetched, then polls.
function widget(propertyId, first) {
  const status = h("p", { class: "verify-text" });
  const box = h("div", { class: "verify", id: "verification", "data-state": "waiting", role: "status", "aria-live": "polite" }, h("span", { class: "dot", "aria-hidden": "true" }), status);
  const show = (s) => {
    if (s.installed) {
      box.dataset.state = "installed";
      status.textContent = `Receiving events — ${s.events.toLocaleString()} so far, the last one ${s.age_seconds} s ago.`;
    } else {
      box.dataset.state = "waiting";
      status.textContent = "Waiting for the first event… Load a page carrying the snippet; this turns green within seconds.";
    }
  };
  // Polls while the widget is on screen; leaving the page stops it.
  const next = () => setTimeout(() => box.isConnected && check(), 2000);
  const check = async () => {
    try {
      show(await get(`/api/v1/properties/${propertyId}/install`));
    } catch (error) {
      box.dataset.state = "error";
      status.textContent = error.message;
    }
    next();
  };
  show(first);
  next();
  return box;
}

/// Which mode the snippet is in, and where it is switched: the tag reads it from the snippet.
function mode(ctx, property, cookieless) {
  const where = h("a", { href: ctx.link("/settings") }, "Properties");
  const policy = h("a", { href: ctx.link("/data-policy") }, "data policy");
  return cookieless
    ? h("p", { id: "tag-mode", "data-mode": "cookieless" }, h("strong", {}, "Cookieless mode is on. "), `The snippet carries data-cookieless="1": the tag sets no cookie and stores nothing on the device, and ${property.domain}'s visitors are counted per day. Switch it in `, where, "; see the ", policy, ".")
    : h("p", { id: "tag-mode", "data-mode": "cookies" }, h("strong", {}, "Cookie mode. "), "The tag sets two first-party cookies (a visitor id for a year, a session id for 30 minutes). To store nothing on the device, switch the property to cookieless in ", where, " and paste the new snippet; see the ", policy, ".");
}

export async function render(ctx, view) {
  replace(view, h("h1", {}, "Install the tag"));
  if (!ctx.project) {
    view.append(noProject(ctx));
    return;
  }
  const picked = propertyPicker(ctx, view, "/install");
  if (!picked) return;
  const property = picked.property;
  view.append(
    h("p", { class: "intro" }, `Paste one tag into every page of ${property.domain}. Events show up here within seconds.`),
    picked.form,
  );
  const body = h("div", {}, loading());
  view.append(body);
  const status = await get(`/api/v1/properties/${property.id}/install`);
  const keys = status.snippets;
  if (keys.length === 0) {
    const create = h("button", { type: "button" }, "Create an API key");
    create.addEventListener("click", async () => {
      create.disabled = true;
      try {
        const made = await post(`/api/v1/properties/${property.id}/keys`, { name: "website tag" });
        ctx.go(ctx.link("/install", { property_id: property.id, key_id: made.api_key.id }), { replace: true });
      } catch (error) {
        create.disabled = false;
        create.after(notice("error", error.message));
      }
    });
    replace(body, empty("No API key for this property yet", h("p", {}, "The tag identifies your property with a key id (not a secret)."), ctx.canConfigure() ? create : h("p", {}, "Ask an admin of your organization to create one.")));
    return;
  }
  const chosen = keys.find((k) => k.key_id === ctx.params.get("key_id")) || keys[0];
  const keyPicker = select("key_id", keys.map((k) => [k.key_id, `${k.name} (${k.key_id})`]), chosen.key_id);
  keyPicker.addEventListener("change", () => ctx.go(ctx.link("/install", { property_id: property.id, key_id: keyPicker.value }), { replace: true }));
  const code = h("code", { id: "snippet" }, chosen.snippet);
  replace(
    body,
    h("ol", { class: "steps" },
      h("li", {}, h("h2", {}, "Choose the key"), h("form", { onsubmit: (e) => e.preventDefault() }, field("API key", keyPicker))),
      h("li", {}, h("h2", {}, "Copy the snippet into the <head> of every page"),
        mode(ctx, property, status.cookieless),
        h("div", { class: "snippet" }, h("pre", {}, code), copyButton(() => chosen.snippet, "Copy snippet"))),
      h("li", {}, h("h2", {}, "Open one of your pages"), widget(property.id, status))),
  );
}
