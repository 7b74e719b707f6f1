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
}
