-- The reconciler (src/orders/reconciler.ts) looks for pending orders older than a grace period:
-- a partial index keeps that scan to the few pending rows however many orders a sale has.
CREATE INDEX orders_pending_created_idx ON orders (created_at) WHERE status = 'pending';

-- Every action the reconciler takes, whichever worker took it: the durable count behind
-- flashsale_reconciler_actions{action} in /metrics (any API process reads it) and its alert.
CREATE TABLE reconciler_actions (
  id bigserial PRIMARY KEY,
  action text NOT NULL,
  sale_id text,
  hold_id text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX reconciler_actions_action_idx ON reconciler_actions (action);
