import { get, post } from "../api.js";
import { h, replace, field, form, select, table, copyButton, notice, empty, when, loading } from "../ui.js";
import { noProject } from "../dashboard.js";

/// The command a reader pastes into a shell to try the token on this organization's data.
function curlLine(token, ctx) {
  const project = ctx.project.project.id;
  return `curl -H "Authorization: Bearer ${token}" "${location.origin}/api/v1/projects/${project}/events"`;
}

export async function render(ctx, view) {
  replace(view, h("h1", {}, "Analyst tokens"));
  if (!ctx.project) {
    view.append(noProject(ctx));
    return;
  }
  const org = ctx.organization();
  const orgId = ctx.project.project.organization_id;
  const created = h("div", { id: "created-token" });
  const list = h("div", {}, loading());
  const scopes = ctx.vocabulary.token_scopes;
  const name = h("input", { name: "name", required: true, maxlength: 100, placeholder: "weekly report script" });
  view.append(
    h("p", { class: "intro" }, `A token lets a script or notebook read ${org ? org.name : "this organization"}'s dashboards through the API, as you, with your role. Send it as "Authorization: Bearer …". Its secret is shown once, when it is created.`),
    h("section", { class: "card" }, h("h2", {}, "Create a token"),
      form({ "aria-label": "Create an analyst token" }, [
        field("Name", name, "What it is for."),
        field("Scope", select("scope", scopes.map((s) => [s.value, s.label]), scopes[0].value), "Read only unless the script must change settings."),
      ], "Create token", async (data) => {
        const made = await post(`/api/v1/organizations/${encodeURIComponent(orgId)}/tokens`, {
          name: String(data.get("name")).trim(),
          scope: data.get("scope"),
        });
        const curl = curlLine(made.secret, ctx);
        replace(
          created,
          h("section", { class: "card secret", role: "status" },
            h("h2", {}, `Token "${made.token.name}" created`),
            h("p", {}, "Copy the token now: it is shown only this once. Only its hash is stored."),
            h("div", { class: "snippet" }, h("pre", {}, h("code", { id: "token-secret" }, made.secret)), copyButton(() => made.secret, "Copy token")),
            h("p", {}, "Try it:"),
            h("div", { class: "snippet" }, h("pre", {}, h("code", { id: "token-curl" }, curl)), copyButton(() => curl, "Copy command"))),
        );
        await refresh();
      })),
    created,
    h("h2", {}, "Tokens"),
    list,
  );
  async function refresh() {
    const { tokens } = await get(`/api/v1/organizations/${encodeURIComponent(orgId)}/tokens`);
    if (tokens.length === 0) {
      replace(list, empty("No tokens yet", h("p", {}, "Create one to read the dashboards' data from a script.")));
      return;
    }
    const scopeLabel = (value) => (scopes.find((s) => s.value === value) || { label: value }).label;
    replace(
      list,
      table("Analyst tokens", [
        { label: "Name", value: (t) => t.name },
        { label: "Owner", value: (t) => t.user_email },
        { label: "Scope", value: (t) => scopeLabel(t.scope) },
        { label: "Created", value: (t) => when(new Date(t.created_at).toISOString(), ctx.filters.tz) },
        {
          label: "Status",
          value: (t) => {
            if (t.revoked) return h("span", { class: "tag revoked" }, "revoked");
            if (t.user_deactivated) return h("span", { class: "tag revoked", title: "Refused while its owner's account is deactivated" }, "owner deactivated");
            return h("span", { class: "tag active" }, "active");
          },
        },
        {
          label: "Actions",
          value: (t) => {
            if (t.revoked) return "";
            const button = h("button", { type: "button", class: "danger", "aria-label": `Revoke ${t.name} (${t.user_email})` }, "Revoke");
            button.addEventListener("click", async () => {
              button.disabled = true;
              try {
                await post(`/api/v1/tokens/${encodeURIComponent(t.id)}/revoke`);
                await refresh();
              } catch (error) {
                button.disabled = false;
                button.after(notice("error", error.message));
              }
            });
            return button;
          },
        },
      ], tokens),
    );
  }
  await refresh();
}
