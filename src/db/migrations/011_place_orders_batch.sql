-- 011: checkout's durable step for a batch of concurrent checkouts (src/db/durableSaleState.ts
-- placeOrders): one call and one transaction for many pending orders, each placed exactly as
-- flashsale_place_order (007) places one, so each sees the orders written before it, the batch's
-- own included. Buyers are taken in (sale, user) order: two batches lock their sale_buyers rows in
-- the same order and never wait on each other in a cycle. Input: a JSON array of objects with the
-- fields below. Returns, for each order, the row 007 returns (none when the buyer's limit refuses it).
CREATE FUNCTION flashsale_place_orders(p_orders jsonb) RETURNS SETOF orders
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  o record;
BEGIN
  FOR o IN
    SELECT * FROM jsonb_to_recordset(p_orders) AS x(
      id uuid, hold_id text, sale_id text, user_id text, quantity int, amount_cents bigint,
      currency text, payment_method text, idempotency_key text, hold_expires_at timestamptz,
      per_user_limit int)
    ORDER BY x.sale_id, x.user_id
  LOOP
    RETURN QUERY SELECT * FROM flashsale_place_order(o.id, o.hold_id, o.sale_id, o.user_id, o.quantity,
      o.amount_cents, o.currency, o.payment_method, o.idempotency_key, o.hold_expires_at,
      o.per_user_limit);
  END LOOP;
END
$$;
