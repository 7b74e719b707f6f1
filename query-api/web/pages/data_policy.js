import { get } from "../api.js";
import { h, replace, table } from "../ui.js";
import { noProject } from "../dashboard.js";

// The collector's and processors' --address-key-hours default (platform::raw_address).
const ADDRESS_WINDOW_HOURS = 72;

const KINDS = [
  ["events_days", "Raw events (pageviews, clicks, custom events)"],
  ["crawler_hits_days", "Crawler hits"],
  ["conversions_days", "Conversions"],
  ["ai_referrals_days", "AI referrals"],
  ["sessions_days", "Sessions"],
];

export async function render(ctx, view) {
  replace(view, h("h1", {}, "Data policy"));
  if (!ctx.project) {
    view.append(noProject(ctx));
    return;
  }
  const { organization, data_policy: policy } = await get(`/api/v1/organizations/${encodeURIComponent(ctx.project.project.organization_id)}`);
  view.append(
    h("p", { class: "intro" }, `${organization.name} is on the ${organization.plan} plan. Data older than its retention is deleted automatically.`),
    table("Retention", [
      { label: "Data", value: (r) => r[1] },
      { label: "Kept for", value: (r) => `${policy[r[0]]} days`, numeric: true },
    ], KINDS),
    h("section", { class: "card" }, h("h2", {}, "What is collected"),
      h("ul", {},
        h("li", {}, "Page URL, title and referrer; screen size, language and time zone; the user agent, parsed into browser, OS and device."),
        h("li", {}, "Two first-party ids set by the tag: a random visitor id (one year) and a session id (30 minutes)."),
        h("li", {}, "The client's IP address is never stored: it is truncated and hashed with a secret salt; only the country is kept."),
        h("li", {}, "Where a property honours privacy signals, browsers sending Global Privacy Control or Do Not Track are not counted."),
        h("li", {}, "Server-side hits you forward: method, path, status and user agent; the IP address only sealed, for crawler verification (below)."))),
    h("section", { class: "card" }, h("h2", {}, "Raw addresses of server-side hits"),
      h("p", {}, "A forwarded hit's IP address is needed once: to check a crawler against the addresses its operator publishes. "
        + "It leaves the collector encrypted with a key that belongs to the day it arrived, and is never written in plain text."),
      h("ul", {},
        h("li", {}, `Each day's key is destroyed ${ADDRESS_WINDOW_HOURS} hours after that day began (UTC). From then on the address exists nowhere: the stored record can no longer be decrypted by anyone, us included.`),
        h("li", {}, "The analytics database never holds the address, not even shortened: only the verification result (verified, spoofed, unverifiable, or unchecked when the address was gone before it could be checked)."),
        h("li", {}, "Reprocessing your history later keeps the verification made the first time, because the address it was made from no longer exists."))),
  );
}
