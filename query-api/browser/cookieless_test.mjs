// Drives Debian's Chromium through the dashboard pages of cookieless mode: an owner switches a
// property to cookieless on /settings, the install page says the mode is on and its snippet carries
// it, and /data-policy explains both modes and lists the property under cookieless; the pages are
// also rendered at phone width. Run by query-api/tests/browser_cookieless.rs.
//   node cookieless_test.mjs '<json config>'
// Prints one JSON report as its last line; exits non-zero on the first failed step.
import { chromium } from "playwright-core";
import { readFileSync, existsSync } from "node:fs";

const config = JSON.parse(process.argv[2]);
const report = { console_errors: [] };
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
});

const links = () => (existsSync(config.outbox) ? readFileSync(config.outbox, "utf8") : "").trim().split("\n").filter(Boolean).map((l) => JSON.parse(l));

async function ready(page) {
  await page.waitForFunction(() => document.querySelector("#main").dataset.ready);
  await page.waitForFunction(() => !document.querySelector('#main [aria-busy="true"]') && !document.querySelector("#main .state.loading"));
}

async function visit(page, path) {
  await page.goto(`${config.base}${path}`);
  await ready(page);
}

try {
  const context = await browser.newContext({ viewport: { width: 1360, height: 900 } });
  const page = await context.newPage();
  page.on("console", (m) => { if (m.type() === "error") report.console_errors.push({ page: page.url(), text: m.text() }); });
  page.on("pageerror", (e) => report.console_errors.push({ page: page.url(), text: String(e) }));

  await page.goto(`${config.base}/login`);
  const before = links().length;
  await page.getByLabel("Work e-mail").fill(config.email);
  await page.getByRole("button", { name: "E-mail me a sign-in link" }).click();
  await page.locator(".notice.ok").waitFor();
  let mail;
  for (let i = 0; i < 100 && !mail; i++) {
    mail = links().slice(before).find((m) => m.to === config.email);
    if (!mail) await page.waitForTimeout(100);
  }
  if (!mail) throw new Error("no sign-in link in the outbox");
  await page.goto(mail.link);
  await page.waitForURL(/\/events/);
  await ready(page);

  // Before: cookie mode on the install page.
  await visit(page, `/install?property_id=${config.property}`);
  report.mode_before = await page.locator("#tag-mode").getAttribute("data-mode");
  report.snippet_before = (await page.locator("#snippet").textContent()).trim();

  await visit(page, "/settings");
  const box = page.getByLabel(`Cookieless mode for ${config.domain}`);
  await box.check();
  await page.locator(".notice.info", { hasText: "Cookieless from the next beacon on" }).waitFor();
  report.checked_after_switch = await box.isChecked();

  await visit(page, `/install?property_id=${config.property}`);
  report.mode_after = await page.locator("#tag-mode").getAttribute("data-mode");
  report.mode_text = (await page.locator("#tag-mode").textContent()).trim();
  report.snippet_after = (await page.locator("#snippet").textContent()).trim();

  await visit(page, "/data-policy");
  report.policy_cookies = (await page.locator('#tag-modes [data-mode="cookies"]').textContent()).trim();
  report.policy_cookieless = (await page.locator('#tag-modes [data-mode="cookieless"]').textContent()).trim();

  // The same pages at phone width: no horizontal scrolling of the page itself.
  await page.setViewportSize({ width: 390, height: 844 });
  report.phone_overflow = [];
  for (const path of ["/settings", `/install?property_id=${config.property}`, "/data-policy"]) {
    await visit(page, path);
    const wide = await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth + 1);
    if (wide) report.phone_overflow.push(path);
  }
  console.log(JSON.stringify(report));
} catch (error) {
  report.failure = String(error && error.stack || error);
  console.log(JSON.stringify(report));
  process.exitCode = 1;
} finally {
  await browser.close();
}
