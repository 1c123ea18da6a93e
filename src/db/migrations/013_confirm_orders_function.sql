-- 013: the order workers' group commit (src/db/groupConfirm.ts) as one function, so a batch of paid
-- orders costs one statement and one round trip instead of six (BEGIN, lock, stock, orders, events,
-- COMMIT), and its statements are planned once per connection.
--
-- Input: a JSON array of {hold_id, charge_id, event_type, event_payload} (event_* may be null: no
-- analytics row). Returns one row per distinct hold id that has an order (a hold id with none gets
-- no row): the outcome and the order as it is after the call.
--   confirmed    this call sold the units
--   already      an earlier call did (a retry)
--   oversell     the sale's stock is used up, now or when an earlier call refused this hold
--   not_pending  the order had already failed or expired; nothing changed
--
-- The order rows are locked first, in hold-id order, so two batches sharing holds cannot deadlock and
-- a hold confirmed by two workers at once is counted once. Then each sale (in sale-id order) takes
-- its pending orders' sum under the guard `sold + n <= total`: one update of the hot sale_stock row
-- per sale and batch. When the sum would cross the total, that sale's orders fall back to one guarded
-- update each, in hold-id order, so the guard refuses exactly the units beyond the total and no fewer;
-- those refused are rejected and written to oversell_refusals.
CREATE FUNCTION flashsale_confirm_orders(p_items jsonb) RETURNS TABLE (outcome text, o orders)
LANGUAGE plpgsql VOLATILE AS $$
#variable_conflict use_column
DECLARE
  -- Every lookup goes by hold id (hold_id = ANY(...)), so each uses the unique index on hold_id.
  v_holds text[] := ARRAY(
    SELECT DISTINCT x.hold_id FROM jsonb_to_recordset(p_items) AS x(hold_id text) ORDER BY 1);
  s record;
  one orders;
  fit text[];
BEGIN
  PERFORM 1 FROM orders WHERE hold_id = ANY (v_holds) ORDER BY hold_id FOR UPDATE;

  RETURN QUERY
    SELECT CASE ord.status WHEN 'confirmed' THEN 'already' WHEN 'rejected' THEN 'oversell'
             ELSE 'not_pending' END,
           ord
    FROM orders ord
    WHERE ord.hold_id = ANY (v_holds) AND ord.status <> 'pending';

  FOR s IN
    SELECT ord.sale_id, sum(ord.quantity)::int AS n, array_agg(ord.hold_id ORDER BY ord.hold_id) AS holds
    FROM orders ord
    WHERE ord.hold_id = ANY (v_holds) AND ord.status = 'pending'
    GROUP BY ord.sale_id
    ORDER BY ord.sale_id
  LOOP
    -- The holds of this sale that fit: all of them under one guarded update, or, when their sum would
    -- cross the total, those that fit one by one in hold-id order (the others are rejected).
    UPDATE sale_stock SET sold = sold + s.n WHERE sale_id = s.sale_id AND sold + s.n <= total;
    IF FOUND THEN
      fit := s.holds;
    ELSE
      fit := '{}';
      FOR one IN SELECT ord.* FROM orders ord WHERE ord.hold_id = ANY (s.holds) ORDER BY ord.hold_id LOOP
        UPDATE sale_stock SET sold = sold + one.quantity
          WHERE sale_id = s.sale_id AND sold + one.quantity <= total;
        IF FOUND THEN
          fit := fit || one.hold_id;
        ELSE
          INSERT INTO oversell_refusals (sale_id, hold_id, quantity)
            VALUES (one.sale_id, one.hold_id, one.quantity);
          RETURN QUERY
            WITH rejected AS (
              UPDATE orders ord SET status = 'rejected', failure_reason = 'oversell', updated_at = now()
              WHERE ord.hold_id = one.hold_id
              RETURNING ord AS done
            )
            SELECT 'oversell', r.done FROM rejected r;
        END IF;
      END LOOP;
    END IF;

    RETURN QUERY
      WITH confirmed AS (
        UPDATE orders ord SET status = 'confirmed', charge_id = i.charge_id, updated_at = now()
        FROM jsonb_to_recordset(p_items)
          AS i(hold_id text, charge_id text, event_type text, event_payload jsonb)
        WHERE ord.hold_id = ANY (fit) AND ord.hold_id = i.hold_id
        RETURNING ord AS done, i.event_type, i.event_payload
      ), written AS (
        INSERT INTO events (sale_id, type, user_id, payload)
        SELECT (c.done).sale_id, c.event_type, (c.done).user_id, c.event_payload
        FROM confirmed c WHERE c.event_type IS NOT NULL
      )
      SELECT 'confirmed', c.done FROM confirmed c;
  END LOOP;
END
$$;
