-- 007: checkout's durable step (src/db/durableSaleState.ts placeOrder) as one function, so it costs
-- one round trip instead of four (BEGIN, lock, insert, COMMIT) on the hottest write path.
-- It must stay two statements: the first locks the (sale, buyer) row; the second starts after the
-- lock is granted and, in a VOLATILE PL/pgSQL function under READ COMMITTED, takes a fresh snapshot,
-- so it sees every order of that buyer committed before. Returns the order placed (its id is p_id),
-- or the earlier order with the same idempotency key or hold, or nothing when the buyer's pending and
-- confirmed units plus this order would pass p_limit.
CREATE FUNCTION flashsale_place_order(
  p_id uuid,
  p_hold_id text,
  p_sale_id text,
  p_user_id text,
  p_quantity int,
  p_amount_cents bigint,
  p_currency text,
  p_payment_method text,
  p_idempotency_key text,
  p_hold_expires_at timestamptz,
  p_limit int
) RETURNS SETOF orders
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
  INSERT INTO sale_buyers (sale_id, user_id) VALUES (p_sale_id, p_user_id)
  ON CONFLICT (sale_id, user_id) DO UPDATE SET user_id = EXCLUDED.user_id;

  RETURN QUERY
  WITH earlier AS (
    SELECT * FROM orders o
    WHERE (o.sale_id = p_sale_id AND o.user_id = p_user_id AND o.idempotency_key = p_idempotency_key)
       OR o.hold_id = p_hold_id
    ORDER BY o.created_at LIMIT 1
  ), owned AS (
    SELECT coalesce(sum(o.quantity), 0) AS n FROM orders o
    WHERE o.sale_id = p_sale_id AND o.user_id = p_user_id AND o.status IN ('pending', 'confirmed')
  ), inserted AS (
    INSERT INTO orders (id, hold_id, sale_id, user_id, quantity, amount_cents, currency,
      payment_method, idempotency_key, hold_expires_at)
    SELECT p_id, p_hold_id, p_sale_id, p_user_id, p_quantity, p_amount_cents, p_currency,
      p_payment_method, p_idempotency_key, p_hold_expires_at
    WHERE NOT EXISTS (SELECT 1 FROM earlier) AND (SELECT n FROM owned) + p_quantity <= p_limit
    RETURNING *
  )
  SELECT * FROM inserted UNION ALL SELECT * FROM earlier;
END
$$;
