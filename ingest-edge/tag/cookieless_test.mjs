// Drives Debian's Chromium through pages carrying the tag on a cookieless property; run by
// ingest-edge/tests/browser_cookieless.rs, which serves the pages, runs the collector and checks
// what reached Kafka.
//   node cookieless_test.mjs <page url with the cookieless snippet> <page url with an old snippet>
// Prints one JSON line: what each browser context had stored, and the collector's answers.
import { chromium } from "playwright-core";

const [cookielessUrl, staleUrl] = process.argv.slice(2);
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

/// A fresh context (no cookies, empty storage) that records the collector's answers and page errors.
async function open() {
  const context = await browser.newContext();
  const page = await context.newPage();
  const answers = [];
  const errors = [];
  page.on("response", async (r) => {
    if (!r.url().includes("/v1/collect") || r.request().method() !== "POST") return;
    try { answers.push({ status: r.status(), body: await r.json() }); } catch (e) { answers.push({ status: r.status() }); }
  });
  page.on("pageerror", (e) => errors.push(String(e)));
  page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
  const accepted = () => answers.reduce((n, a) => n + ((a.body && a.body.accepted) || 0), 0);
  return { context, page, answers, errors, accepted };
}

async function until(what, test, ms = 15000) {
  const start = Date.now();
  while (!(await test())) {
    if (Date.now() - start > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/// Everything the page could have left on the device, seen from the page and from the browser.
async function stored(ctx) {
  const inPage = await ctx.page.evaluate(() => ({
    cookie: document.cookie,
    local_storage: localStorage.length,
    session_storage: sessionStorage.length,
  }));
  const cookies = (await ctx.context.cookies()).map((c) => c.name);
  return { ...inPage, cookies };
}

try {
  // The cookieless snippet: two page views (a full navigation between them) and a custom event.
  const a = await open();
  await a.page.goto(cookielessUrl);
  await a.page.waitForFunction(() => window.optiview && !window.optiview.q);
  await until("the first page view", () => a.accepted() >= 1);
  await a.page.evaluate(() => optiview.track("newsletter", { plan: "pro" }));
  await until("the custom event", () => a.accepted() >= 2);
  await a.page.goto(cookielessUrl.replace("/index.html", "/pricing.html"));
  await until("the second page view", () => a.accepted() >= 3);
  const cookieless = { ...(await stored(a)), answers: a.answers, errors: a.errors };

  // A snippet from before the switch: it learns the mode from the first answer and cleans up.
  const b = await open();
  await b.page.goto(staleUrl);
  await until("the old snippet's page view", () => b.answers.some((x) => x.body && x.body.cookieless));
  let last;
  await until("the old snippet to forget its ids", async () => {
    last = await stored(b);
    return last.cookies.length === 0 && last.local_storage === 0;
  }).catch((e) => { throw new Error(`${e.message}: ${JSON.stringify({ last, answers: b.answers, errors: b.errors })}`); });
  const stale = { ...(await stored(b)), answers: b.answers, errors: b.errors };

  console.log(JSON.stringify({ cookieless, stale }));
} finally {
  await browser.close();
}
