#!/usr/bin/env python3
"""Builds reverse_dns.tsv: the host-name masks an operator's forward-confirmed reverse DNS must
match, per agent name the classifier gives, from arcjet/well-known-bots' verification sources
(reference-data/ip-ranges/verification_sources.tsv).

Mask syntax is arcjet's: `*` is zero or one character, `@` any number of characters, everything
else literal. Usage: python3 schemas/catalog/reverse_dns.py [reference-data dir]
"""

import csv
import os
import sys

VERSION = "2026-12-02.1"

# arcjet bot id -> the agent name our classifier gives that bot's user agents (checked by
# stream-processors' `every_mask_agent_is_what_the_classifier_names_its_examples`). Ids whose bots
# the classifier names alike share the row and must document the same masks. Ids left out, with
# why, are in LEFT_OUT.
AGENT_OF = {
    "google-crawler": "Googlebot",
    "google-crawler-image": "Googlebot",
    "google-crawler-news": "Googlebot",
    "google-crawler-video": "Googlebot",
    "google-inspection-tool": "Google-InspectionTool",
    "google-crawler-store": "Storebot-Google",
    "google-crawler-other": "GoogleOther",
    "google-crawler-cloudvertex": "Google-CloudVertexBot",
    "google-adsbot": "AdsBot-Google",
    "google-adsbot-mobile": "AdsBot-Google-Mobile",
    "google-adsense": "Mediapartners-Google",
    "google-feedfetcher": "Feedfetcher-Google",
    "google-site-verification": "Google-Site-Verification",
    "google-crawler-safety": "Google-Safety",
    "bing-crawler": "bingbot",
    "bing-preview": "BingPreview",
    "microsoft-preview": "MicrosoftPreview",
    # The classifier names these by the pattern that matched (bot_patterns.tsv has no product
    # token for them); the row follows, so a claim is checked whatever product token it carries.
    "yandex-crawler": "yandex.com/bots",
    "yandex-crawler-javascript": "YandexRenderResourcesBot",
    "baidu-crawler": "Baiduspider",
    "apple-crawler": "Applebot",
    "stripe-crawler": "Stripebot",
    "amazon-adbot": "AmazonAdBot",
    "ccbot-crawler": "CCBot",
    "pinterest-crawler": "pinterest.com/bot",
    "uptimerobot-monitor": "UptimeRobot",
}

LEFT_OUT = {
    "google-push-notifications": "APIs-Google is no agent the classifier names",
    "bing-ads": "no example user agent to check the name against",
    "geedo-crawler-products": "no agent the classifier names",
    "adyen-webhook": "a payment webhook, not a crawler",
}


def main():
    ref = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(__file__), "..", "..", "reference-data")
    path = os.path.join(ref, "ip-ranges", "verification_sources.tsv")
    masks_of, sources_of = {}, {}
    with open(path, newline="") as f:
        for row in csv.DictReader(f, delimiter="\t"):
            if row["verification_type"] != "dns":
                continue
            bot = row["id"]
            if bot in LEFT_OUT:
                continue
            if bot not in AGENT_OF:
                sys.exit(f"{bot}: add it to AGENT_OF or LEFT_OUT")
            agent = AGENT_OF[bot]
            masks = " ".join(sorted(row["url_or_masks"].split()))
            if masks_of.setdefault(agent, masks) != masks:
                sys.exit(f"{agent}: {bot} documents other masks than {sources_of[agent]}")
            sources_of.setdefault(agent, []).append(bot)
    out = os.path.join(os.path.dirname(__file__), "reverse_dns.tsv")
    with open(out, "w") as f:
        f.write(f"# version: {VERSION}\n")
        f.write("# source: arcjet/well-known-bots (MIT) verification masks; built by reverse_dns.py\n")
        f.write("agent\tmasks\tsources\n")
        for agent in sorted(masks_of, key=str.lower):
            f.write(f"{agent}\t{masks_of[agent]}\t{','.join(sources_of[agent])}\n")


if __name__ == "__main__":
    main()
