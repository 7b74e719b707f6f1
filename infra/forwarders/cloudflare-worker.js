// Optiview forwarder for Cloudflare Workers: serves every request from the origin unchanged, then
// (after the response, via waitUntil) queues one server hit for Optiview's /v1/hits. AI crawlers
// never run tag.js; this is how they are seen. The hits of the requests one Worker isolate serves
// are sent together, as one NDJSON batch, once a second or when the batch is full, so a busy site
// makes a few collector requests a second rather than one per page; each request's waitUntil
// lasts until its own batch was answered.
//
// Settings (Worker variables / secrets):
//   OPTIVIEW_EDGE_URL  https://<edge>           (required)
//   OPTIVIEW_SECRET    the API key's secret       (required, store as a secret)
//   ONLY_BOTS          "1" forwards only requests whose user agent looks automated, or that are
//                      signed (Web Bot Auth: agentic browsers send a browser's user agent)
//   OPTIVIEW_BATCH_LINES  most hits in one batch (default 1000; the collector takes 10 000)
//   OPTIVIEW_BATCH_BYTES  most bytes in one batch (default 1 MB; the collector takes 8 MiB)
//   OPTIVIEW_BATCH_MS     longest a hit waits for its batch to fill, in ms (default 1000; keep it
//                         well under the 30 s a waitUntil may run after the response)
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

// Answers worth another try: rate limited, or the collector's broker briefly unavailable.
const RETRIED = new Set([429, 502, 503, 504]);

/// Sends NDJSON lines as one batch; retries twice on a retryable answer. Resolves to the status.
export async function forward(env, lines, send = fetch) {
  for (let attempt = 0; ; attempt++) {
    const response = await send(`${env.OPTIVIEW_EDGE_URL}/v1/hits`, {
      method: "POST",
      headers: { Authorization: `Bearer ${env.OPTIVIEW_SECRET}`, "Content-Type": "application/x-ndjson" },
      body: lines.join("\n"),
    });
    if (!RETRIED.has(response.status) || attempt === 2) return response.status;
    await new Promise((resolve) => setTimeout(resolve, 500 * (attempt + 1)));
  }
}

const encoder = new TextEncoder();

/// Collects hits into batches of at most `maxLines` lines and `maxBytes` bytes, each sent with
/// `sendBatch(lines)` when full or `flushMs` after its first hit. `add` returns the promise of
/// the send that carries that hit.
export function createBatcher(sendBatch, { maxLines, maxBytes, flushMs }) {
  let open = null;
  const flush = (batch) => {
    if (batch.sent) return;
    batch.sent = true;
    clearTimeout(batch.timer);
    if (open === batch) open = null;
    batch.resolve(sendBatch(batch.lines));
  };
  return {
    add(hit) {
      const line = JSON.stringify(hit);
      const size = encoder.encode(line).length + 1;
      if (open && (open.lines.length >= maxLines || open.bytes + size > maxBytes)) flush(open);
      if (!open) {
        const fresh = { lines: [], bytes: 0, sent: false };
        fresh.done = new Promise((resolve) => (fresh.resolve = resolve));
        fresh.timer = setTimeout(() => flush(fresh), flushMs);
        open = fresh;
      }
      const batch = open;
      batch.lines.push(line);
      batch.bytes += size;
      if (batch.lines.length >= maxLines) flush(batch);
      return batch.done;
    },
  };
}

const setting = (value, fallback) => (Number(value) > 0 ? Number(value) : fallback);

// One per isolate, made with the first request's settings (a Worker's variables do not change
// while it runs).
let batcher = null;

export default {
  async fetch(request, env, ctx) {
    const started = Date.now();
    const response = await fetch(request);
    const hit = buildHit(request, response, started, Date.now());
    if (env.ONLY_BOTS !== "1" || BOT.test(hit.user_agent) || hit.signature_agent) {
      batcher ??= createBatcher((lines) => forward(env, lines).catch(() => 0), {
        maxLines: setting(env.OPTIVIEW_BATCH_LINES, 1000),
        maxBytes: setting(env.OPTIVIEW_BATCH_BYTES, 1_000_000),
        flushMs: setting(env.OPTIVIEW_BATCH_MS, 1000),
      });
      ctx.waitUntil(batcher.add(hit));
    }
    return response;
  },
};
