import { get, post } from "../api.js";
import { h, replace, field, form, select, table, notice, empty } from "../ui.js";

export async function render(ctx, view) {
  replace(view, h("h1", {}, "Organizations"));
  if (!ctx.me.user.platform_admin) {
    view.append(empty("Platform admins only", h("p", {}, "This page manages every organization on Optiview.")));
    return;
  }
  const { organizations } = await get("/api/v1/organizations");
  // Both lists come from the server: plans with the default first, roles with the owner first.
  const plans = ctx.vocabulary.plans;
  const owner = ctx.vocabulary.roles[0].value;
  const owners = h("div", { id: "owner-status", "aria-live": "polite" });
  view.append(
    h("section", { class: "card" }, h("h2", {}, "Create an organization"),
      form({ "aria-label": "Create an organization" }, [
        field("Name", h("input", { name: "name", required: true, maxlength: 100 })),
        field("Domain", h("input", { name: "domain", required: true, placeholder: "example.com" }), "Members' e-mail addresses must be on this domain."),
        field("Plan", select("plan", plans.map((p) => [p.value, p.label]), plans[0].value)),
      ], "Create organization", async (data) => {
        await post("/api/v1/organizations", { name: String(data.get("name")).trim(), domain: String(data.get("domain")).trim(), plan: data.get("plan") });
        await ctx.reload();
      })),
    h("section", { class: "card" }, h("h2", {}, "Assign an owner"),
      organizations.length === 0 ? h("p", { class: "muted" }, "Create an organization first.") :
      form({ "aria-label": "Assign an owner" }, [
        field("Organization", select("organization", organizations.map((o) => [o.organization.id, `${o.organization.name} (${o.organization.domain})`]), organizations[0].organization.id)),
        field("Owner's e-mail", h("input", { type: "email", name: "email", required: true })),
        field("Owner's name", h("input", { name: "name", required: true, maxlength: 100 })),
        field("Allow an address outside the organization's domain", h("input", { type: "checkbox", name: "outside" })),
      ], "Assign owner", async (data, status) => {
        await post(`/api/v1/organizations/${encodeURIComponent(data.get("organization"))}/members`, {
          email: String(data.get("email")).trim(), name: String(data.get("name")).trim(), role: owner, allow_outside_domain: data.get("outside") === "on",
        });
        replace(status, notice("ok", `${data.get("email")} is now an owner. They sign in with their e-mail address.`));
      })),
    owners,
    h("h2", {}, "All organizations"),
    table("Organizations", [
      { label: "Name", value: (o) => o.organization.name },
      { label: "Domain", value: (o) => o.organization.domain },
      { label: "Plan", value: (o) => o.organization.plan },
      { label: "Id", value: (o) => h("code", {}, o.organization.id) },
      { label: "Your role", value: (o) => o.role || "platform admin" },
    ], organizations),
  );
}
