import { post } from "../api.js";
import { h, replace, field, form, select, table, notice } from "../ui.js";
import { noProject } from "../dashboard.js";

function toggle(property, name, label, ctx) {
  const box = h("input", { type: "checkbox", name, checked: property[name], disabled: !ctx.canConfigure(), "aria-label": `${label} for ${property.domain}` });
  box.addEventListener("change", async () => {
    box.disabled = true;
    const settings = { active: property.active, allow_subdomains: property.allow_subdomains, honor_privacy_signals: property.honor_privacy_signals, cookieless: property.cookieless, [name]: box.checked };
    try {
      const { property: saved } = await post(`/api/v1/properties/${property.id}/settings`, settings);
      Object.assign(property, saved);
      // The mode travels in the snippet: pages carrying the old one must get the new one.
      if (name === "cookieless") box.after(notice("info", saved.cookieless ? "Cookieless from the next beacon on. Update the snippet on your pages (Install): until then the old one sets its cookies once and removes them at the first answer." : "Cookies from now on. Update the snippet on your pages (Install): until then the cookieless one is still counted without cookies."));
    } catch (error) {
      box.checked = !box.checked;
      box.after(notice("error", error.message));
    } finally {
      box.disabled = false;
    }
  });
  return box;
}

export async function render(ctx, view) {
  replace(view, h("h1", {}, "Properties"));
  if (!ctx.project) {
    view.append(noProject(ctx));
    return;
  }
  const p = ctx.project.project;
  view.append(
    h("p", { class: "intro" }, `A property is one place ${p.name} sends data from: the website carrying the tag, an app, or an API whose server logs you forward.`),
    table("Properties", [
      { label: "Id", value: (x) => String(x.id) },
      { label: "Domain", value: (x) => x.domain },
      { label: "Kind", value: (x) => x.kind },
      { label: "Active", value: (x) => toggle(x, "active", "Active", ctx) },
      { label: "Subdomains too", value: (x) => toggle(x, "allow_subdomains", "Accept subdomains", ctx) },
      { label: "Honour GPC / DNT", value: (x) => toggle(x, "honor_privacy_signals", "Honour privacy signals", ctx) },
      { label: "Cookieless", value: (x) => toggle(x, "cookieless", "Cookieless mode", ctx) },
      { label: "", value: (x) => h("a", { href: ctx.link("/install", { property_id: x.id }) }, "Install") },
    ], ctx.project.properties),
  );
  if (ctx.canConfigure()) {
    // The server lists the kinds with the default first.
    const kinds = ctx.vocabulary.property_kinds;
    const domain = h("input", { name: "domain", required: true, placeholder: `api.${p.domain}` });
    view.append(
      h("section", { class: "card" }, h("h2", {}, "Add a property"),
        form({ "aria-label": "Add a property" }, [
          field("Domain", domain, `On ${p.domain} or one of its subdomains.`),
          field("Kind", select("kind", kinds.map((k) => [k.value, k.label]), kinds[0].value)),
          field("Accept subdomains", h("input", { type: "checkbox", name: "allow_subdomains" })),
          field("Cookieless", h("input", { type: "checkbox", name: "cookieless" }), "No cookie and nothing stored on the device; visitors are counted per day (see Data policy)."),
        ], "Add property", async (data) => {
          await post(`/api/v1/projects/${encodeURIComponent(p.id)}/properties`, {
            domain: String(data.get("domain")).trim(),
            kind: data.get("kind"),
            allow_subdomains: data.get("allow_subdomains") === "on",
            cookieless: data.get("cookieless") === "on",
          });
          await ctx.reload();
        })),
    );
  }
}
