import { post } from "../api.js";
import { h, replace, field, form, select, table, empty } from "../ui.js";

export async function render(ctx, view) {
  replace(view, h("h1", {}, "Projects"));
  const owned = ctx.me.organizations.filter((o) => o.can_create_projects);
  if (owned.length > 0) {
    const name = h("input", { name: "name", required: true, maxlength: 100, placeholder: "Marketing site" });
    const domain = h("input", { name: "domain", required: true, placeholder: "example.com" });
    const section = h("section", { class: "card", id: "create-project" }, h("h2", {}, "Create a project"),
      form({ "aria-label": "Create a project" }, [
        field("Organization", select("organization", owned.map((o) => [o.id, o.name]), (ctx.organization() || owned[0]).id)),
        field("Name", name),
        field("Domain", domain, "Its default website property is created on this domain."),
      ], "Create project", async (data) => {
        const made = await post(`/api/v1/organizations/${encodeURIComponent(data.get("organization"))}/projects`, {
          name: String(data.get("name")).trim(),
          domain: String(data.get("domain")).trim(),
        });
        localStorage.setItem("ov.project", made.project.id);
        history.pushState(null, "", `/settings?project=${encodeURIComponent(made.project.id)}`);
        await ctx.reload();
      }));
    view.append(section);
    if (ctx.params.get("new")) queueMicrotask(() => name.focus());
  } else {
    view.append(h("p", { class: "muted" }, "Only owners of an organization create projects."));
  }
  view.append(h("h2", {}, "Your projects"));
  if (ctx.projects.length === 0) {
    view.append(empty("No project yet", h("p", {}, owned.length ? "Create your first one above." : "Ask an owner of your organization to create one.")));
    return;
  }
  view.append(
    table("Projects", [
      { label: "Project", value: (p) => h("a", { href: `/events?project=${encodeURIComponent(p.project.id)}` }, p.project.name) },
      { label: "Domain", value: (p) => p.project.domain },
      { label: "Organization", value: (p) => p.organization.name },
      { label: "Properties", value: (p) => String(p.properties.length), numeric: true },
      { label: "", value: (p) => h("a", { href: `/install?project_id=${encodeURIComponent(p.project.id)}` }, "Install") },
    ], ctx.projects),
  );
}
