-- 001: the sales catalog, the stock guard, orders, the simulated payment ledger, analytics events
-- and the oversell alarm log. Append-only: change the schema with a new numbered file, never here.

-- The catalog: the source of truth the engine is loaded from.
CREATE TABLE sales (
  id text PRIMARY KEY,
  name text NOT NULL,
  description text NOT NULL DEFAULT '',
  price_cents integer NOT NULL CHECK (price_cents >= 0),
  currency text NOT NULL DEFAULT 'EUR' CHECK (currency ~ '^[A-Z]{3}$'),
  total_stock integer NOT NULL CHECK (total_stock >= 1),
  per_user_limit integer NOT NULL CHECK (per_user_limit >= 1),
  prequeue_at timestamptz NOT NULL,
  starts_at timestamptz NOT NULL,
  ends_at timestamptz NOT NULL,
  queueing text NOT NULL DEFAULT 'fifo' CHECK (queueing IN ('fifo', 'shuffle')),
  shuffle_seed text NOT NULL,
  admission_per_second integer NOT NULL CHECK (admission_per_second >= 1),
  admission_max_active integer NOT NULL CHECK (admission_max_active >= 1),
  session_seconds integer NOT NULL CHECK (session_seconds >= 1),
  hold_seconds integer NOT NULL CHECK (hold_seconds >= 1),
  created_at timestamptz NOT NULL DEFAULT now(),
  CHECK (prequeue_at <= starts_at AND starts_at < ends_at)
);

-- The last line against oversell: confirming an order adds to `sold` under `sold + q <= total`, and
-- this CHECK refuses any write that slips past that condition. Redis may lose acknowledged writes on
-- failover; this row cannot be talked into selling more than exists.
CREATE TABLE sale_stock (
  sale_id text PRIMARY KEY REFERENCES sales (id),
  total integer NOT NULL CHECK (total >= 0),
  sold integer NOT NULL DEFAULT 0,
  CONSTRAINT sale_stock_sold_within_total CHECK (sold >= 0 AND sold <= total)
);

-- One order per hold (UNIQUE hold_id): a retried job finds the order it already wrote.
-- amount_cents is bigint: quantity times price can pass 2^31 cents.
CREATE TABLE orders (
  id uuid PRIMARY KEY,
  hold_id text NOT NULL UNIQUE,
  sale_id text NOT NULL REFERENCES sales (id),
  user_id text NOT NULL,
  quantity integer NOT NULL CHECK (quantity > 0),
  amount_cents bigint NOT NULL CHECK (amount_cents >= 0),
  currency text NOT NULL,
  payment_method text NOT NULL,
  status text NOT NULL DEFAULT 'pending'
    CHECK (status IN ('pending', 'confirmed', 'failed', 'expired', 'rejected')),
  failure_reason text,
  charge_id text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX orders_sale_status_idx ON orders (sale_id, status);
CREATE INDEX orders_user_idx ON orders (user_id);

-- The simulated provider's ledger. The primary key on the idempotency key (the hold id) makes
-- "at most one charge per hold" a property of the data, not of the code. sale_id lets the audit count
-- charges per sale even when a charge has no order row (the worker died between charge and write).
CREATE TABLE payment_charges (
  idempotency_key text PRIMARY KEY,
  sale_id text,
  amount_cents bigint NOT NULL CHECK (amount_cents >= 0),
  status text NOT NULL DEFAULT 'succeeded' CHECK (status IN ('succeeded', 'refunded')),
  created_at timestamptz NOT NULL DEFAULT now(),
  refunded_at timestamptz,
  CHECK ((status = 'refunded') = (refunded_at IS NOT NULL))
);
CREATE INDEX payment_charges_sale_idx ON payment_charges (sale_id);

-- Analytics. No foreign key: events may describe requests for sales that do not exist.
CREATE TABLE events (
  id bigserial PRIMARY KEY,
  sale_id text NOT NULL,
  type text NOT NULL,
  user_id text,
  payload jsonb NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX events_sale_type_idx ON events (sale_id, type);

-- Alarm log: every row is a confirmation PostgreSQL refused because Redis let too many units through.
CREATE TABLE oversell_refusals (
  id bigserial PRIMARY KEY,
  sale_id text NOT NULL REFERENCES sales (id),
  hold_id text NOT NULL,
  quantity integer NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX oversell_refusals_sale_idx ON oversell_refusals (sale_id);
