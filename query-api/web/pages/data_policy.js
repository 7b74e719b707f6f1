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

/// The tag's two modes, chosen per property (Properties → Cookieless), and which one each is in.
function tagModes(ctx) {
  const properties = ctx.project.properties || [];
  const inMode = (on) => properties.filter((p) => !!p.cookieless === on).map((p) => p.domain).join(", ") || "none";
  return h("section", { class: "card", id: "tag-modes" }, h("h2", {}, "Cookies or cookieless, per property"),
    h("p", { "data-mode": "cookies" }, h("strong", {}, "With cookies (the default): "), "the tag sets a first-party visitor cookie (one year) and a session cookie (30 minutes), and keeps events waiting to be sent in localStorage, so a return visit weeks later is the same visitor and no event is lost to a closed tab. ", `Properties in this mode: ${inMode(false)}.`),
    h("p", { "data-mode": "cookieless" }, h("strong", {}, "Cookieless: "), "the tag sets no cookie and writes nothing to localStorage or sessionStorage; it sends no id at all. The collector derives the visitor id from a keyed hash of the full IP address, the user agent and the property, with a salt that changes every UTC day and is destroyed 48 hours after its day began. Page views of one browser on one network the same day are one visitor and are grouped into sessions by inactivity (30 minutes); the next day the same person is a new visitor, and once the salt is gone nobody, Optiview included, can link the two days or recompute an id from an address. The address itself is not stored, as in the other mode. Returning visitors and multi-day journeys are therefore not measured, and events still waiting when a tab closes during an outage are lost. ", `Properties in this mode: ${inMode(true)}.`));
}

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
        h("li", {}, "Unless the property is cookieless (below): two first-party ids set by the tag, a random visitor id (one year) and a session id (30 minutes)."),
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
    tagModes(ctx),
  );
}
