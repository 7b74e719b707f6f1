import { get, post } from "../api.js";
import { h, replace, field, form, table, notice, empty, when, loading } from "../ui.js";

export async function render(ctx, view) {
  replace(view, h("h1", {}, "Users"));
  if (!ctx.me.user.platform_admin) {
    view.append(empty("Platform admins only", h("p", {}, "This page manages every user on Optiview.")));
    return;
  }
  const roleLabel = (value) => (ctx.vocabulary.roles.find((r) => r.value === value) || { label: value }).label;
  const list = h("div", { id: "users" }, loading());
  view.append(
    h("p", { class: "intro" }, "Everyone with an account, the organizations they belong to and when they last signed in. A deactivated user cannot sign in, and their sessions and analyst tokens stop working at once; reactivating restores what they had."),
    h("section", { class: "card" }, h("h2", {}, "Invite someone"),
      form({ "aria-label": "Invite a user" }, [
        field("E-mail", h("input", { type: "email", name: "email", required: true, autocomplete: "off" }), "They get a sign-in link by e-mail. Add them to an organization from its Members page or Organizations."),
        field("Name", h("input", { name: "name", required: true, maxlength: 100 })),
      ], "Send invitation", async (data, status) => {
        const email = String(data.get("email")).trim();
        const made = await post("/api/v1/admin/users", { email, name: String(data.get("name")).trim() });
        const text = !made.link_sent
          ? `${email} was sent several links just now; the earlier ones still work.`
          : made.created ? `Invitation sent to ${email}.` : `${email} already has an account; a sign-in link is on its way.`;
        await refresh();
        replace(status, notice(made.link_sent ? "ok" : "error", text));
      })),
    h("h2", {}, "All users"),
    list,
  );

  function status(u) {
    if (!u.active) return h("span", { class: "tag revoked" }, "deactivated");
    if (u.pending) return h("span", { class: "tag pending" }, "invited, never signed in");
    return h("span", { class: "tag active" }, "active");
  }

  /// A button that posts `path`; on refusal the server's message shows under the list.
  function action(label, aria, path, body, kind) {
    const button = h("button", { type: "button", class: kind, "aria-label": aria }, label);
    button.addEventListener("click", async () => {
      button.disabled = true;
      try {
        await post(path, body);
        await refresh();
      } catch (error) {
        button.disabled = false;
        list.after(notice("error", error.message));
      }
    });
    return button;
  }

  function actions(u) {
    const base = `/api/v1/admin/users/${encodeURIComponent(u.id)}`;
    const buttons = [];
    if (u.active) {
      buttons.push(u.platform_admin
        ? action("Remove platform admin", `Remove platform admin from ${u.email}`, `${base}/platform-admin`, { platform_admin: false })
        : action("Make platform admin", `Make ${u.email} a platform admin`, `${base}/platform-admin`, { platform_admin: true }));
    }
    // Your own account is deactivated by another platform admin, never by yourself.
    if (u.id !== ctx.me.user.id) {
      buttons.push(u.active
        ? action("Deactivate", `Deactivate ${u.email}`, `${base}/deactivate`, undefined, "danger")
        : action("Reactivate", `Reactivate ${u.email}`, `${base}/reactivate`));
    }
    return h("div", { class: "row-actions" }, buttons);
  }

  async function refresh() {
    for (const n of view.querySelectorAll("#users ~ .notice")) n.remove();
    const { users } = await get("/api/v1/admin/users");
    if (users.length === 0) {
      replace(list, empty("No users", h("p", {}, "Invite someone above.")));
      return;
    }
    const at = (ms) => (ms === null || ms === undefined ? "never" : when(new Date(ms).toISOString(), ctx.filters.tz));
    replace(
      list,
      table("Users", [
        { label: "E-mail", value: (u) => u.email },
        { label: "Name", value: (u) => u.name },
        { label: "Organizations", value: (u) => (u.organizations.length ? u.organizations.map((o) => `${o.name} (${roleLabel(o.role)})`).join(", ") : "—") },
        { label: "Platform admin", value: (u) => (u.platform_admin ? "yes" : "no") },
        { label: "Status", value: status },
        { label: "Last sign-in", value: (u) => at(u.last_sign_in_at) },
        { label: "", value: actions },
      ], users),
    );
  }
  await refresh();
}
