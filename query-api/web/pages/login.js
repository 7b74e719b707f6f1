import { post } from "../api.js";
import { h, form, field, notice, replace } from "../ui.js";

export function render(ctx, view) {
  const email = h("input", { type: "email", name: "email", required: true, autocomplete: "email", placeholder: "you@company.com" });
  replace(
    view,
    h(
      "section",
      { class: "login card" },
      h("h1", {}, "Sign in to Optiview"),
      h("p", {}, "We e-mail you a sign-in link. No password needed."),
      form({ "aria-label": "Sign in" }, [field("Work e-mail", email)], "E-mail me a sign-in link", async (data, status) => {
        await post("/api/v1/auth/magic-link", { email: String(data.get("email")).trim() });
        replace(
          status,
          notice("ok", `If ${data.get("email")} has an Optiview account, a sign-in link is on its way. It works once, for 15 minutes.`),
        );
      }),
    ),
  );
  email.focus();
}
