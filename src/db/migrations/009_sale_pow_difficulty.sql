-- 009: each sale says how much proof of work joining its waiting room costs: the leading zero bits
-- of SHA-256 a buyer's solution needs (src/domain/pow.ts). 0: no proof. Sales published before keep
-- the default; the API validates the same range (SALE_LIMITS.powDifficulty).
ALTER TABLE sales ADD COLUMN pow_difficulty integer NOT NULL DEFAULT 18
  CHECK (pow_difficulty BETWEEN 0 AND 32);
