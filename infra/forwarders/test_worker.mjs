// Runs the Cloudflare Worker in Node against a stubbed origin and the real collector at argv[2];
// used by ingest-edge/tests/forwarders.rs. Prints what the origin answered, how many hits were
// forwarded in how many collector requests with what statuses, and how the batcher splits a
// stream of hits at its line and byte limits.
import worker, { createBatcher } from "./cloudflare-worker.js";

const [edge, secret] = process.argv.slice(2);
const realFetch = globalThis.fetch;
const posts = [];
globalThis.fetch = async (input, init) => {
  const url = typeof input === "string" ? input : input.url;
  if (url.startsWith(edge)) {
    const response = await realFetch(input, init);
    posts.push({ lines: init.body.split("\n").length, status: response.status });
    return response;
  }
  return new Response("<html>docs</html>", { status: 200, headers: { "content-length": "17" } });
};
const pending = [];
const env = { OPTIVIEW_EDGE_URL: edge, OPTIVIEW_SECRET: secret, ONLY_BOTS: "1", OPTIVIEW_BATCH_MS: "200" };
const ctx = { waitUntil: (p) => pending.push(p) };
const request = (ua, extra = {}) => new Request("https://acme.com/docs/pricing?ref=ai", {
  headers: { "user-agent": ua, "cf-connecting-ip": "20.15.240.64", referer: "https://chatgpt.com/", ...extra },
});
const browser = "Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0";
const bot = await worker.fetch(request("Mozilla/5.0 (compatible; GPTBot/1.2; +https://openai.com/gptbot)"), env, ctx);
const human = await worker.fetch(request(browser), env, ctx);
// An agentic browser: a browser's user agent, but signed (Web Bot Auth).
const agent = await worker.fetch(request(browser, {
  signature: "sig1=:c2lnbmVk:",
  "signature-input": 'sig1=("@authority" "signature-agent");created=1;expires=2;keyid="k";tag="web-bot-auth"',
  "signature-agent": '"https://chatgpt.com"',
}), env, ctx);
await Promise.all(pending);

// The batcher alone: 5 hits with at most 2 lines, then 3 hits with room for 2 by bytes.
const split = async (limits, count) => {
  const batches = [];
  const batcher = createBatcher(async (lines) => batches.push(lines.length), { flushMs: 50, ...limits });
  const hit = { path: "/x".padEnd(40, "x") };
  await Promise.all(Array.from({ length: count }, () => batcher.add(hit)));
  return batches;
};
const line = JSON.stringify({ path: "/x".padEnd(40, "x") }).length + 1;
const by_lines = await split({ maxLines: 2, maxBytes: 1e9 }, 5);
const by_bytes = await split({ maxLines: 1000, maxBytes: 2 * line }, 3);

console.log(JSON.stringify({
  origin_status: [bot.status, human.status, agent.status],
  forwarded: pending.length,
  posts,
  by_lines,
  by_bytes,
}));
