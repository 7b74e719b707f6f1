import { get, post } from "../api.js";
import { h, replace, field, form, select, table, notice, empty, loading } from "../ui.js";
import { noProject } from "../dashboard.js";

export async function render(ctx, view) {
  replace(view, h("h1", {}, "Members"));
  if (!ctx.project) {
    view.append(noProject(ctx));
    return;
  }
  const org = ctx.organization();
  const orgId = ctx.project.project.organization_id;
  const manage = Boolean(org && org.can_manage_members);
  const roles = ctx.vocabulary.roles;
  const roleLabel = (value) => (roles.find((r) => r.value === value) || { label: value }).label;
  const base = `/api/v1/organizations/${encodeURIComponent(orgId)}/members`;
  const list = h("div", {}, loading());
  view.append(
    h("p", { class: "intro" }, "Everyone who can see this organization's projects. Admins invite people and change roles; only an owner makes, changes or removes an owner, and an organization always keeps one."),
    h("h2", {}, "People"),
    list,
  );
  if (manage) {
    const email = h("input", { name: "email", type: "email", required: true, autocomplete: "off" });
    const name = h("input", { name: "name", required: true, maxlength: 100 });
    // Members by default: the least powerful role is the last of the list.
    const invite = select("role", roles.map((r) => [r.value, r.label]), roles[roles.length - 1].value);
    view.append(
      h("section", { class: "card" }, h("h2", {}, "Invite someone"),
        form({ "aria-label": "Invite a member" }, [
          field("E-mail", email, "On the organization's domain; they sign in with it on the sign-in page. Until they do, the list shows the invitation as pending."),
          field("Name", name),
          field("Role", invite),
        ], "Invite", async (data) => {
          await post(base, { email: String(data.get("email")).trim(), name: String(data.get("name")).trim(), role: data.get("role") });
          await refresh();
        })),
    );
  }

  /// Runs `change`; on refusal shows the server's message next to `anchor` and restores the row.
  async function attempt(anchor, change) {
    try {
      await change();
      await refresh();
    } catch (error) {
      anchor.after(notice("error", error.message));
      await refresh(false);
    }
  }

  function roleCell(m) {
    if (!manage) return roleLabel(m.role);
    const picker = select("role", roles.map((r) => [r.value, r.label]), m.role);
    picker.setAttribute("aria-label", `Role of ${m.email}`);
    picker.addEventListener("change", () =>
      attempt(list, () => post(`${base}/${encodeURIComponent(m.user_id)}/role`, { role: picker.value })));
    return picker;
  }

  function removeCell(m) {
    if (!manage || m.user_id === ctx.me.user.id) return "";
    const button = h("button", { type: "button", class: "danger", "aria-label": `Remove ${m.email}` }, "Remove");
    button.addEventListener("click", () => {
      button.disabled = true;
      return attempt(list, () => post(`${base}/${encodeURIComponent(m.user_id)}/remove`));
    });
    return button;
  }

  function status(m) {
    if (m.deactivated) return h("span", { class: "tag revoked" }, "account deactivated");
    if (m.pending) return h("span", { class: "tag pending" }, "invitation pending");
    return h("span", { class: "tag active" }, "signed in");
  }

  async function refresh(clearNotices = true) {
    if (clearNotices) for (const n of view.querySelectorAll(".notice")) n.remove();
    const { members } = await get(base);
    if (members.length === 0) {
      replace(list, empty("No members", h("p", {}, "Invite someone to share the dashboards.")));
      return;
    }
    replace(
      list,
      table("Members", [
        { label: "E-mail", value: (m) => m.email },
        { label: "Name", value: (m) => m.name },
        { label: "Role", value: roleCell },
        // Invited but never signed in: the invitation is still open.
        { label: "Status", value: status },
        { label: "", value: removeCell },
      ], members),
    );
  }
  await refresh();
}
