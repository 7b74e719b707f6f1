-- What issue 20 adds to each hit: how its verification was reached, the network it came from,
-- the robots.txt verdict and the kind of resource a crawler asked for, and the automation the
-- tag saw. Appended columns with defaults: rows written before read as "not known".
-- Values: verification_method from VerificationMethod, robots from RobotsVerdict, resource from
-- CrawlResource (schemas/src/vocab/).

ALTER TABLE crawler_hits ADD COLUMN IF NOT EXISTS verification_method LowCardinality(String) DEFAULT '';
ALTER TABLE crawler_hits ADD COLUMN IF NOT EXISTS robots LowCardinality(String) DEFAULT 'unknown';
ALTER TABLE crawler_hits ADD COLUMN IF NOT EXISTS resource LowCardinality(String) DEFAULT 'page';
ALTER TABLE crawler_hits ADD COLUMN IF NOT EXISTS asn UInt32 DEFAULT 0;
ALTER TABLE crawler_hits ADD COLUMN IF NOT EXISTS as_organization LowCardinality(String) DEFAULT '';
ALTER TABLE crawler_hits ADD COLUMN IF NOT EXISTS datacenter Bool DEFAULT false;

ALTER TABLE events ADD COLUMN IF NOT EXISTS verification_method LowCardinality(String) DEFAULT '';
ALTER TABLE events ADD COLUMN IF NOT EXISTS asn UInt32 DEFAULT 0;
ALTER TABLE events ADD COLUMN IF NOT EXISTS as_organization LowCardinality(String) DEFAULT '';
ALTER TABLE events ADD COLUMN IF NOT EXISTS datacenter Bool DEFAULT false;
ALTER TABLE events ADD COLUMN IF NOT EXISTS automation UInt8 DEFAULT 0;
