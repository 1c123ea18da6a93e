-- 008: a sale's history, so the console can draw its charts from the moment the waiting room opened
-- rather than from the moment an operator started watching. Workers sample each open sale's engine
-- counters and order counts every FLASHSALE_HISTORY_INTERVAL_MS (src/sales/history.ts).

-- One row per sale and sample. `at` is the sample's bucket (the sampling instant rounded down to the
-- interval), so several workers sampling the same sale in the same interval write one row: the
-- others' inserts hit the primary key and do nothing.
CREATE TABLE sale_history (
  sale_id text NOT NULL REFERENCES sales (id) ON DELETE CASCADE,
  at timestamptz NOT NULL,
  total integer NOT NULL,
  available integer NOT NULL,
  held integer NOT NULL,
  sold integer NOT NULL,
  waiting integer NOT NULL,
  admitted integer NOT NULL,
  active integer NOT NULL,
  pending integer NOT NULL,
  confirmed integer NOT NULL,
  -- Orders that failed, including those PostgreSQL refused as an oversell (as the stats route counts).
  failed integer NOT NULL,
  expired integer NOT NULL,
  PRIMARY KEY (sale_id, at)
);

-- Retention deletes by age across sales (FLASHSALE_HISTORY_RETENTION_DAYS).
CREATE INDEX sale_history_at_idx ON sale_history (at);
