// Optiview forwarder for Cloudflare Workers: serves every request from the origin unchanged, then
// (after the response, via waitUntil) sends one server hit to Optiview's /v1/hits. AI crawlers
// never run tag.js; this is how they are seen.
//
// Settings (Worker variables / secrets):
//   OPTIVIEW_EDGE_URL  https://<edge>           (required)
//   OPTIVIEW_SECRET    the API key's secret       (required, store as a secret)
//   ONLY_BOTS          "1" forwards only requests whose user agent looks automated, or that are
//                      signed (Web Bot Auth: agentic browsers send a browser's user agent)
const BOT = /bot|crawl|spider|slurp|gpt|chatgpt|claude|anthropic|perplexity|bytespider|ccbot|google-extended|meta-external|amazonbot|applebot|cohere|diffbot|youbot/i;

export function buildHit(request, response, startedMs, nowMs) {
  const url = new URL(request.url);
  const length = Number(response.headers.get("content-length"));
  return {
    ts: startedMs,
    method: request.method,
    host: url.hostname,
    path: url.pathname,
    query: url.search ? url.search.slice(1) : null,
    status: response.status,
    user_agent: request.headers.get("user-agent") || "",
    // Kept by Optiview only until crawler verification, then truncated.
    ip: request.headers.get("cf-connecting-ip"),
    referrer: request.headers.get("referer"),
    bytes: Number.isFinite(length) && length >= 0 ? length : null,
    response_ms: Math.max(0, nowMs - startedMs),
    // Web Bot Auth (RFC 9421 message signatures): Optiview verifies them against the key
    // directory Signature-Agent names, which vouches for an agent whatever its address.
    signature: request.headers.get("signature"),
    signature_input: request.headers.get("signature-input"),
    signature_agent: request.headers.get("signature-agent"),
  };
}

export async function forward(env, hits, send = fetch) {
  const response = await send(`${env.OPTIVIEW_EDGE_URL}/v1/hits`, {
    method: "POST",
    headers: { Authorization: `Bearer ${env.OPTIVIEW_SECRET}`, "Content-Type": "application/x-ndjson" },
    body: hits.map((h) => JSON.stringify(h)).join("\n"),
  });
  return response.status;
}

export default {
  async fetch(request, env, ctx) {
    const started = Date.now();
    const response = await fetch(request);
    const hit = buildHit(request, response, started, Date.now());
    if (env.ONLY_BOTS !== "1" || BOT.test(hit.user_agent) || hit.signature_agent) {
      ctx.waitUntil(forward(env, [hit]).catch(() => {}));
    }
    return response;
  },
};
