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

VERSION = "2026-12-02.2"
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

# Operators: organisations with one clean name each, the domains they run and the product names
# their agents carry. kind: `ai` (an AI lab, model host or AI product: an unknown agent of theirs is
# an AI agent, its class from its wording), `search` (a search engine: unknown agents are search
# crawlers unless their wording says AI), `platform` (anything else). Facts from each operator's
# own crawler documentation; the AI agent list's operator links add more (see operators()). Aliases
# (the last column) are `|`-separated spellings the sources use.
OPERATORS = [
    ("OpenAI", "ai", "openai.com chatgpt.com chat.com oaiusercontent.com", "ChatGPT OpenAI Sora Codex", ""),
    ("Anthropic", "ai", "anthropic.com claude.ai claude.com", "Claude Anthropic", ""),
    ("Perplexity", "ai", "perplexity.ai perplexity.com pplx.ai", "Perplexity Comet", "Perplexity AI"),
    ("Google", "search", "google.com googlebot.com googleusercontent.com gemini.google.com google", "Google Gemini Bard NotebookLM Vertex CloudVertex", ""),
    ("Microsoft", "search", "microsoft.com cloud.microsoft bing.com msn.com copilot.com", "Bing Copilot MSN Azure", ""),
    ("Meta", "platform", "meta.com meta.ai facebook.com fb.com instagram.com whatsapp.net", "Meta Facebook Llama", "Meta/Facebook|Facebook"),
    ("Apple", "search", "apple.com", "Applebot", ""),
    ("Amazon", "platform", "amazon.com amazonbot.amazon amazon a9.com alexa.com", "Amazon Amzn Alexa Amazonbot Nova", ""),
    ("xAI", "ai", "x.ai grok.com", "Grok xAI", ""),
    ("Mistral", "ai", "mistral.ai", "Mistral MistralAI", "Mistral AI"),
    ("Cohere", "ai", "cohere.com cohere.ai", "Cohere", ""),
    ("DeepSeek", "ai", "deepseek.com", "DeepSeek", ""),
    ("ByteDance", "platform", "bytedance.com bytedance.net doubao.com tiktok.com", "Bytespider Doubao TikTok", ""),
    ("Baidu", "search", "baidu.com baidu.jp", "Baidu Baiduspider ERNIE", ""),
    ("Alibaba", "platform", "alibaba.com aliyun.com alibabacloud.com qwen.ai qwenlm.ai", "Qwen Tongyi", ""),
    ("Tencent", "platform", "tencent.com qq.com", "Hunyuan Yuanbao", ""),
    ("Huawei", "search", "huawei.com petalsearch.com aspiegel.com", "PetalBot Petal Pangu", ""),
    ("Moonshot AI", "ai", "moonshot.cn moonshot.ai kimi.ai kimi.com", "Kimi Moonshot", ""),
    ("Zhipu AI", "ai", "zhipuai.cn bigmodel.cn chatglm.cn z.ai", "ChatGLM GLM Zhipu", ""),
    ("MiniMax", "ai", "minimax.io minimaxi.com hailuoai.com", "MiniMax Hailuo", ""),
    ("Hugging Face", "ai", "huggingface.co hf.co", "HuggingFace HuggingChat", ""),
    ("Ai2", "ai", "allenai.org", "AI2Bot Ai2Bot Dolma", "Allen Institute for AI"),
    ("Common Crawl", "ai", "commoncrawl.org", "CCBot", ""),
    ("DuckDuckGo", "search", "duckduckgo.com duck.ai", "DuckDuckGo DuckAssist DuckDuckBot", ""),
    ("Brave", "search", "brave.com", "Brave", ""),
    ("You.com", "ai", "you.com", "YouBot", "You"),
    ("Phind", "ai", "phind.com", "Phind", ""),
    ("Kagi", "search", "kagi.com", "Kagi", ""),
    ("Jina AI", "ai", "jina.ai", "Jina", ""),
    ("Exa", "ai", "exa.ai", "Exa", ""),
    ("Tavily", "ai", "tavily.com", "Tavily", ""),
    ("Firecrawl", "ai", "firecrawl.dev", "Firecrawl FirecrawlAgent", ""),
    ("Diffbot", "ai", "diffbot.com", "Diffbot", ""),
    ("Timpi", "ai", "timpi.io", "Timpibot", ""),
    ("Webz.io", "ai", "webz.io omgili.com", "omgili webzio", ""),
    ("Character.AI", "ai", "character.ai", "CharacterAI", ""),
    ("Inflection AI", "ai", "inflection.ai pi.ai", "Inflection", ""),
    ("Quora", "ai", "quora.com poe.com", "Poe", ""),
    ("Cognition", "ai", "cognition.ai devin.ai", "Devin", ""),
    ("Anysphere", "ai", "cursor.com cursor.sh anysphere.co", "Cursor", ""),
    ("Together AI", "ai", "together.ai together.xyz", "Together", ""),
    ("Groq", "ai", "groq.com", "Groq", ""),
    ("OpenRouter", "ai", "openrouter.ai", "OpenRouter", ""),
    ("Replicate", "ai", "replicate.com", "Replicate", ""),
    ("Stability AI", "ai", "stability.ai", "Stability", ""),
    ("Genspark", "ai", "genspark.ai", "Genspark", ""),
    ("Manus", "ai", "manus.im manus.ai", "Manus", ""),
    ("Liner", "ai", "liner.com getliner.com", "Liner", ""),
    ("Felo", "ai", "felo.ai", "Felo", ""),
    ("iAsk", "ai", "iask.ai", "iAsk iaskspider", ""),
    ("Andi", "ai", "andisearch.com", "Andi", ""),
    ("ImageSift", "ai", "imagesift.com", "ImagesiftBot", ""),
    ("SB Intuitions", "ai", "sbintuitions.co.jp", "SBIntuitions", ""),
    ("Semantic Scholar", "ai", "semanticscholar.org", "SemanticScholar", ""),
    ("Yandex", "search", "yandex.ru yandex.com yandex.net yandex.com.tr", "Yandex YandexGPT", ""),
    ("Naver", "search", "naver.com navercorp.com", "Naver Yeti", ""),
    ("Seznam", "search", "seznam.cz", "SeznamBot Seznam", ""),
    ("Yahoo", "search", "yahoo.com yahoo.co.jp yahoo.net", "Yahoo Slurp", ""),
    ("Exalead", "search", "exalead.com exabot.com", "Exabot", "Dassault Systemes"),
    ("Sogou", "search", "sogou.com", "Sogou", ""),
    ("Qwant", "search", "qwant.com", "Qwant", ""),
    ("Mojeek", "search", "mojeek.com", "MojeekBot Mojeek", ""),
    ("Ecosia", "search", "ecosia.org", "Ecosia", ""),
    ("Cốc Cốc", "search", "coccoc.com", "coccocbot", "Coc Coc"),
    ("Internet Archive", "platform", "archive.org", "archive.org_bot ia_archiver", ""),
    ("Twitter", "platform", "twitter.com x.com", "Twitterbot", "X"),
    ("LinkedIn", "platform", "linkedin.com", "LinkedInBot", ""),
    ("Slack", "platform", "slack.com", "Slackbot", ""),
    ("Discord", "platform", "discord.com discordapp.com", "Discordbot", ""),
    ("Telegram", "platform", "telegram.org", "TelegramBot", ""),
    ("Pinterest", "platform", "pinterest.com", "Pinterestbot Pinterest", ""),
    ("Bright Data", "ai", "brightdata.com", "Brightbot", "Brightdata"),
    ("Parallel", "ai", "parallel.ai", "Shap ShapBot", ""),
    ("LAION", "ai", "laion.ai", "LAION laion", "Large-scale Artificial Intelligence Open Network"),
    ("Apify", "platform", "apify.com", "Apify", ""),
    ("Linkup", "ai", "linkup.so", "Linkup", ""),
    ("AddSearch", "ai", "addsearch.com", "AddSearch", ""),
    ("Wrtn Technologies", "ai", "wrtn.ai wrtn.io", "WRTN", ""),
    ("Channel3", "ai", "trychannel3.com", "Channel3", ""),
]

# Hosts of documentation and code that name no operator of their own.
GENERIC_HOSTS = {"github.com", "gitlab.com", "medium.com", "knownagents.com", "darkvisitors.com", "sites.google.com", "docs.google.com", "stackoverflow.com", "linkedin.com", "x.com", "twitter.com"}

# Robots.txt-only tokens that are words in ordinary user agents; matching them would flag humans.
ROBOTS_ONLY = {"Code", "Cursor", "Trae", "Spider", "OpenAI", "UseAI", "newsai", "Operator"}

# crawler-user-agents patterns left out, with why (written to bot_patterns_excluded.tsv).
EXCLUDED_PATTERNS = {
    "AP3A\\.240617\\.008": "an Android build id shipped on real phones; its one example is Instagram's in-app browser",
    "Sonic": "a word of phone names (Lucky Ultra Sonic, ViewSonic); no crawler example needs it alone",
    "Butterfly": "HTC's Butterfly phones name their model; the Topsy crawler it meant is long gone",
    "Pinterest(bot)?\\/": "arcjet's: also matches Pinterest's in-app browser ([Pinterest/iOS]), a person reading; the crawler is Pinterestbot, matched by crawler-user-agents",
}

# Crawlers with published IP ranges that the AI list does not carry (verification needs them too).
EXTRA_AGENTS = [
    ("Googlebot", "Google", "search_engine_crawler", "Googlebot", "https://developers.google.com/static/search/apis/ipranges/googlebot.json"),
    ("bingbot", "Microsoft", "search_engine_crawler", "bingbot", "https://www.bing.com/toolbox/bingbot.json"),
]

# Web Bot Auth: the Signature-Agent hosts whose signed requests an operator documents, and the
# catalog agent they are (its operator and class come from that entry). A signed request's
# Signature-Agent names its key directory; this says whose it is.
SIGNATURE_AGENTS = [
    ("chatgpt.com", "ChatGPT Agent", "https://help.openai.com/en/articles/11845367-chatgpt-agent-allowlisting"),
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
# Assistant hosts the two lists lack, from the assistants' own documentation and app stores:
# new domains (copilot.com, chat.com), consoles, and the Android apps that send
# `android-app://<package>/` as the referrer.
EXTRA_AI_REFERRERS = {
    "copilot.com": "Copilot", "m365.cloud.microsoft": "Copilot", "chat.com": "ChatGPT",
    "claude.com": "Claude", "perplexity.com": "Perplexity", "aistudio.google.com": "Google AI Studio",
    "gemini.google": "Gemini", "yuanbao.tencent.com": "Yuanbao", "doubao.com": "Doubao",
    "tongyi.aliyun.com": "Qwen", "kimi.moonshot.cn": "Kimi", "chat.minimax.io": "MiniMax",
    "genspark.ai": "Genspark", "manus.im": "Manus", "felo.ai": "Felo", "pi.ai": "Pi",
    "character.ai": "Character.AI", "chat.z.ai": "Z.ai",
    "com.openai.chatgpt": "ChatGPT", "com.anthropic.claude": "Claude",
    "ai.perplexity.app.android": "Perplexity", "com.google.android.apps.bard": "Gemini",
    "com.microsoft.copilot": "Copilot", "com.deepseek.chat": "DeepSeek", "ai.x.grok": "Grok",
    "com.microsoft.bing": "Copilot",
}
# Webmail and mail apps: a visit from one is a link in an e-mail (the `email` channel).
EMAIL_HOSTS = [
    ("Gmail", "mail.google.com"), ("Gmail", "com.google.android.gm"), ("Outlook", "outlook.live.com"),
    ("Outlook", "outlook.office.com"), ("Outlook", "outlook.office365.com"), ("Outlook", "outlook.cloud.microsoft"),
    ("Outlook", "com.microsoft.office.outlook"), ("Yahoo Mail", "mail.yahoo.com"), ("Yahoo Mail", "mail.yahoo.co.jp"),
    ("AOL Mail", "mail.aol.com"), ("Proton Mail", "mail.proton.me"), ("Proton Mail", "mail.protonmail.com"),
    ("iCloud Mail", "www.icloud.com/mail"), ("Zoho Mail", "mail.zoho.com"), ("Zoho Mail", "mail.zoho.eu"),
    ("Fastmail", "app.fastmail.com"), ("Yandex Mail", "mail.yandex.ru"), ("Yandex Mail", "mail.yandex.com"),
    ("Mail.ru", "e.mail.ru"), ("GMX", "navigator.gmx.net"), ("GMX", "mail.gmx.com"), ("WEB.DE", "navigator.web.de"),
    ("Tuta", "app.tuta.com"), ("Seznam Email", "email.seznam.cz"), ("Naver Mail", "mail.naver.com"),
    ("QQ Mail", "mail.qq.com"), ("163 Mail", "mail.163.com"), ("Orange Mail", "mail.orange.fr"),
    ("Libero Mail", "mail.libero.it"), ("Onet Poczta", "poczta.onet.pl"), ("WP Poczta", "poczta.wp.pl"),
]
# URL markers: the parameter and value an assistant adds when it sends no referrer.
URL_MARKERS = [
    ("utm_source", "chatgpt.com", "ChatGPT"),
    ("utm_source", "perplexity", "Perplexity"),
    ("utm_source", "copilot.com", "Copilot"),
    ("referrer", "grok.com", "Grok"),
]
# Referrer paths that make an otherwise non-AI host an assistant.
PATH_REFERRERS = [
    ("x.com", "/i/grok", "Grok"),
    ("bing.com", "/chat", "Copilot"),
    ("kagi.com", "/assistant", "Kagi Assistant"),
    ("huggingface.co", "/chat", "HuggingChat"),
]
# Hosts a list files whole though only a path of theirs is an assistant (the rest of
# huggingface.co is model pages, a referral like any other site).
PATH_ONLY_HOSTS = {"huggingface.co"}

# X4BNet's datacenter list (networks/x4bnet-datacenter-asn.txt) also names networks people browse
# from; flagging them would count those people apart. Left out, with why:
HOSTING_EXCLUDED = {
    6939: "Hurricane Electric: transit and IPv6 tunnels people browse through",
    4323: "tw telecom: a business access network",
    7850: "Citylink Fiber: an access network",
    36290: "The Cable of St. Kitts: a cable access network",
    394330: "LTD Broadband: a rural access network",
    395978: "a water district's own network",
    18570: "EchoStar: satellite internet access", 13955: "EchoStar: satellite internet access",
    16535: "EchoStar: satellite internet access",
    42705: "Talia: satellite (VSAT) internet access",
    53918: "Host Hotels and Resorts: a hotel company, not a hoster",
    36183: "Akamai's iCloud Private Relay egress: Safari users",
    205016: "Opera's built-in browser VPN: Opera users", 39832: "Opera's built-in browser VPN: Opera users",
    202276: "iboss: a secure web gateway employees browse through",
    42465: "Websense hosted security: a web gateway employees browse through",
    7598: "Websense hosted security: a web gateway employees browse through",
    52468: "UFINET: a wholesale carrier", 265620: "UFINET: a wholesale carrier",
    202836: "a reserved number",
    # Nigerian access networks, universities and a bank the list names by registry handle.
    **{asn: "a Nigerian access network, university or bank" for asn in (
        16284, 25163, 30998, 36887, 36970, 37018, 37088, 37170, 37209, 37230, 37248, 37269,
        37280, 37308, 37347, 37377, 37472, 37506, 37521, 37540, 37643, 37661, 37714, 327705,
        327784, 327942)},
}
# Clouds the list does not carry: (asn, name, evidence).
HOSTING_EXTRA = [
    (37963, "Alibaba (China) Technology Co., Ltd. (Alibaba Cloud)", "the operator's own AS (registry record)"),
    (8987, "Amazon Data Services Ireland Ltd (AWS)", "the operator's own AS (registry record)"),
]
# Words of an AS organisation name that say hosting whatever the number; matched case-insensitively
# as substrings of the whole name. No bare "host" or "cloud": Host Hotels, Cloudflare WARP users.
HOSTING_WORDS = [
    "hosting", "datacenter", "data center", "data centre", "colocation", "dedicated server",
    "vps", "virtual server", "server hosting", "web services", "cloud computing",
]


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
    lead = lead.strip().rstrip(".")
    # "the Chinese company Huawei": the name is what follows the description's last lowercase word.
    words = lead.split()
    if words and words[0].lower() == "the" and any(w.islower() for w in words[1:]):
        last_lower = max(i for i, w in enumerate(words) if w.islower())
        lead = " ".join(words[last_lower + 1:]) or lead
    return lead


def class_of(function, description=""):
    """The class the source's `function` states; where it names none ("AI Data Providers"), a
    description that says the crawl feeds a search engine makes it a search crawler."""
    f = function.lower()
    if "sharing" in f or "link preview" in f:
        return "link_preview"
    if "assistant" in f or "user-initiated" in f or "user quer" in f or "user prompt" in f:
        return "ai_assistant"
    if "agent" in f or "takes action" in f:
        return "ai_agent"
    if "search" in f or re.search(r"\bsearch (engine|results|index)|\bai search\b", description.lower()):
        return "ai_search_crawler"
    return "ai_training_crawler"


def alias_table():
    """Every spelling of an operator's name (its name, its `|`-separated aliases) → its name."""
    table = {}
    for name, _, _, _, aliases in OPERATORS:
        for alias in [name] + [a for a in aliases.split("|") if a]:
            table[alias.lower()] = name
    return table


def canonical_operator(raw):
    """The catalog's one name for an operator the sources spell their own way."""
    if not raw:
        return ""
    table = alias_table()
    return table.get(raw.lower(), raw)


def starts_with_product(token, product, fold):
    """`ExaBot` starts with the product `Exa`, `Example` does not: the product must end at a
    word boundary (not followed by a lowercase letter, but for a robot word)."""
    t, p = (token.lower(), product.lower()) if fold else (token, product)
    if len(p) < 3 or not t.startswith(p):
        return False
    rest = token[len(product):]
    return not rest[:1].islower() or rest.lower().startswith(("bot", "spider", "crawler"))


def operator_of_token(token):
    """An agent token that starts with an operator's product name (`ExaBot`, `MistralAI-User`)
    is that operator's. Case decides first: `ExaBot` is Exa's, `Exabot` Exalead's."""
    for fold in (False, True):
        best, owner = "", ""
        for name, _, _, products, _ in OPERATORS:
            for product in products.split():
                if starts_with_product(token, product, fold) and len(product) > len(best):
                    best, owner = product, name
        if owner:
            return owner
    return ""


def domain_of(url):
    host = (urlparse(url).hostname or "").lower()
    return host[4:] if host.startswith("www.") else host


def operators(data):
    """operators.tsv: the curated operators, plus each operator the AI agent list links to (its
    link's domain), so a user agent that names the domain names the operator."""
    rows = {name: [kind, domains.split(), products.split(), aliases] for name, kind, domains, products, aliases in OPERATORS}
    owner = {d: name for name, (_, domains, _, _) in rows.items() for d in domains}
    robots = json.loads((data / "ai-agents/ai-robots-txt.robots.json").read_text())
    for token, entry in sorted(robots.items()):
        link = re.match(r"\[([^\]]+)\]\((https?://[^)]+)\)", entry.get("operator") or "")
        if not link:
            continue
        name, domain = canonical_operator(link.group(1).strip()), domain_of(link.group(2))
        if not domain or domain in GENERIC_HOSTS:
            continue
        parts = domain.split(".")
        if any(".".join(parts[i:]) in owner for i in range(len(parts) - 1)):
            continue
        rows.setdefault(name, ["ai", [], [], ""])[1].append(domain)
        owner[domain] = name
    assistants = operator_assistants(data, owner)
    with open(HERE / "operators.tsv", "w") as out:
        out.write(f"# version: {VERSION}\n# source: operators' crawler documentation (facts) + ai-robots-txt/ai.robots.txt operator links (MIT); assistant: the AI referral source most of the operator's referrer hosts are (ai_referrers.tsv); see generate.py\n")
        out.write("name\tkind\tdomains\tproducts\tassistant\n")
        for name in sorted(rows, key=str.lower):
            kind, domains, products, _ = rows[name]
            out.write(f"{name}\t{kind}\t{' '.join(domains)}\t{' '.join(products)}\t{assistants.get(name, '')}\n")


def operator_assistants(data, owner):
    """Operator → the assistant its referrals come from: the referral source named most often
    among the referrer hosts in its domains (Google's gemini., bard. and notebooklm. hosts →
    Gemini), for the crawl-to-referral ratio."""
    counts = {}
    for (host, path), source in referrer_rows(data).items():
        if path:
            continue
        parts = host.split(".")
        for i in range(len(parts) - 1):
            operator = owner.get(".".join(parts[i:]))
            if operator:
                counts.setdefault(operator, {}).setdefault(source, 0)
                counts[operator][source] += 1
                break
    return {op: max(sorted(c), key=lambda s: c[s]) for op, c in counts.items()}


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
        operator, cls = OVERRIDES.get(name, (operator_name(entry.get("operator"), name), class_of(entry.get("function", ""), entry.get("description", ""))))
        operator = canonical_operator(operator) or operator_of_token(name) or name
        rows.append((name, operator, cls, name, sources.get(name, "")))
    known = {r[0] for r in rows}
    rows += [r for r in EXTRA_AGENTS if r[0] not in known]
    rows.sort(key=lambda r: r[0].lower())
    with open(HERE / "ai_agents.tsv", "w") as out:
        out.write(f"# version: {VERSION}\n# source: ai-robots-txt/ai.robots.txt (MIT) + published IP lists; see generate.py\n")
        out.write("name\toperator\tclass\tua_tokens\tip_ranges_url\n")
        for r in rows:
            out.write("\t".join(r) + "\n")


# arcjet's categories in crawler-user-agents' tag words, which the classifier reads.
ARCJET_TAGS = {"ai": "ai-crawler", "search-engine": "search-engine", "preview": "social-preview"}


def arcjet_patterns(data):
    """arcjet's accepted patterns with its categories as tags, for the bots crawler-user-agents'
    patterns miss: a bot whose every example those already match adds only matching cost (the
    first pattern that matches decides, and theirs come first). Bots with forbidden patterns are
    left out (a pattern alone would take the other bot's user agents), and so are patterns the
    `regex` crate cannot compile (look-around, back-references)."""
    bots = json.loads((data / "crawlers/well-known-bots.json").read_text())
    known = []
    for e in json.loads((data / "crawlers/crawler-user-agents.json").read_text()):
        if e["pattern"] not in EXCLUDED_PATTERNS:
            try:
                known.append(re.compile(e["pattern"]))
            except re.error:
                pass
    for bot in bots:
        if bot["pattern"].get("forbidden"):
            continue
        examples = bot.get("instances", {}).get("accepted", [])
        if examples and all(any(k.search(ua) for k in known) for ua in examples):
            continue
        tags = ",".join(ARCJET_TAGS.get(c, c) for c in bot.get("categories", []))
        for pattern in bot["pattern"]["accepted"]:
            if pattern in EXCLUDED_PATTERNS:
                continue
            if re.search(r"\(\?[=!<]|\\[1-9]", pattern) or "\t" in pattern:
                continue
            yield pattern, tags


def signature_agents():
    with open(HERE / "signature_agents.tsv", "w") as out:
        out.write(f"# version: {VERSION}\n# source: operators' documentation (evidence column); see generate.py\n")
        out.write("host\tagent\tevidence\n")
        for r in SIGNATURE_AGENTS:
            out.write("\t".join(r) + "\n")


def bot_patterns(data):
    entries = json.loads((data / "crawlers/crawler-user-agents.json").read_text())
    with open(HERE / "bot_patterns.tsv", "w") as out:
        out.write(f"# version: {VERSION}\n# source: monperrus/crawler-user-agents (MIT), then arcjet/well-known-bots (MIT); pattern is a regex\n")
        out.write("pattern\ttags\tsource\n")
        for e in entries:
            if e["pattern"] not in EXCLUDED_PATTERNS:
                out.write(f"{e['pattern']}\t{','.join(e.get('tags', []))}\tcrawler-user-agents\n")
        for pattern, tags in arcjet_patterns(data):
            out.write(f"{pattern}\t{tags}\tarcjet\n")
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
    "\\|": "Baidu's app browsers (baiduboxapp, baidubrowser) and device names (My|Phone) print '|'",
    "radar": "HTC's and Nokia's Radar phones name their model",
    "server": "smart TVs list their capabilities (HAS_CMD_HTTP_SERVER); servers' robots say more than 'server'",
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


def referrer_rows(data):
    """(host, path prefix) → AI source name, from both lists and the additions above."""
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
    for host, name in EXTRA_AI_REFERRERS.items():
        # A name of ours over a list's bare host; never over a list's own name.
        if rows.get((host, ""), host) == host:
            rows[(host, "")] = name
    for host, path, name in PATH_REFERRERS:
        rows[(host, path)] = name
    for host in PATH_ONLY_HOSTS:
        rows.pop((host, ""), None)
    for key in list(rows):
        if key[0] in REFERRER_NAMES and key[1] == "":
            rows[key] = REFERRER_NAMES[key[0]]
    return rows


def referrers(data):
    rows = referrer_rows(data)
    with open(HERE / "ai_referrers.tsv", "w") as out:
        out.write(f"# version: {VERSION}\n# source: matomo searchengine-and-social-list (CC0), MalteBerlin/LLM-Referrer (CC0)\n")
        out.write("kind\tsource\thost\tpath_prefix_or_param\tvalue\n")
        for (host, path), name in sorted(rows.items()):
            out.write(f"host\t{name}\t{host}\t{path}\t\n")
        for param, value, name in URL_MARKERS:
            out.write(f"marker\t{name}\t\t{param}\t{value}\n")


def channels(data):
    with open(HERE / "channel_hosts.tsv", "w") as out:
        out.write(f"# version: {VERSION}\n# source: matomo searchengine-and-social-list (CC0), webmail hosts (facts, generate.py); '{{}}' = any public suffix\n")
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
        for name, host in EMAIL_HOSTS:
            if "/" not in host:
                out.write(f"email\t{name}\t{host}\n")


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


def hosting_networks(data):
    """Hosting ASNs (X4BNet's datacenter list less HOSTING_EXCLUDED, plus HOSTING_EXTRA) and the
    organisation words that mark any AS as hosting."""
    asns = {}
    for line in (data / "networks/x4bnet-datacenter-asn.txt").read_text().splitlines():
        m = re.match(r"\s*AS(\d+)\s*(?:#\s*(.*))?$", line)
        if not m:
            continue
        asn = int(m.group(1))
        if asn not in HOSTING_EXCLUDED and asn not in asns:
            asns[asn] = (m.group(2) or "").replace("\t", " ").strip()
    for asn, name, _evidence in HOSTING_EXTRA:
        asns.setdefault(asn, name)
    with open(HERE / "hosting_networks.tsv", "w") as out:
        out.write(f"# version: {VERSION}\n# source: X4BNet/lists_vpn input/datacenter/ASN.txt (MIT) less the exclusions in generate.py, plus its extra clouds and organisation words\n")
        out.write("kind\tvalue\tname\n")
        for asn in sorted(asns):
            out.write(f"asn\t{asn}\t{asns[asn]}\n")
        for word in HOSTING_WORDS:
            out.write(f"organization_word\t{word}\t\n")


def main():
    data = Path(sys.argv[1] if len(sys.argv) > 1 else HERE.parents[1] / "reference-data").resolve()
    operators(data)
    agents(data)
    signature_agents()
    bot_patterns(data)
    nonbrowser_patterns(data)
    referrers(data)
    channels(data)
    ip_ranges(data)
    hosting_networks(data)


if __name__ == "__main__":
    main()
