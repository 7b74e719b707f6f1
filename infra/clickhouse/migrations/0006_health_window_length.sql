-- The health processor's window length is configurable; each window row says how many minutes it
-- covers so rates (events per minute on /admin/health) are derived from the row, not assumed.
-- Rows written before this column existed were 5-minute windows, the only length then in use.

ALTER TABLE health_windows ADD COLUMN IF NOT EXISTS window_minutes UInt16 DEFAULT 5 AFTER p95_ms;
