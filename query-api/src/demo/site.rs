//! A small static site carrying the tag, for clicking around the demo by hand: its events go
//! through the same collector and show up in the dashboards seconds later.

use std::path::Path;

use super::traffic::PAGES;

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn page(path: &str, title: &str, snippet: &str) -> String {
    let nav: String = PAGES
        .iter()
        .map(|(p, t, _, _)| {
            let label = t.split(" — ").next().unwrap_or(t);
            format!("<a href=\"{p}\">{}</a>", escape(label))
        })
        .collect::<Vec<_>>()
        .join(" · ");
    let action = if path == "/signup/" {
        r#"<p><button id="signup" onclick="optiview.conversion('signup'); this.textContent='Thanks!'">Create my account</button>
<button id="buy" onclick="optiview.conversion('purchase', {value: 99, currency: 'USD'}); this.textContent='Purchased'">Buy Pro ($99)</button></p>"#
    } else {
        r#"<p><a href="/signup/">Get started →</a> · <a href="https://github.com/" onclick="event.preventDefault()">GitHub</a></p>"#
    };
    format!(
        r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>{title}</title>
<script>window.optiview=window.optiview||{{q:[],track:function(){{this.q.push(["track",arguments])}},conversion:function(){{this.q.push(["conversion",arguments])}}}};</script>
{snippet}
<style>body{{font:16px/1.5 system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem}}nav{{margin-bottom:2rem}}</style>
</head><body>
<nav>{nav}</nav>
<h1>{heading}</h1>
<p>This is the Optiview demo site. Every page carries the tag; browse around and your visit
appears in the dashboards within seconds.</p>
{action}
</body></html>
"#,
        title = escape(title),
        heading = escape(title.split(" — ").next().unwrap_or(title)),
    )
}

/// The demo site's robots.txt. Some demo crawlers ignore it — GPTBot reads pricing and the
/// customer list, Common Crawl and ByteDance read everything — so the crawlers page shows
/// violations; everyone else falls under the `*` group.
pub const ROBOTS_TXT: &str = "\
User-agent: *
Allow: /
Disallow: /signup/

User-agent: GPTBot
Disallow: /pricing/
Disallow: /customers/

User-agent: CCBot
User-agent: Bytespider
Disallow: /

Sitemap: https://www.example.com/sitemap.xml
";

/// The files the demo site writes for machines, beside its pages: robots.txt, llms.txt, a
/// sitemap and a Markdown rendition of the getting-started page.
pub fn write_machine_files(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir.join("docs"))?;
    std::fs::write(dir.join("robots.txt"), ROBOTS_TXT)?;
    let links: String = PAGES
        .iter()
        .map(|(p, t, _, _)| format!("- [{t}](https://www.example.com{p})\n"))
        .collect();
    std::fs::write(
        dir.join("llms.txt"),
        format!("# Example Co\n\n> Analytics for the AI era.\n\n## Pages\n\n{links}"),
    )?;
    let urls: String = PAGES
        .iter()
        .map(|(p, _, _, _)| format!("  <url><loc>https://www.example.com{p}</loc></url>\n"))
        .collect();
    std::fs::write(
        dir.join("sitemap.xml"),
        format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n{urls}</urlset>\n"),
    )?;
    std::fs::write(
        dir.join("docs/getting-started.md"),
        "# Getting started\n\nInstall the tag, then watch AI visits arrive.\n",
    )
}

/// Writes `<dir>/<path>/index.html` for every demo page.
pub fn write(dir: &Path, snippet: &str) -> std::io::Result<()> {
    for (path, title, _, _) in PAGES {
        let folder = dir.join(path.trim_start_matches('/'));
        std::fs::create_dir_all(&folder)?;
        std::fs::write(folder.join("index.html"), page(path, title, snippet))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_page_carries_the_snippet_and_links_every_page() {
        let dir = tempfile::tempdir().unwrap();
        let snippet = r#"<script async src="http://edge/v1/tag.js" data-key-id="key_x"></script>"#;
        super::write(dir.path(), snippet).unwrap();
        for (path, _, _, _) in super::PAGES {
            let html = std::fs::read_to_string(
                dir.path()
                    .join(path.trim_start_matches('/'))
                    .join("index.html"),
            )
            .unwrap();
            assert!(html.contains(snippet), "{path}");
            for (other, _, _, _) in super::PAGES {
                assert!(
                    html.contains(&format!("href=\"{other}\"")),
                    "{path} → {other}"
                );
            }
        }
    }

    #[test]
    fn the_robots_txt_forbids_what_some_demo_crawlers_read() {
        let dir = tempfile::tempdir().unwrap();
        super::write_machine_files(dir.path()).unwrap();
        let text = std::fs::read_to_string(dir.path().join("robots.txt")).unwrap();
        let robots = platform::robots::RobotsTxt::parse(&text);
        use schemas::vocab::RobotsVerdict::*;
        assert_eq!(robots.verdict("GPTBot", "/pricing/"), Disallowed);
        assert_eq!(robots.verdict("CCBot", "/"), Disallowed);
        assert_eq!(
            robots.verdict("Bytespider", "/docs/getting-started/"),
            Disallowed
        );
        assert_eq!(robots.verdict("ClaudeBot", "/pricing/"), Allowed);
        assert_eq!(robots.verdict("GPTBot", "/blog/llm-seo-checklist/"), NoRule);
        for file in ["llms.txt", "sitemap.xml", "docs/getting-started.md"] {
            assert!(dir.path().join(file).exists(), "{file}");
        }
    }
}
