import { get, post } from "../api.js";
import { h, replace, field, form, table, copyButton, notice, empty, when, loading } from "../ui.js";
import { noProject, propertyPicker } from "../dashboard.js";

export async function render(ctx, view) {
  replace(view, h("h1", {}, "API keys"));
  if (!ctx.project) {
    view.append(noProject(ctx));
    return;
  }
  const picked = propertyPicker(ctx, view, "/api-keys");
  if (!picked) return;
  const property = picked.property;
  const created = h("div", { id: "created-key" });
  const list = h("div", {}, loading());
  view.append(
    h("p", { class: "intro" }, "The tag uses a key's id, which is public. A key's secret authenticates server-side hits (log forwarding); it is shown once, when the key is created."),
    picked.form,
    created,
  );
  if (ctx.canConfigure()) {
    const name = h("input", { name: "name", required: true, maxlength: 100, value: "website tag" });
    view.append(
      h("section", { class: "card" }, h("h2", {}, "Create a key"),
        form({ "aria-label": "Create an API key" }, [field("Name", name, "What it is for, e.g. \"website tag\" or \"nginx logs\".")], "Create key", async (data) => {
          const made = await post(`/api/v1/properties/${property.id}/keys`, { name: String(data.get("name")).trim() });
          replace(
            created,
            h("section", { class: "card secret", role: "status" },
              h("h2", {}, `Key "${made.api_key.name}" created`),
              h("p", {}, "Copy the secret now: it is shown only this once. Only its hash is stored."),
              h("div", { class: "snippet" }, h("pre", {}, h("code", { id: "key-secret" }, made.secret)), copyButton(() => made.secret, "Copy secret")),
              h("p", {}, h("a", { href: ctx.link("/install", { property_id: property.id, key_id: made.api_key.id }) }, "Install the tag with this key →"))),
          );
          await refresh();
        })),
    );
  }
  view.append(h("h2", {}, "Keys"), list);
  async function refresh() {
    const { api_keys: keys } = await get(`/api/v1/properties/${property.id}/keys`);
    if (keys.length === 0) {
      replace(list, empty("No keys yet", h("p", {}, "Create one to install the tag.")));
      return;
    }
    replace(
      list,
      table("API keys", [
        { label: "Name", value: (k) => k.name },
        { label: "Key id", value: (k) => h("code", {}, k.id) },
        { label: "Permissions", value: (k) => k.permissions.join(", ") },
        { label: "Created", value: (k) => when(new Date(k.created_at).toISOString(), ctx.filters.tz) },
        { label: "Status", value: (k) => (k.revoked ? h("span", { class: "tag revoked" }, "revoked") : h("span", { class: "tag active" }, "active")) },
        {
          label: "Actions",
          value: (k) => {
            if (k.revoked || !ctx.canConfigure()) return "";
            const button = h("button", { type: "button", class: "danger", "aria-label": `Revoke ${k.name} (${k.id})` }, "Revoke");
            button.addEventListener("click", async () => {
              if (!confirm(`Revoke "${k.name}"? Pages using it stop sending data within seconds.`)) return;
              button.disabled = true;
              try {
                await post(`/api/v1/keys/${encodeURIComponent(k.id)}/revoke`);
                await refresh();
              } catch (error) {
                button.disabled = false;
                button.after(notice("error", error.message));
              }
            });
            return button;
          },
        },
      ], keys),
    );
  }
  await refresh();
}
