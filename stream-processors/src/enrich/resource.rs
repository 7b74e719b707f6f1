//! What a crawler asked for, from the path alone: the files sites write for machines — robots.txt,
//! llms.txt and llms-full.txt (llmstxt.org, at the root or in a subpath), sitemaps and sitemap
//! indexes (plain, `.txt` or gzipped), Markdown renditions of pages and RSS/Atom feeds — or a
//! page.

use schemas::vocab::CrawlResource;

/// Last path segments that are a feed by convention (WordPress's `/feed/`, static sites'
/// `rss.xml`, …).
const FEED_NAMES: [&str; 9] = [
    "feed",
    "rss",
    "atom",
    "feed.xml",
    "rss.xml",
    "atom.xml",
    "index.xml",
    "feed.json",
    "index.rss",
];

pub fn classify(path: &str) -> CrawlResource {
    let lower = path.to_ascii_lowercase();
    let trimmed = lower.trim_end_matches('/');
    let name = trimmed.rsplit('/').next().unwrap_or_default();
    if lower == "/robots.txt" {
        return CrawlResource::RobotsTxt;
    }
    match name {
        "llms.txt" => return CrawlResource::LlmsTxt,
        "llms-full.txt" => return CrawlResource::LlmsFullTxt,
        _ => {}
    }
    let sitemap_like = name.starts_with("sitemap")
        && [".xml", ".xml.gz", ".txt", ".txt.gz"]
            .iter()
            .any(|ext| name.ends_with(ext));
    if sitemap_like || name.ends_with(".xml.gz") {
        return CrawlResource::Sitemap;
    }
    // A directory path (`/docs/`) is a page even when its last segment looks like a file name.
    if !lower.ends_with('/')
        && [".md", ".markdown", ".mdx"]
            .iter()
            .any(|e| name.ends_with(e))
    {
        return CrawlResource::Markdown;
    }
    if FEED_NAMES.contains(&name) || name.ends_with(".rss") || name.ends_with(".atom") {
        return CrawlResource::Feed;
    }
    CrawlResource::Page
}

#[cfg(test)]
mod tests {
    use super::*;
    use CrawlResource::*;

    #[test]
    fn machine_files_are_told_apart_from_pages() {
        for (path, resource) in [
            ("/robots.txt", RobotsTxt),
            ("/ROBOTS.TXT", RobotsTxt),
            ("/llms.txt", LlmsTxt),
            ("/docs/llms.txt", LlmsTxt),
            ("/llms-full.txt", LlmsFullTxt),
            ("/sitemap.xml", Sitemap),
            ("/sitemap_index.xml", Sitemap),
            ("/sitemaps/sitemap-posts-2.xml", Sitemap),
            ("/sitemap.txt", Sitemap),
            ("/static/pages.xml.gz", Sitemap),
            ("/docs/getting-started.md", Markdown),
            ("/blog/post.markdown", Markdown),
            ("/index.html.md", Markdown),
            ("/feed/", Feed),
            ("/comments/feed", Feed),
            ("/blog/rss.xml", Feed),
            ("/atom.xml", Feed),
            ("/news.rss", Feed),
            ("/", Page),
            ("/pricing/", Page),
            ("/docs/readme.md/", Page),
            ("/robots.txt/extra", Page),
            ("/blog/feeding-tips/", Page),
            ("/data.xml", Page),
            ("/sub/robots.txt", Page),
        ] {
            assert_eq!(classify(path), resource, "{path}");
        }
    }
}
