//! Metric names, in one place so they can be found by grep, and the middleware that counts and
//! times every request by its route: the route table's pattern, never the raw path, so ids in
//! paths do not multiply the series.

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;

pub const REQUESTS: &str = "optiview_api_requests_total";
pub const REQUEST_SECONDS: &str = "optiview_api_request_duration_seconds";

/// Requests no route matched share one label.
const UNMATCHED: &str = "unmatched";

pub async fn record(
    request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let response = next.call(request).await?;
    let route = response
        .request()
        .match_pattern()
        .unwrap_or_else(|| UNMATCHED.to_owned());
    let status = response.status().as_u16().to_string();
    metrics::counter!(REQUESTS, "route" => route.clone(), "status" => status).increment(1);
    metrics::histogram!(REQUEST_SECONDS, "route" => route).record(started.elapsed().as_secs_f64());
    Ok(response)
}
