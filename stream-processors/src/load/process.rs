//! One consumed record → what the batch gains from it: the enriched event placed in its session,
//! an AI referral, a crawler hit, a conversion with both attribution models, the session's new
//! state, or a dead letter. Synchronous; the loop owns the I/O.

use schemas::beacon::Beacon;
use schemas::control::ControlView;
use schemas::deadletter::{DeadLetter, DeadLetterReason};
use schemas::vocab::{EventSource, EventType};
use schemas::{DecodeError, SchemaRegistry};

use super::batch::{Batch, Held};
use super::rows::{AiReferralRow, ConversionRow, CrawlerHitRow, EventRow};
use crate::enrich::enricher::{Awaiting, Enricher, PropertyContext, Rejection};
use crate::enrich::page::ContentRules;
use crate::enrich::EnrichedEvent;
use crate::sessionize::changelog::{to_update, Owner};
use crate::sessionize::{canonical_utm, Applied, Sessionizer, Visit};
use crate::telemetry;

const STAGE: &str = "processor";

pub use super::batch::Position;

pub struct Processor {
    pub enricher: Enricher,
    pub rules: ContentRules,
    pub registry: SchemaRegistry,
    pub source_topic: String,
}

impl Processor {
    pub fn new(enricher: Enricher, source_topic: impl Into<String>) -> Self {
        Self {
            enricher,
            rules: ContentRules::default(),
            registry: SchemaRegistry::builtin(),
            source_topic: source_topic.into(),
        }
    }

    pub fn process(
        &self,
        view: &ControlView,
        sessionizer: &mut Sessionizer,
        at: Position,
        bytes: &[u8],
        processed_at_ms: i64,
        batch: &mut Batch,
    ) {
        metrics::counter!(telemetry::RECORDS_CONSUMED).increment(1);
        batch.saw(at, bytes);
        match self.enrich(view, bytes, processed_at_ms) {
            Ok((mut event, awaiting)) => {
                if event.source == EventSource::Tag
                    && !self.sessionize(sessionizer, at, &mut event, batch)
                {
                    return; // already applied before a restart: its rows are in ClickHouse
                }
                if let Some(awaiting) = awaiting {
                    // A robot's server hit: no referral, no session; its rows wait for DNS.
                    batch.hold(Held {
                        at,
                        original: bytes.to_vec(),
                        crawler_hit: CrawlerHitRow::of(&event),
                        event: EventRow::from(event),
                        awaiting,
                    });
                    return;
                }
                batch.ai_referrals.extend(at, AiReferralRow::of(&event));
                batch.crawler_hits.extend(at, CrawlerHitRow::of(&event));
                batch.events.push(at, EventRow::from(event));
            }
            Err(rejection) => {
                metrics::counter!(telemetry::DEAD_LETTERS, "reason" => rejection.reason.as_str())
                    .increment(1);
                batch.dead_letters.push(DeadLetter {
                    at: processed_at_ms,
                    stage: STAGE.into(),
                    source_topic: self.source_topic.clone(),
                    source_partition: at.partition,
                    source_offset: at.offset,
                    reason: rejection.reason,
                    detail: rejection.detail,
                    original: bytes.to_vec(),
                });
            }
        }
    }

    fn enrich(
        &self,
        view: &ControlView,
        bytes: &[u8],
        processed_at_ms: i64,
    ) -> Result<(EnrichedEvent, Option<Awaiting>), Rejection> {
        let beacon = self
            .registry
            .decode::<Beacon>(bytes)
            .map_err(|e| Rejection {
                reason: match e {
                    DecodeError::UnknownFingerprint(_) => DeadLetterReason::UnknownSchema,
                    _ => DeadLetterReason::Undecodable,
                },
                detail: e.to_string(),
            })?;
        let property = view.property(beacon.property_id);
        let project = property.and_then(|p| view.project(&p.project_id));
        let organization = project.and_then(|p| view.organization(&p.organization_id));
        match (project, organization) {
            (Some(project), Some(org)) if project.id == beacon.project_id => {
                let ctx = PropertyContext {
                    organization_id: &org.id,
                    retention_days: u16::try_from(org.plan.event_retention_days())
                        .unwrap_or(u16::MAX),
                    content_rules: &self.rules,
                };
                self.enricher
                    .enrich_awaiting(&beacon, &ctx, processed_at_ms)
            }
            _ => Err(Rejection {
                reason: DeadLetterReason::UnknownProperty,
                detail: format!(
                    "property {} of project {} is not in the control plane",
                    beacon.property_id, beacon.project_id
                ),
            }),
        }
    }

    /// Places a tag event in its session: stamps the session id on the event, records the
    /// session's new state and, for a conversion, its attribution. False when the restored state
    /// already holds the event.
    fn sessionize(
        &self,
        sessionizer: &mut Sessionizer,
        at: Position,
        event: &mut EnrichedEvent,
        batch: &mut Batch,
    ) -> bool {
        let utm = canonical_utm(event.utm.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        let placement = match sessionizer.apply(&visit_of(event, &utm), at.offset) {
            Applied::AlreadyApplied => return false,
            Applied::TooLate => {
                metrics::counter!(telemetry::TOO_LATE_FOR_SESSION).increment(1);
                event.session_id.clear();
                return true;
            }
            Applied::Placed(placement) => placement,
        };
        let session = &placement.session;
        event.session_id = session.id.to_string();
        if event.event_type == EventType::Conversion {
            batch
                .conversions
                .push(at, ConversionRow::of(event, &placement));
        }
        if placement.changed {
            let owner = Owner {
                organization_id: &event.organization_id,
                project_id: &event.project_id,
                property_id: i64::try_from(event.property_id).unwrap_or_default(),
                visitor_id: &event.visitor_id,
                agent_class: event.agent_class(),
            };
            let update = to_update(
                &owner,
                session,
                placement.visitor_ai_touch.as_ref(),
                at.offset,
                sessionizer.watermark(),
            );
            batch
                .sessions
                .insert(event.session_id.clone(), (at.partition, update));
        }
        true
    }
}

fn visit_of<'a>(event: &'a EnrichedEvent, utm: &'a str) -> Visit<'a> {
    let some = |s: &'a str| (!s.is_empty()).then_some(s);
    Visit {
        event_id: &event.event_id,
        ts: event.ts.timestamp_millis(),
        property_id: i64::try_from(event.property_id).unwrap_or_default(),
        visitor_id: &event.visitor_id,
        event_type: event.event_type,
        url: &event.url,
        referrer: some(&event.referrer),
        channel: event.channel(),
        ai_source: event.ai_source(),
        utm,
        value: event.value,
    }
}
