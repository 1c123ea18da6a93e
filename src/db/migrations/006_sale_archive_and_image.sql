-- 006: sales can be archived (hidden from the storefront, kept here and in the console), and may
-- carry a product image shown on the storefront.

-- NULL: listed. Set once, by the archive use case; the row and its orders stay.
ALTER TABLE sales ADD COLUMN archived_at timestamptz;

-- An absolute http(s) URL, or NULL for none; checked by the API too (schemas.ts).
ALTER TABLE sales ADD COLUMN image_url text CHECK (image_url IS NULL OR image_url ~ '^https?://');
