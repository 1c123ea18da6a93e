-- 003: what Redis may forget, PostgreSQL keeps. The operator's switches, the per-buyer guard, the
-- idempotency key of every accepted order and each pending order's hold deadline, so that a Redis
-- that lost its data can be rebuilt from here (see docs/architecture.md, Redis may lose everything).

-- Operator switches. start-now moves starts_at/prequeue_at in this row, so the schedule is the record too.
ALTER TABLE sales ADD COLUMN paused boolean NOT NULL DEFAULT false;
ALTER TABLE sales ADD COLUMN ended boolean NOT NULL DEFAULT false;
-- When the operator ended it (the first time): the sale's Redis keys expire a retention after.
ALTER TABLE sales ADD COLUMN ended_at timestamptz;

-- Checkout writes the pending order itself (before the job runs), with the buyer's idempotency key
-- and the hold's deadline. Orders written before this migration have no key.
ALTER TABLE orders ADD COLUMN idempotency_key text;
ALTER TABLE orders ADD COLUMN hold_expires_at timestamptz;
CREATE UNIQUE INDEX orders_idempotency_idx ON orders (sale_id, user_id, idempotency_key)
  WHERE idempotency_key IS NOT NULL;
CREATE INDEX orders_sale_user_idx ON orders (sale_id, user_id);

-- One row per (sale, buyer), locked by every checkout of that buyer: two checkouts of one buyer run
-- one after the other, and each counts the buyer's pending and confirmed units against the sale's
-- per-user limit in the same transaction as its order insert.
CREATE TABLE sale_buyers (
  sale_id text NOT NULL REFERENCES sales (id),
  user_id text NOT NULL,
  PRIMARY KEY (sale_id, user_id)
);

-- The engine incarnation PostgreSQL last saw (one row): a Redis answering with another one belongs
-- to another deployment, and workers refuse to act on it.
CREATE TABLE engine_incarnation (
  id boolean PRIMARY KEY DEFAULT true CHECK (id),
  incarnation text NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- Secrets every process of a deployment must share and that must outlive Redis: the admission
-- signing key when FLASHSALE_ADMISSION_KEY is not set (a key kept in Redis vanished with its data,
-- and processes started afterwards signed with another one).
CREATE TABLE shared_secrets (
  name text PRIMARY KEY,
  value text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
