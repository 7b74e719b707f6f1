import { get, post } from "../api.js";
import { h, replace, form, notice } from "../ui.js";
import { noProject } from "../dashboard.js";

export async function render(ctx, view) {
  replace(view, h("h1", {}, "AI sources"));
  if (!ctx.project) {
    view.append(noProject(ctx));
    return;
  }
  const project = ctx.project.project;
  const { ai_sources: sources } = await get(`/api/v1/projects/${encodeURIComponent(project.id)}/ai-sources`);
  const boxes = sources.map((s) =>
    h("li", {}, h("label", {}, h("input", { type: "checkbox", name: "enabled", value: s.name, checked: s.enabled, disabled: !ctx.canConfigure() }), " ", s.name)),
  );
  view.append(
    h("p", { class: "intro" }, "The AI assistants whose referrals the dashboards show for this project. Every referral is recorded; this only chooses what you see."),
    form({ "aria-label": "AI sources" }, [h("fieldset", {}, h("legend", {}, `Shown for ${project.name}`), h("ul", { class: "checks" }, boxes))], "Save", async (data, status) => {
      if (!ctx.canConfigure()) throw new Error("Only admins of the organization can change this.");
      const saved = await post(`/api/v1/projects/${encodeURIComponent(project.id)}/ai-sources`, { enabled: data.getAll("enabled") });
      const on = saved.ai_sources.filter((s) => s.enabled).map((s) => s.name);
      replace(status, notice("ok", on.length ? `Saved: ${on.join(", ")}.` : "Saved: no AI source is shown."));
    }),
  );
}
