import { get, post } from "../api.js";
import { h, replace, table, notice, when, loading } from "../ui.js";

export async function render(ctx, view) {
  replace(view, h("h1", {}, "Your account"));
  const list = h("div", {}, loading());
  const everywhere = h("button", { type: "button", class: "danger" }, "Sign out everywhere");
  everywhere.addEventListener("click", async () => {
    everywhere.disabled = true;
    try {
      await post("/api/v1/auth/logout-everywhere");
    } finally {
      location.assign("/login");
    }
  });
  view.append(
    h("p", { class: "intro" }, `Signed in as ${ctx.me.user.email}. These are the browsers signed in to your account; end any you do not recognise, or all of them at once.`),
    h("h2", {}, "Active sessions"),
    list,
    h("section", { class: "card" }, h("h2", {}, "Sign out everywhere"),
      h("p", {}, "Ends every session of your account, this one included, on every device."),
      everywhere),
  );

  function action(s) {
    if (s.current) return h("span", { class: "tag active" }, "this browser");
    const button = h("button", { type: "button", "aria-label": `Sign out ${s.device}` }, "Sign out");
    button.addEventListener("click", async () => {
      button.disabled = true;
      try {
        await post(`/api/v1/auth/sessions/${encodeURIComponent(s.id)}/end`);
        await refresh();
      } catch (error) {
        button.disabled = false;
        button.after(notice("error", error.message));
      }
    });
    return button;
  }

  async function refresh() {
    const { sessions } = await get("/api/v1/auth/sessions");
    replace(
      list,
      table("Active sessions", [
        { label: "Device", value: (s) => s.device },
        { label: "Signed in", value: (s) => when(new Date(s.started_at).toISOString(), ctx.filters.tz) },
        { label: "Last seen", value: (s) => when(new Date(s.last_seen_at).toISOString(), ctx.filters.tz) },
        { label: "", value: action },
      ], sessions),
    );
  }
  await refresh();
}
