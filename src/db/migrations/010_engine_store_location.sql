-- 010: where the engine's store was when its incarnation was recorded (the engine's `location`:
-- Redis host, port, database and key prefix, or `memory`). An empty store at the same location lost
-- its data and is reloaded; an empty store at another location has never seen this catalog (a
-- REDIS_URL pointing at the wrong Redis) and workers refuse it until told to adopt it. Null for an
-- incarnation recorded before this column existed: the next record fills it in.
ALTER TABLE engine_incarnation ADD COLUMN store_location text;
