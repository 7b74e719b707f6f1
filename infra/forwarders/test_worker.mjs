// Runs the Cloudflare Worker in Node against a stubbed origin and the real collector at argv[2];
// used by ingest-edge/tests/forwarders.rs. Prints the collector's status for the forwarded hit.
import worker from "./cloudflare-worker.js";

const [edge, secret] = process.argv.slice(2);
const realFetch = globalThis.fetch;
globalThis.fetch = async (input, init) => {
  const url = typeof input === "string" ? input : input.url;
  if (url.startsWith(edge)) return realFetch(input, init);
  return new Response("<html>docs</html>", { status: 200, headers: { "content-length": "17" } });
};
const pending = [];
const env = { OPTIVIEW_EDGE_URL: edge, OPTIVIEW_SECRET: secret, ONLY_BOTS: "1" };
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
console.log(JSON.stringify({ origin_status: [bot.status, human.status, agent.status], forwarded: pending.length }));
