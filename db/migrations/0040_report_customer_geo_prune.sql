-- The map's rollup drops the keys whose customers all left (a transfer, a region or tier change, a deletion),
-- in the same statement trigger that subtracts them, so report_customer_geo holds no rows of 0. Only keys an
-- old row held can have dropped to 0; the key's columns may be null (nulls not distinct, as its unique key).
CREATE OR REPLACE FUNCTION report_customer_geo_trg() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE parts text[] := '{}';
BEGIN
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    parts := parts || 'select tenant_id, owner_id, province_code, city_code, tier, 1 as n from new_rows'::text;
  END IF;
  IF TG_OP IN ('DELETE', 'UPDATE') THEN
    parts := parts || 'select tenant_id, owner_id, province_code, city_code, tier, -1 as n from old_rows'::text;
  END IF;
  EXECUTE report_customer_geo_add(array_to_string(parts, ' union all '));
  IF TG_OP IN ('DELETE', 'UPDATE') THEN
    DELETE FROM report_customer_geo r
    USING (SELECT DISTINCT tenant_id, owner_id, province_code, city_code, tier FROM old_rows) k
    WHERE r.tenant_id = k.tenant_id AND r.owner_id IS NOT DISTINCT FROM k.owner_id
      AND r.province_code IS NOT DISTINCT FROM k.province_code AND r.city_code IS NOT DISTINCT FROM k.city_code
      AND r.tier IS NOT DISTINCT FROM k.tier AND r.customers = 0;
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
DELETE FROM report_customer_geo WHERE customers = 0;
