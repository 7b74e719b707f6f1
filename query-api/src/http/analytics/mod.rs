//! Dashboards over what stream-processors wrote to ClickHouse. Every query is parameterized and
//! scoped to a property or project the principal may read.

pub mod install;
