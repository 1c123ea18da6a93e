-- Every charge the simulated provider makes, one row per call of OrderStore.recordCharge, appended and
-- never updated. payment_charges keeps one row per idempotency key and turns a repeat away with
-- ON CONFLICT DO NOTHING, so a second charge with the same key would leave no trace there; here it
-- shows as a second row. Tests and audits count these to prove each hold was charged at most once.
CREATE TABLE payment_charge_attempts (
  id bigserial PRIMARY KEY,
  idempotency_key text NOT NULL,
  sale_id text,
  amount_cents bigint NOT NULL CHECK (amount_cents >= 0),
  attempted_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX payment_charge_attempts_sale_key_idx ON payment_charge_attempts (sale_id, idempotency_key);
