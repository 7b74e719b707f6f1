// Drives Debian's Chromium through a page carrying the tag; run by ingest-edge/tests/browser.rs,
// which serves the page, runs the collector and checks what reached Kafka.
//   node browser_test.mjs <page url> <outage switch url>
import { chromium } from "playwright-core";

const [pageUrl, switchUrl] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run",
    // Partner domains cannot be IPs: the test domain resolves to loopback, nothing leaves the machine.
    "--host-resolver-rules=MAP *.optiview-test.com 127.0.0.1",
  ],
});
const context = await browser.newContext();
const page = await context.newPage();
const statuses = [];
const console_lines = [];
page.on("response", (r) => { if (r.url().includes("/v1/collect")) statuses.push(r.status()); });
page.on("console", (m) => console_lines.push(m.text()));

const queued = () => page.evaluate(() => JSON.parse(localStorage.getItem("_ov_q") || "[]").length);
async function drained(label, ms = 30000) {
  const start = Date.now();
  while (Date.now() - start < ms) {
    if ((await queued()) === 0) return;
    await page.waitForTimeout(100);
  }
  throw new Error(`queue not drained: ${label}`);
}
async function outage(failing) {
  const r = await fetch(`${switchUrl}?failing=${failing ? 1 : 0}`, { method: "POST" });
  if (!r.ok) throw new Error(`switch answered ${r.status}`);
}

try {
  await page.goto(pageUrl);
  await page.waitForFunction(() => window.optiview && !window.optiview.q);
  await drained("load");

  await page.evaluate(() => {
    history.pushState({}, "", "/spa-page");
    history.replaceState({}, "", "/spa-page"); // same URL: no second pageview
  });
  await page.evaluate(() => { location.hash = "section"; });
  await page.waitForTimeout(200);
  await drained("spa");

  await page.click("#outbound");
  await page.click("#download");
  await page.click("#signup");
  await page.evaluate(() => {
    optiview.track("newsletter", { plan: "pro" });
    optiview.conversion("purchase", { value: 99.5, currency: "usd" });
  });
  await drained("clicks and calls");

  await outage(true);
  await page.evaluate(() => optiview.track("during-outage", { n: 1 }));
  const start = Date.now();
  while (!statuses.includes(503)) {
    if (Date.now() - start > 10000) throw new Error("the collector never answered 503");
    await page.waitForTimeout(50);
  }
  if ((await queued()) === 0) throw new Error("the refused event left the queue");
  await outage(false);
  await drained("after outage", 60000);

  const cookies = (await context.cookies()).map((c) => ({ name: c.name, value: c.value, expires: c.expires }));
  console.log(JSON.stringify({ cookies, statuses, debug_lines: console_lines.filter((l) => l.startsWith("[optiview]")).length }));
} finally {
  await browser.close();
}
