//! Synthetic traffic for the dashboards benchmark and the demo: sessions of humans on several
//! devices and countries with multi-page journeys, visits referred by several AI assistants,
//! conversions (more likely after an AI referral), and AI crawler server hits (some spoofed),
//! written straight into the processors' output tables so the materialized views fill the
//! rollups exactly as live processing does.
//!
//! Rows are generated inside ClickHouse (`INSERT … SELECT … FROM numbers()`), deterministic in
//! the seed: 10 M events take seconds instead of the hours the real pipeline would. Everything a
//! caller chooses is a server-side parameter; the shared vocabulary's values come from
//! `schemas::vocab`.

use clickhouse::Client;
use schemas::vocab::{
    sql_literal as lit, AgentClass, Channel, EventSource, EventType, Verification,
};

/// One project to fill.
#[derive(Debug, Clone)]
pub struct Target {
    pub organization_id: String,
    pub project_id: String,
    pub property_id: u64,
    pub host: String,
    pub retention_days: u16,
}

/// Share of events that are AI crawler server hits; the rest are tag events of sessions.
const CRAWLER_SHARE: f64 = 0.15;
/// Tag events per session on average: 1–6 pageviews (mean 3.5) plus a few conversions.
const EVENTS_PER_SESSION: f64 = 3.6;

/// Session attributes derived from a hash `h` of (seed, project, session number).
fn session_columns() -> String {
    format!(
        "
    number AS n,
    cityHash64({{seed:UInt64}}, {{project:String}}, n) AS h,
    concat('v', toString(h % greatest(1, intDiv({{sessions:UInt64}}, 3)))) AS visitor,
    concat('s', hex(h)) AS session,
    {{now:DateTime64(3)}} - toIntervalMillisecond(bitShiftRight(h, 8) % ({{days:UInt64}} * 86400000)) AS opened,
    toUInt32(1 + bitShiftRight(h, 20) % 6) AS pages,
    multiIf(bitShiftRight(h, 24) % 100 < 6, 'ChatGPT', bitShiftRight(h, 24) % 100 < 9, 'Perplexity',
            bitShiftRight(h, 24) % 100 < 11, 'Claude', bitShiftRight(h, 24) % 100 < 13, 'Gemini',
            bitShiftRight(h, 24) % 100 < 14, 'Copilot', '') AS ai,
    multiIf(ai != '', {ai}, bitShiftRight(h, 28) % 4 = 0, {search}, bitShiftRight(h, 28) % 4 = 1, {social},
            {direct}) AS channel,
    ['US', 'DE', 'GB', 'FR', 'IN', 'BR', 'JP', 'CA'][1 + bitShiftRight(h, 32) % 8] AS country,
    ['desktop', 'desktop', 'mobile', 'mobile', 'mobile', 'tablet'][1 + bitShiftRight(h, 36) % 6] AS device,
    ['Chrome', 'Chrome', 'Safari', 'Firefox', 'Edge'][1 + bitShiftRight(h, 40) % 5] AS browser,
    multiIf(device = 'desktop', ['Windows', 'macOS', 'Linux'][1 + bitShiftRight(h, 44) % 3],
            ['iOS', 'Android'][1 + bitShiftRight(h, 44) % 2]) AS os,
    toUInt32((bitShiftRight(h, 48) % 100) < if(ai != '', 8, 3)) AS converted,
    round(10 + bitShiftRight(h, 52) % 190, 2) AS value",
        ai = lit(Channel::Ai),
        search = lit(Channel::Search),
        social = lit(Channel::Social),
        direct = lit(Channel::Direct),
    )
}

/// The crawlers hits claim to be: (agent, operator, class), the agent catalog's big names.
const CRAWLERS: [(&str, &str, AgentClass); 10] = [
    ("GPTBot", "OpenAI", AgentClass::AiTrainingCrawler),
    ("OAI-SearchBot", "OpenAI", AgentClass::AiSearchCrawler),
    ("ChatGPT-User", "OpenAI", AgentClass::AiAssistant),
    ("ClaudeBot", "Anthropic", AgentClass::AiTrainingCrawler),
    ("Claude-User", "Anthropic", AgentClass::AiAssistant),
    ("PerplexityBot", "Perplexity", AgentClass::AiSearchCrawler),
    ("Perplexity-User", "Perplexity", AgentClass::AiAssistant),
    ("Google-Extended", "Google", AgentClass::AiTrainingCrawler),
    ("Bytespider", "ByteDance", AgentClass::AiTrainingCrawler),
    ("CCBot", "Common Crawl", AgentClass::AiTrainingCrawler),
];

/// [`CRAWLERS`] as a ClickHouse array of tuples.
fn crawler_agents() -> String {
    let tuples: Vec<String> = CRAWLERS
        .iter()
        .map(|(agent, operator, class)| format!("('{agent}', '{operator}', {})", lit(*class)))
        .collect();
    format!("[{}]", tuples.join(", "))
}

/// The page of step `step` of a session: landing pages lean to the home page and the blog;
/// conversions happen on /checkout.
fn page(step: &str) -> String {
    format!(
        "multiIf({step} >= pages, '/checkout', {step} = 0 AND bitShiftRight(h, 56) % 3 = 0, '/', \
         concat(['/blog/', '/docs/', '/pricing/', '/product/'][1 + (h + {step}) % 4], \
         toString(bitShiftRight(h, 4 + {step}) % 50)))"
    )
}

fn sessions_of(events: u64) -> u64 {
    ((events as f64 * (1.0 - CRAWLER_SHARE)) / EVENTS_PER_SESSION).round() as u64
}

/// The parameters of one load's statements.
struct Load<'a> {
    target: &'a Target,
    sessions: u64,
    hits: u64,
    days: u64,
    seed: u64,
    /// When the load started: the rows it wrote are those processed since (a later load into
    /// the same project copies only its own events into the other tables).
    since: String,
}

async fn run(client: &Client, load: &Load<'_>, sql: &str) -> anyhow::Result<()> {
    let Load {
        target: t,
        sessions,
        hits,
        days,
        seed,
        ..
    } = *load;
    client
        .query(sql)
        .param("since", &load.since)
        .param("seed", seed)
        .param("project", &t.project_id)
        .param("org", &t.organization_id)
        .param("property", t.property_id)
        .param("host", &t.host)
        .param("retention", t.retention_days)
        .param("sessions", sessions)
        .param("hits", hits)
        .param("days", days)
        .param(
            "now",
            chrono::Utc::now()
                .format("%Y-%m-%d %H:%M:%S%.3f")
                .to_string(),
        )
        .with_setting("max_partitions_per_insert_block", "1000")
        .execute()
        .await?;
    Ok(())
}

/// Writes about `events` events for `t` spread over the last `days` days; returns the number
/// of tag events and crawler hits written.
pub async fn load(
    client: &Client,
    t: &Target,
    events: u64,
    days: u64,
    seed: u64,
) -> anyhow::Result<(u64, u64)> {
    let sessions = sessions_of(events);
    let hits = (events as f64 * CRAWLER_SHARE).round() as u64;
    // The server's clock and zone, as `processed_at DEFAULT now64(3)` is: the bench host's clock
    // may differ, and a cut-off ahead of the server's would leave the new rows out.
    let since: String = client
        .query("SELECT toString(now64(3))")
        .fetch_one()
        .await?;
    let load = Load {
        target: t,
        sessions,
        hits,
        days,
        seed,
        since,
    };
    let session_columns = session_columns();
    let (tag, server) = (lit(EventSource::Tag), lit(EventSource::Server));
    let (pageview, conversion) = (lit(EventType::Pageview), lit(EventType::Conversion));
    let tag_events = format!(
        "INSERT INTO events (project_id, property_id, ts, event_id, received_at, organization_id,
            visitor_id, session_id, source, event_type, url, host, path, title, content_type,
            referrer, referrer_host, channel, ai_source, ai_matched_by, agent_class, browser, os,
            device, country, name, value, currency, retention_days)
         SELECT {{project:String}}, {{property:UInt64}}, opened + toIntervalSecond(i * 45),
            concat(session, '-', toString(i)), opened + toIntervalSecond(i * 45), {{org:String}},
            visitor, session, {tag}, if(i < pages, {pageview}, {conversion}),
            concat('https://', {{host:String}}, page), {{host:String}}, page,
            concat('Page ', page), if(page = '/', 'home', splitByChar('/', page)[2]),
            if(i = 0 AND ai != '', concat('https://', lower(ai), '.example/'), ''),
            if(i = 0 AND ai != '', concat(lower(ai), '.example'), ''),
            channel, if(i = 0, ai, ''), if(i = 0 AND ai != '', 'referrer_host', ''), {human},
            browser, os, device, country, if(i < pages, '', 'purchase'),
            if(i < pages, NULL, value), if(i < pages, '', 'USD'), {{retention:UInt16}}
         FROM (
            SELECT *, i, {step_page} AS page
            FROM (SELECT {session_columns} FROM numbers({{sessions:UInt64}}))
            ARRAY JOIN range(pages + converted) AS i
         )",
        step_page = page("i"),
        human = lit(AgentClass::Human),
    );
    run(client, &load, &tag_events).await?;

    let session_rows = format!(
        "INSERT INTO sessions (project_id, property_id, opened_at, session_id, organization_id,
            visitor_id, started_at, last_seen, version, entry_url, exit_url, pageviews, events,
            duration_ms, referrer, channel, ai_source, conversions, conversion_value)
         SELECT {{project:String}}, {{property:UInt64}}, opened, session, {{org:String}}, visitor,
            opened, opened + toIntervalSecond((pages - 1 + converted) * 45), 1,
            concat('https://', {{host:String}}, {landing}),
            concat('https://', {{host:String}}, {exit}),
            pages, pages + converted, (pages - 1 + converted) * 45000,
            if(ai != '', concat('https://', lower(ai), '.example/'), ''), channel, ai, converted,
            if(converted = 1, value, 0)
         FROM (SELECT {session_columns} FROM numbers({{sessions:UInt64}}))",
        landing = page("0"),
        exit = page("(pages - 1)"),
    );
    run(client, &load, &session_rows).await?;

    let referrals = format!(
        "INSERT INTO ai_referrals (project_id, property_id, ts, event_id, visitor_id,
            session_id, ai_source, matched_by, url, path, content_type, referrer, country, device)
         SELECT project_id, property_id, ts, event_id, visitor_id, session_id, ai_source,
            ai_matched_by, url, path, content_type, referrer, country, device
         FROM events WHERE project_id = {{project:String}} AND source = {tag}
            AND event_type = {pageview} AND ai_source != ''
            AND processed_at >= {{since:DateTime64(3)}}"
    );
    run(client, &load, &referrals).await?;

    let conversions = format!(
        "INSERT INTO conversions (project_id, property_id, ts, event_id, visitor_id,
            session_id, name, value, currency, session_ai_source, last_touch_ai_source,
            last_touch_at, retention_days)
         SELECT e.project_id, e.property_id, e.ts, e.event_id, e.visitor_id, e.session_id, e.name,
            e.value, e.currency, s.ai_source, s.ai_source, if(s.ai_source != '', s.opened_at, NULL),
            e.retention_days
         FROM events AS e
         INNER JOIN (SELECT session_id, ai_source, opened_at FROM sessions
                     WHERE project_id = {{project:String}}
                       AND processed_at >= {{since:DateTime64(3)}}) AS s USING session_id
         WHERE e.project_id = {{project:String}} AND e.event_type = {conversion}
            AND e.processed_at >= {{since:DateTime64(3)}}"
    );
    run(client, &load, &conversions).await?;

    // Crawler hits: one of CRAWLERS each; 5% of the hits claiming to be a verifiable crawler come
    // from elsewhere (spoofed).
    let crawler_columns = format!(
        "
        number AS n,
        cityHash64({{seed:UInt64}}, {{project:String}}, {hit}, n) AS h,
        {agents}[1 + h % {agent_count}] AS agent,
        {{now:DateTime64(3)}} - toIntervalMillisecond(bitShiftRight(h, 8) % ({{days:UInt64}} * 86400000)) AS at,
        if(bitShiftRight(h, 40) % 100 < 5, {spoofed}, if(agent.2 IN ('OpenAI', 'Anthropic', 'Perplexity', 'Google'), {verified}, {unverifiable})) AS verification,
        concat(['/blog/', '/docs/', '/pricing/', '/product/'][1 + bitShiftRight(h, 20) % 4], toString(bitShiftRight(h, 24) % 50)) AS page,
        [200, 200, 200, 200, 200, 200, 304, 301, 404, 500][1 + bitShiftRight(h, 32) % 10] AS status",
        hit = lit(EventType::Hit),
        agents = crawler_agents(),
        agent_count = CRAWLERS.len(),
        spoofed = lit(Verification::Spoofed),
        verified = lit(Verification::Verified),
        unverifiable = lit(Verification::Unverifiable),
    );
    let hit_events = format!(
        "INSERT INTO events (project_id, property_id, ts, event_id, received_at, organization_id,
            source, event_type, url, host, path, content_type, agent_class, agent_name,
            agent_operator, verification, status, retention_days)
         SELECT {{project:String}}, {{property:UInt64}}, at, concat('hit-', hex(h)), at, {{org:String}},
            {server}, {hit}, concat('https://', {{host:String}}, page), {{host:String}}, page,
            splitByChar('/', page)[2], agent.3, agent.1, agent.2, verification, status,
            {{retention:UInt16}}
         FROM (SELECT {crawler_columns} FROM numbers({{hits:UInt64}}))",
        hit = lit(EventType::Hit),
    );
    run(client, &load, &hit_events).await?;
    let hit_rows = format!(
        "INSERT INTO crawler_hits (project_id, property_id, ts, event_id, agent_class,
            agent_name, agent_operator, verification, host, path, content_type, status, retention_days)
         SELECT project_id, property_id, ts, event_id, agent_class, agent_name, agent_operator,
            verification, host, path, content_type, status, retention_days
         FROM events WHERE project_id = {{project:String}} AND source = {server}
            AND processed_at >= {{since:DateTime64(3)}}"
    );
    run(client, &load, &hit_rows).await?;

    let tag: u64 = client
        .query(&format!(
            "SELECT count() FROM events WHERE project_id = ? AND source = {tag}
             AND processed_at >= toDateTime64(?, 3)"
        ))
        .bind(&t.project_id)
        .bind(&load.since)
        .fetch_one()
        .await?;
    Ok((tag, hits))
}
