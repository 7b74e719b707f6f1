// Drives Debian's Chromium through the dashboard as a new partner would, then through every page
// with demo data and with an empty project, saving screenshots. Run by
// query-api/tests/browser_runbook.rs, which starts the services and checks the stored data.
//   node dashboard_test.mjs '<json config>'
// Prints one JSON report as its last line; exits non-zero on the first failed step, and when any
// page logged a console error.
import { chromium, request as http } from "playwright-core";
import { readFileSync, mkdirSync, existsSync } from "node:fs";
import { createServer } from "node:http";

const config = JSON.parse(process.argv[2]);
mkdirSync(config.shots, { recursive: true });
const report = { steps: [], console_errors: [], expected_refusals: [], pages: [] };
const step = (name, extra = {}) => report.steps.push({ name, at_ms: Date.now(), ...extra });

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run",
    // The partner's site is on a test domain that resolves to loopback; nothing leaves the machine.
    "--host-resolver-rules=MAP *.optiview-test.com 127.0.0.1",
  ],
});

/// Console errors of `page`; `expected` names the HTTP statuses a step provokes on purpose (the
/// browser logs every refused request as an error), which are counted apart.
function watch(page, label, expected = []) {
  page.on("console", (m) => {
    if (m.type() !== "error") return;
    const refused = /status of (\d{3})/.exec(m.text());
    if (refused && expected.includes(Number(refused[1]))) {
      report.expected_refusals.push({ page: label(), status: Number(refused[1]) });
      return;
    }
    report.console_errors.push({ page: label(), text: m.text() });
  });
  page.on("pageerror", (e) => report.console_errors.push({ page: label(), text: String(e) }));
}

async function newUser(expected = []) {
  const context = await browser.newContext({ viewport: { width: 1360, height: 900 } });
  const page = await context.newPage();
  watch(page, () => page.url(), expected);
  return { context, page };
}

const links = () => (existsSync(config.outbox) ? readFileSync(config.outbox, "utf8") : "").trim().split("\n").filter(Boolean).map((l) => JSON.parse(l));

async function signIn(page, email) {
  await page.goto(`${config.base}/login`);
  const before = links().length;
  await page.getByLabel("Work e-mail").fill(email);
  await page.getByRole("button", { name: "E-mail me a sign-in link" }).click();
  await page.locator(".notice.ok").waitFor();
  let mail;
  for (let i = 0; i < 100 && !mail; i++) {
    mail = links().slice(before).find((m) => m.to === email);
    if (!mail) await page.waitForTimeout(100);
  }
  if (!mail) throw new Error(`no sign-in link for ${email} in the outbox`);
  await page.goto(mail.link);
  await page.waitForURL(/\/events/);
  await ready(page);
}

/// Waits until the router finished the page and no dashboard is still loading.
async function ready(page) {
  await page.waitForFunction(() => document.querySelector("#main").dataset.ready);
  await page.waitForFunction(() => !document.querySelector('#main [aria-busy="true"]') && !document.querySelector("#main .state.loading"));
}

async function shot(page, name) {
  await page.screenshot({ path: `${config.shots}/${name}.png`, fullPage: true });
}

async function visit(page, path, name) {
  await page.goto(`${config.base}${path}`);
  await ready(page);
  const state = await page.evaluate(() => ({
    error: document.querySelector("#main .state.error")?.textContent || null,
    empty: document.querySelector("#main .state.empty .empty-title")?.textContent || null,
    install_link: Boolean(document.querySelector('#main .state.empty a[href^="/install"]')),
    charts: document.querySelectorAll("#main .uplot").length,
    bars: document.querySelectorAll("#main .bar-fill").length,
    heading: document.querySelector("#main h1")?.textContent || null,
    unlabelled: [...document.querySelectorAll("#main input, #main select, #top select")]
      .filter((el) => el.type !== "hidden" && !el.labels?.length && !el.getAttribute("aria-label")).length,
  }));
  await shot(page, name);
  report.pages.push({ path, name, ...state });
  if (state.error) throw new Error(`${path} shows an error: ${state.error}`);
  return state;
}

// A partner's page carrying the snippet the wizard showed, served on the partner's domain.
let pageHtml = "";
const site = createServer((req, res) => {
  res.writeHead(200, { "Content-Type": "text/html; charset=utf-8" });
  res.end(pageHtml);
});
await new Promise((ok) => site.listen(0, "127.0.0.1", ok));
const sitePort = site.address().port;

try {
  // 1. The runbook, as a new partner.
  const partner = await newUser();
  let page = partner.page;
  await signIn(page, config.partner.email);
  step("signed in");
  if ((await page.locator("#main .empty-title").textContent()) !== "No project yet") throw new Error("a new partner should be offered to create a project");
  await shot(page, "01-no-project");

  await page.getByRole("link", { name: "+ New project" }).click();
  await page.getByLabel("Name").fill("Runbook site");
  await page.getByLabel("Domain").fill(config.partner.domain);
  await page.getByRole("button", { name: "Create project" }).click();
  await page.waitForURL(/\/settings/);
  await ready(page);
  const row = page.locator("table tbody tr", { hasText: config.partner.domain });
  await row.waitFor();
  if (!(await row.textContent()).includes(config.partner.default_kind)) throw new Error(`the default property is not a ${config.partner.default_kind} property`);
  step("project created");
  await shot(page, "02-default-property");

  await page.getByRole("link", { name: "API keys" }).click();
  await ready(page);
  await page.getByRole("button", { name: "Create key" }).click();
  const secret = (await page.locator("#key-secret").textContent()).trim();
  if (secret.length < 20) throw new Error("the new key's secret is not shown");
  report.secret_shown = true;
  step("key created");
  await shot(page, "03-key-created");

  await page.getByRole("link", { name: /Install the tag with this key/ }).click();
  await ready(page);
  if (!/key_id=/.test(page.url())) throw new Error("the install deep link lost its key");
  const snippet = (await page.locator("#snippet").textContent()).trim();
  if (!snippet.startsWith("<script") || snippet.includes(secret)) throw new Error(`unexpected snippet ${snippet}`);
  const widget = page.locator("#verification");
  if ((await widget.getAttribute("data-state")) !== "waiting") throw new Error("verification should wait before any event");
  await shot(page, "04-install-waiting");

  pageHtml = `<!doctype html><html><head><title>Runbook home</title>${snippet}</head><body><h1>Hello</h1></body></html>`;
  const visitor = await partner.context.newPage();
  watch(visitor, () => visitor.url());
  const pageUrl = `http://www.${config.partner.domain}:${sitePort}/`;
  const loadedAt = Date.now();
  await visitor.goto(pageUrl);
  step("test page loaded", { url: pageUrl });
  await widget.and(page.locator('[data-state="installed"]')).waitFor({ timeout: 30000 });
  report.verified_after_ms = Date.now() - loadedAt;
  step("verification green");
  await shot(page, "05-install-green");

  await page.getByRole("link", { name: "Events" }).click();
  await ready(page);
  const pageviews = await page.locator(".kpi", { hasText: "Pageviews" }).locator("dd").textContent();
  report.events_pageviews = Number(pageviews.replace(/\D/g, ""));
  await shot(page, "06-events-after-first-pageview");
  step("pageview on events");

  // An analyst token: created on its page, used as a script would (no cookie), revoked, refused.
  const runbookProject = new URL(page.url()).searchParams.get("project");
  await page.getByRole("link", { name: "Analyst tokens" }).click();
  await ready(page);
  await page.getByLabel("Name").fill("runbook script");
  await page.getByRole("button", { name: "Create token" }).click();
  const token = (await page.locator("#token-secret").textContent()).trim();
  const curl = (await page.locator("#token-curl").textContent()).trim();
  await shot(page, "07-token-created");
  const script = await http.newContext();
  const asScript = async () => (await script.get(`${config.base}/api/v1/projects/${runbookProject}/events`, { headers: { Authorization: `Bearer ${token}` } })).status();
  report.analyst_token = { curl_names_it: curl.includes(token) && curl.includes(runbookProject), used: await asScript() };
  await page.getByRole("button", { name: /^Revoke runbook script/ }).click();
  await page.locator("table tbody tr", { hasText: "runbook script" }).locator(".tag.revoked").waitFor();
  report.analyst_token.after_revoke = await asScript();
  await script.dispose();

  // 2. A second project, with no data, and every page of it.
  await page.getByRole("link", { name: "+ New project" }).click();
  await page.getByLabel("Name").fill("Empty project");
  await page.getByLabel("Domain").fill(config.partner.empty_domain);
  await page.getByRole("button", { name: "Create project" }).click();
  await page.waitForURL(/\/settings/);
  await ready(page);
  const emptyProject = new URL(page.url()).searchParams.get("project");
  for (const path of config.pages) {
    const state = await visit(page, `${path}?project=${emptyProject}`, `empty${path.replaceAll("/", "-")}`);
    report.pages.at(-1).project = "empty";
    if (config.dashboards.includes(path) && !(state.empty && state.install_link)) throw new Error(`${path} of an empty project should offer to install the tag`);
  }
  // Members: the owner invites a colleague and makes them an admin; the admin may not demote
  // the owner, and is told why.
  const colleagueEmail = `colleague@${config.partner.domain}`;
  await page.goto(`${config.base}/members?project=${runbookProject}`);
  await ready(page);
  await page.getByLabel("E-mail").fill(colleagueEmail);
  await page.getByLabel("Name", { exact: true }).fill("Colleague");
  await page.getByRole("button", { name: "Invite" }).click();
  const colleagueRole = page.getByLabel(`Role of ${colleagueEmail}`);
  await colleagueRole.waitFor();
  await colleagueRole.selectOption("admin");
  await page.waitForFunction((email) => document.querySelector(`select[aria-label="Role of ${email}"]`)?.value === "admin" && !document.querySelector("#main [aria-busy='true']"), colleagueEmail);
  // Not signed in yet: the invitation shows as pending.
  const colleaguePending = await page.locator("table tbody tr", { hasText: colleagueEmail }).locator(".tag.pending").count();
  await shot(page, "08-members");
  // The admin's demotion of the owner is refused with 403: expected, not a page fault.
  const colleague = await newUser([403]);
  await signIn(colleague.page, colleagueEmail);
  await colleague.page.goto(`${config.base}/members?project=${runbookProject}`);
  await ready(colleague.page);
  await colleague.page.getByLabel(`Role of ${config.partner.email}`).selectOption("member");
  const refusal = colleague.page.locator(".notice.error");
  await refusal.waitFor();
  const refusalText = await refusal.textContent();
  await shot(colleague.page, "09-admin-refused");
  await colleague.context.close();
  await page.reload();
  await ready(page);
  await page.getByLabel(`Role of ${colleagueEmail}`).waitFor();
  report.members = {
    colleague_role: await page.getByLabel(`Role of ${colleagueEmail}`).inputValue(),
    admin_demoting_owner: refusalText,
    colleague_pending: colleaguePending,
    owner_still: await page.getByLabel(`Role of ${config.partner.email}`).inputValue(),
  };

  // With each browser's cookies, outside its pages (an expected 401 is no console error).
  const meStatus = async (context) => (await context.request.get(`${config.base}/api/v1/me`)).status();

  // Sessions: a second browser shows up on the account page and is signed out from there.
  const second = await newUser();
  await signIn(second.page, config.partner.email);
  await page.goto(`${config.base}/account?project=${runbookProject}`);
  await ready(page);
  const rows = page.locator("table tbody tr");
  report.sessions = { listed: await rows.count(), current_marked: await rows.locator(".tag.active", { hasText: "this browser" }).count() };
  await rows.locator("button", { hasText: "Sign out" }).first().click();
  await page.waitForFunction(() => document.querySelectorAll("#main table tbody tr").length === 1);
  report.sessions.other_after = await meStatus(second.context);
  report.sessions.this_after = await meStatus(partner.context);
  await shot(page, "10-account");
  await second.context.close();

  // "Sign out everywhere" ends the partner's other browser too, not only this one.
  const elsewhere = await newUser();
  await signIn(elsewhere.page, config.partner.email);
  report.sign_out_everywhere = { other_before: await meStatus(elsewhere.context) };
  await page.locator(".user").getByRole("button", { name: "Sign out everywhere" }).click();
  await page.waitForURL(/\/login/);
  report.sign_out_everywhere.this_page = new URL(page.url()).pathname;
  report.sign_out_everywhere.this_after = await meStatus(partner.context);
  report.sign_out_everywhere.other_after = await meStatus(elsewhere.context);
  await elsewhere.context.close();
  await partner.context.close();

  // 3. Every page with demo data, as the demo owner (a platform admin).
  const demo = await newUser();
  page = demo.page;
  await signIn(page, config.demo.email);

  // /admin/users: the platform admin invites someone by address; the e-mailed link signs them
  // in, the list then shows their sign-in, and deactivating them ends their session at once.
  const newcomerEmail = `newcomer@${config.partner.domain}`;
  await page.goto(`${config.base}/admin/users`);
  await ready(page);
  const sentBefore = links().length;
  await page.getByLabel("E-mail").fill(newcomerEmail);
  await page.getByLabel("Name", { exact: true }).fill("Newcomer");
  await page.getByRole("button", { name: "Send invitation" }).click();
  await page.locator(".form-status .notice.ok").waitFor();
  const newcomerRow = () => page.locator("#users table tbody tr", { hasText: newcomerEmail });
  await newcomerRow().waitFor();
  report.admin_users = { pending_before: await newcomerRow().locator(".tag.pending").count() };
  let invitation;
  for (let i = 0; i < 100 && !invitation; i++) {
    invitation = links().slice(sentBefore).find((m) => m.to === newcomerEmail);
    if (!invitation) await page.waitForTimeout(100);
  }
  if (!invitation) throw new Error(`no invitation for ${newcomerEmail} in the outbox`);
  await shot(page, "11-admin-users-invited");
  const newcomer = await newUser();
  await newcomer.page.goto(invitation.link);
  await newcomer.page.waitForURL(/\/events/);
  await ready(newcomer.page);
  report.admin_users.signed_in_as = (await (await newcomer.context.request.get(`${config.base}/api/v1/me`)).json()).user.email;
  await newcomer.page.close();
  // The sign-in is recorded through the control plane, off the redirect: it shows within moments.
  for (let i = 0; i < 50; i++) {
    await page.reload();
    await ready(page);
    if ((await newcomerRow().locator(".tag.pending").count()) === 0) break;
    await page.waitForTimeout(200);
  }
  report.admin_users.pending_after = await newcomerRow().locator(".tag.pending").count();
  report.admin_users.last_sign_in = (await newcomerRow().locator("td").nth(5).textContent()).trim();
  await page.getByRole("button", { name: `Deactivate ${newcomerEmail}` }).click();
  await newcomerRow().locator(".tag.revoked").waitFor();
  report.admin_users.after_deactivate = await meStatus(newcomer.context);
  await shot(page, "12-admin-users-deactivated");
  await newcomer.context.close();

  for (const path of [...config.pages, "/admin/organizations", "/admin/users", "/admin/health"]) {
    const state = await visit(page, `${path}?project=${config.demo.project}&range=7d`, `demo${path.replaceAll("/", "-")}`);
    report.pages.at(-1).project = "demo";
    if (config.dashboards.includes(path) && state.empty) throw new Error(`${path} shows an empty state with demo data: ${state.empty}`);
    if (path === "/admin/health") {
      // The health processor ran each maintenance job once at start.
      const jobs = await page.locator("table", { hasText: "retention_check" }).count();
      if (jobs === 0) throw new Error("/admin/health lists no job runs");
    }
  }
  // A dashboard table exports as CSV: the rows the page shows, headed by its columns.
  await page.goto(`${config.base}/crawlers?project=${config.demo.project}&range=7d`);
  await ready(page);
  const firstTable = page.locator("#main .table-wrap").first();
  const [download] = await Promise.all([page.waitForEvent("download"), firstTable.getByRole("button", { name: /^Export .* as CSV$/ }).click()]);
  const csv = readFileSync(await download.path(), "utf8").trimEnd().split("\r\n");
  report.csv = {
    file: download.suggestedFilename(),
    header: csv[0],
    rows: csv.length - 1,
    shown: await firstTable.locator("tbody tr").count(),
  };
  // The evidence and robots.txt panels: each bar figure's labels, each table's rows.
  report.crawler_panels = await page.evaluate(() =>
    Object.fromEntries([...document.querySelectorAll("#main figure")].map((f) => [f.querySelector("figcaption")?.textContent, [...f.querySelectorAll(".bar-label")].map((l) => l.textContent)])),
  );
  report.crawler_tables = await page.evaluate(() =>
    Object.fromEntries([...document.querySelectorAll("#main table")].map((t) => [t.querySelector("caption")?.textContent, t.querySelectorAll("tbody tr").length])),
  );
  // A click on a breakdown bar filters the page by its value; the chip removes the filter again.
  await page.goto(`${config.base}/events?project=${config.demo.project}&range=7d`);
  await ready(page);
  const eventsKpi = async () => Number((await page.locator(".kpi", { hasText: /^Events/ }).locator("dd").textContent()).replace(/\D/g, ""));
  const countries = page.locator("figure", { hasText: "Country" }).locator("a.bar-label");
  const before = await eventsKpi();
  const bars = await countries.count();
  const country = (await countries.first().textContent()).trim();
  await countries.first().click();
  await page.waitForURL((url) => url.searchParams.get("country") === country);
  await ready(page);
  const chip = (await page.locator(".filter-chips .chip").first().textContent()).trim();
  const after = await eventsKpi();
  await page.locator(".filter-chips .chip").first().click();
  await page.waitForURL((url) => !url.searchParams.has("country"));
  await ready(page);
  report.bar_filter = { country, bars, before, after, chip, cleared: await eventsKpi(), chips_left: await page.locator(".filter-chips .chip").count() };
  // Phone width.
  await page.setViewportSize({ width: 390, height: 844 });
  for (const path of ["/events", "/crawlers", "/install", "/admin/users"]) {
    await visit(page, `${path}?project=${config.demo.project}`, `phone${path.replaceAll("/", "-")}`);
    report.pages.at(-1).project = "demo-phone";
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    report.pages.at(-1).horizontal_overflow = overflow;
  }
  // Keyboard: the skip link is the first stop and moves focus to the content.
  await page.keyboard.press("Tab");
  report.first_tab_stop = await page.evaluate(() => document.activeElement?.textContent);
  await demo.context.close();
} catch (error) {
  report.failure = String(error && error.stack ? error.stack : error);
} finally {
  await browser.close();
  site.close();
}
console.log(JSON.stringify(report));
if (report.failure) {
  console.error(report.failure);
  process.exit(1);
}
if (report.console_errors.length) process.exit(2);
