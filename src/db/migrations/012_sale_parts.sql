-- 012: a sale may be split into parts, each on its own Redis Cluster shard (src/domain/parts.ts).
-- The number is fixed when the sale is published: hold ids and tickets name their part, so a sale
-- loaded again after a Redis loss must be split the same way. Sales published before are one part.
ALTER TABLE sales ADD COLUMN parts integer NOT NULL DEFAULT 1 CHECK (parts BETWEEN 1 AND 64);
