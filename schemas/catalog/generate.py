#!/usr/bin/env python3
"""Builds the classifier catalogs in this folder from the public reference sets in reference-data/.

    python3 schemas/catalog/generate.py [reference-data]

The outputs are committed and versioned (the `# version:` line); `schemas::catalog` parses them and
the processors compile them into matchers at start. Corrections belong in the OVERRIDES / EXTRA
tables below (a catalog entry), never in the matching code.
"""
import json
import re
import sys
from pathlib import Path
from urllib.parse import urlparse

import yaml

VERSION = "2026-12-02.1"
HERE = Path(__file__).resolve().parent

# Catalog entries whose class or operator the source's free-text fields do not state precisely.
OVERRIDES = {
    "GPTBot": ("OpenAI", "ai_training_crawler"),
    "OAI-SearchBot": ("OpenAI", "ai_search_crawler"),
    "ChatGPT-User": ("OpenAI", "ai_assistant"),
    "ChatGPT Agent": ("OpenAI", "ai_agent"),
    "Operator": ("OpenAI", "ai_agent"),
    "ClaudeBot": ("Anthropic", "ai_training_crawler"),
    "Claude-SearchBot": ("Anthropic", "ai_search_crawler"),
    "Claude-User": ("Anthropic", "ai_assistant"),
    "Claude-Web": ("Anthropic", "ai_assistant"),
    "anthropic-ai": ("Anthropic", "ai_training_crawler"),
    "PerplexityBot": ("Perplexity", "ai_search_crawler"),
    "Perplexity-User": ("Perplexity", "ai_assistant"),
    "Google-Extended": ("Google", "ai_training_crawler"),
    "Google-CloudVertexBot": ("Google", "ai_agent"),
    "Gemini-Deep-Research": ("Google", "ai_assistant"),
    "Applebot": ("Apple", "search_engine_crawler"),
    "Applebot-Extended": ("Apple", "ai_training_crawler"),
    "Meta-ExternalFetcher": ("Meta", "ai_assistant"),
    "meta-externalagent": ("Meta", "ai_training_crawler"),
    "Meta-ExternalAgent": ("Meta", "ai_training_crawler"),
    "DuckAssistBot": ("DuckDuckGo", "ai_assistant"),
    "MistralAI-User": ("Mistral", "ai_assistant"),
    "Amazonbot": ("Amazon", "ai_search_crawler"),
    "Bytespider": ("ByteDance", "ai_training_crawler"),
    "CCBot": ("Common Crawl", "ai_training_crawler"),
    "Devin": ("Cognition", "ai_agent"),
}

# Robots.txt-only tokens that are words in ordinary user agents; matching them would flag humans.
ROBOTS_ONLY = {"Code", "Cursor", "Trae", "Spider", "OpenAI", "UseAI", "newsai", "Operator"}

# crawler-user-agents patterns left out, with why (written to bot_patterns_excluded.tsv).
EXCLUDED_PATTERNS = {
    "AP3A\\.240617\\.008": "an Android build id shipped on real phones; its one example is Instagram's in-app browser",
}

# Crawlers with published IP ranges that the AI list does not carry (verification needs them too).
EXTRA_AGENTS = [
    ("Googlebot", "Google", "search_engine_crawler", "Googlebot", "https://developers.google.com/static/search/apis/ipranges/googlebot.json"),
    ("bingbot", "Microsoft", "search_engine_crawler", "bingbot", "https://www.bing.com/toolbox/bingbot.json"),
]

# AI assistants: display names for hosts the LLM referrer list gives without one.
REFERRER_NAMES = {
    "chatgpt.com": "ChatGPT", "chat.openai.com": "ChatGPT", "claude.ai": "Claude",
    "perplexity.ai": "Perplexity", "gemini.google.com": "Gemini", "bard.google.com": "Gemini",
    "copilot.microsoft.com": "Copilot", "copilot.cloud.microsoft": "Copilot",
    "edgeservices.bing.com": "Copilot", "grok.com": "Grok", "chat.deepseek.com": "DeepSeek",
    "meta.ai": "Meta AI", "chat.mistral.ai": "Le Chat", "you.com": "You.com", "phind.com": "Phind",
    "poe.com": "Poe", "notebooklm.google.com": "NotebookLM", "duck.ai": "Duck.ai",
    "kimi.ai": "Kimi", "kimi.com": "Kimi", "chat.qwen.ai": "Qwen", "qwen.ai": "Qwen",
    "huggingface.co": "HuggingChat", "openrouter.ai": "OpenRouter", "hey.pi.ai": "Pi",
}
# URL markers: the parameter and value an assistant adds when it sends no referrer.
URL_MARKERS = [
    ("utm_source", "chatgpt.com", "ChatGPT"),
    ("utm_source", "perplexity", "Perplexity"),
    ("utm_source", "copilot.com", "Copilot"),
    ("referrer", "grok.com", "Grok"),
]
# Referrer paths that make an otherwise non-AI host an assistant.
PATH_REFERRERS = [("x.com", "/i/grok", "Grok")]


def operator_name(raw, name):
    """The organisation the source's `operator` field names, without the prose around it: the
    dashboards group by this name, so "Amazon, used for fetching …" must read "Amazon"."""
    link = re.match(r"\[([^\]]+)\]", raw or "")
    if link:
        return link.group(1).strip()
    text = (raw or "").strip()
    if not text or text.lower().startswith(("unclear", "unknown", "anyone")):
        return ""
    if text.startswith(("http://", "https://")):
        # A page of the operator's: its registrable domain's first label names it.
        labels = (urlparse(text).hostname or "").split(".")
        return labels[-2].capitalize() if len(labels) >= 2 else ""
    # The name leads; a comma, a parenthesis or a relative clause starts the description.
    lead = re.split(r",|\(|\s+(?:that|which|who|to|used|is|are)\s", text, maxsplit=1)[0]
    return lead.strip().rstrip(".")


def class_of(function):
    f = function.lower()
    if "assistant" in f or "user-initiated" in f or "user quer" in f or "user prompt" in f:
        return "ai_assistant"
    if "agent" in f or "takes action" in f:
        return "ai_agent"
    if "search" in f:
        return "ai_search_crawler"
    return "ai_training_crawler"


def ip_sources(data):
    sources = {}
    with open(data / "ip-ranges/published_ip_lists.tsv") as f:
        next(f)
        for line in f:
            cols = line.rstrip("\n").split("\t")
            url = cols[2].split()[0]
            if not url.startswith("https://") or not url.endswith(".json"):
                continue
            bots = re.sub(r"\(.*?\)", "", cols[1])
            for bot in re.split(r"[,/]", bots):
                sources.setdefault(bot.strip(), url)
    return sources


def agents(data):
    robots = json.loads((data / "ai-agents/ai-robots-txt.robots.json").read_text())
    sources = ip_sources(data)
    rows = []
    seen = set()
    # The list repeats some tokens in another case (meta-externalagent / Meta-ExternalAgent); one
    # entry each, preferring the spelling with a catalog override.
    for name, entry in sorted(robots.items(), key=lambda kv: kv[0] not in OVERRIDES):
        if name in ROBOTS_ONLY or name.lower() in seen:
            continue
        seen.add(name.lower())
        operator, cls = OVERRIDES.get(name, (operator_name(entry.get("operator"), name), class_of(entry.get("function", ""))))
        rows.append((name, operator or name, cls, name, sources.get(name, "")))
    known = {r[0] for r in rows}
    rows += [r for r in EXTRA_AGENTS if r[0] not in known]
    rows.sort(key=lambda r: r[0].lower())
    with open(HERE / "ai_agents.tsv", "w") as out:
        out.write(f"# version: {VERSION}\n# source: ai-robots-txt/ai.robots.txt (MIT) + published IP lists; see generate.py\n")
        out.write("name\toperator\tclass\tua_tokens\tip_ranges_url\n")
        for r in rows:
            out.write("\t".join(r) + "\n")


def bot_patterns(data):
    entries = json.loads((data / "crawlers/crawler-user-agents.json").read_text())
    with open(HERE / "bot_patterns.tsv", "w") as out:
        out.write(f"# version: {VERSION}\n# source: monperrus/crawler-user-agents (MIT); pattern is a regex\n")
        out.write("pattern\ttags\n")
        for e in entries:
            if e["pattern"] not in EXCLUDED_PATTERNS:
                out.write(f"{e['pattern']}\t{','.join(e.get('tags', []))}\n")
    with open(HERE / "bot_patterns_excluded.tsv", "w") as out:
        out.write(f"# version: {VERSION}\n")
        out.write("pattern\treason\n")
        for pattern, reason in EXCLUDED_PATTERNS.items():
            out.write(f"{pattern}\t{reason}\n")


# isbot fragments left out, with why: each matches real people's browsers in uap-core's browser
# cases (a browser in this sense is whatever a person reads pages with, in-app browsers included).
EXCLUDED_NONBROWSER = {
    "chromeframe": "Internet Explorer with the Chrome Frame plug-in, a person's browser",
    "java(?!;)": "feature-phone browsers (J2ME) announce their Java runtime",
    "(?:^|[^g])news(?!sapphire)": "news apps' in-app browsers (Apple News, TopBuzz) are people reading",
    "manager": "webOS TVs' browser is the WebAppManager",
    "preview": "Firefox pre-release builds name themselves …Preview; link-preview fetchers have product tokens of their own",
    "^[^ ]{50,}$": "logs that write spaces as '+' (IIS) turn every browser into one long word",
    "\\(\\)": "in-app browsers print empty parentheses (Roblox's Hybrid())",
    "(?<! channel/|google/)google(?!(?:wv|app|/google| pixel))": "Google's fetchers are in the crawler patterns already; apps print Google store and device names (GooglePlayStore)",
}


def nonbrowser_patterns(data):
    """isbot's fragments: each matches something a real browser's user agent never contains, so
    a client that passes every robot check but matches one is still not a browser."""
    patterns = json.loads((data / "crawlers/isbot-patterns.json").read_text())
    with open(HERE / "nonbrowser_patterns.tsv", "w") as out:
        out.write(f"# version: {VERSION}\n# source: omrilotan/isbot (Unlicense); a regex, matched case-insensitively\n")
        for p, reason in EXCLUDED_NONBROWSER.items():
            if p not in patterns:
                raise SystemExit(f"excluded isbot pattern {p!r} is not in the source any more")
            out.write(f"# excluded: {p}\t{reason}\n")
        out.write("pattern\n")
        for p in (p for p in patterns if p not in EXCLUDED_NONBROWSER):
            if "\t" in p or "\n" in p:
                raise SystemExit(f"isbot pattern {p!r} cannot be a TSV row")
            out.write(p + "\n")


def referrers(data):
    ai = yaml.safe_load((data / "referrers/AIAssistants.yml").read_text())
    rows = {}
    for name, hosts in ai.items():
        for host in hosts:
            if "/" in host:
                h, p = host.split("/", 1)
                rows[(h, "/" + p)] = REFERRER_NAMES.get(host, name)
            else:
                rows[(host, "")] = REFERRER_NAMES.get(host, name)
    for line in (data / "referrers/llm-referrer.txt").read_text().splitlines():
        host = line.strip()
        if host and not host.startswith("#"):
            rows.setdefault((host, ""), REFERRER_NAMES.get(host, host))
    for host, path, name in PATH_REFERRERS:
        rows[(host, path)] = name
    for key in list(rows):
        if key[0] in REFERRER_NAMES and key[1] == "":
            rows[key] = REFERRER_NAMES[key[0]]
    with open(HERE / "ai_referrers.tsv", "w") as out:
        out.write(f"# version: {VERSION}\n# source: matomo searchengine-and-social-list (CC0), MalteBerlin/LLM-Referrer (CC0)\n")
        out.write("kind\tsource\thost\tpath_prefix_or_param\tvalue\n")
        for (host, path), name in sorted(rows.items()):
            out.write(f"host\t{name}\t{host}\t{path}\t\n")
        for param, value, name in URL_MARKERS:
            out.write(f"marker\t{name}\t\t{param}\t{value}\n")


def channels(data):
    with open(HERE / "channel_hosts.tsv", "w") as out:
        out.write(f"# version: {VERSION}\n# source: matomo searchengine-and-social-list (CC0); '{{}}' = any public suffix\n")
        out.write("channel\tname\thost\n")
        search = yaml.safe_load((data / "referrers/SearchEngines.yml").read_text())
        for name, groups in sorted(search.items()):
            for group in groups:
                for url in group.get("urls", []):
                    if "/" not in url:
                        out.write(f"search\t{name}\t{url.lower()}\n")
        social = yaml.safe_load((data / "referrers/Socials.yml").read_text())
        for name, hosts in sorted(social.items()):
            for host in hosts:
                if "/" not in host:
                    out.write(f"social\t{name}\t{host.lower()}\n")


def ip_ranges(data):
    """Shipped copies of the vendors' published ranges; a job replaces them with fresh downloads."""
    rows = []
    with open(data / "ip-ranges/ai_crawler_ip_ranges_copies.tsv") as f:
        next(f)
        for line in f:
            cols = line.rstrip("\n").split("\t")
            for bot in cols[0].split("/"):
                rows.append((bot, cols[2]))
    google = json.loads((data / "ip-ranges/misp_googlebot_list.json").read_text())
    rows += [("Googlebot", cidr) for cidr in google["list"]]
    with open(HERE / "ip_ranges.tsv", "w") as out:
        out.write(f"# version: {VERSION}\n# source: sefinek/trusted-ips-whitelist (MIT), MISP googlebot list (CC0)\n")
        out.write("agent\tcidr\n")
        for bot, cidr in rows:
            out.write(f"{bot}\t{cidr}\n")


def main():
    data = Path(sys.argv[1] if len(sys.argv) > 1 else HERE.parents[1] / "reference-data").resolve()
    agents(data)
    bot_patterns(data)
    nonbrowser_patterns(data)
    referrers(data)
    channels(data)
    ip_ranges(data)


if __name__ == "__main__":
    main()
