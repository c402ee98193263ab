CREATE TABLE "report_customer_geo" (
	"tenant_id" text NOT NULL,
	"owner_id" text,
	"province_code" text,
	"city_code" text,
	"tier" text,
	"customers" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "report_customer_geo_key" UNIQUE NULLS NOT DISTINCT("tenant_id","owner_id","province_code","city_code","tier")
);
--> statement-breakpoint
CREATE INDEX "crm_customers_created_idx" ON "crm_customers" USING btree ("tenant_id","created_at");--> statement-breakpoint
CREATE INDEX "crm_customers_owner_created_idx" ON "crm_customers" USING btree ("tenant_id","owner_id","created_at");--> statement-breakpoint
-- The map's rollup (report_customer_geo) kept by statement triggers on crm_customers: each statement's
-- transition tables as deltas (old rows -1, new rows +1), summed per key and added in key order, so every
-- writer (app, import, merge, hand-written SQL) keeps it in its own transaction.
CREATE OR REPLACE FUNCTION report_customer_geo_add(parts text) RETURNS text LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
  RETURN 'insert into report_customer_geo as r (tenant_id, owner_id, province_code, city_code, tier, customers)
    select tenant_id, owner_id, province_code, city_code, tier, sum(n) from (' || parts || ') d
    group by 1, 2, 3, 4, 5 having sum(n) <> 0 order by 1, 2, 3, 4, 5
    on conflict (tenant_id, owner_id, province_code, city_code, tier)
    do update set customers = r.customers + excluded.customers';
END $$;
--> statement-breakpoint
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
  RETURN NULL;
END $$;
--> statement-breakpoint
-- One tenant's map rollup recomputed from its customers (the backfill; tests compare it with the kept one).
CREATE OR REPLACE FUNCTION report_customer_geo_rebuild(t text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM report_customer_geo WHERE tenant_id = t;
  EXECUTE report_customer_geo_add(format(
    'select tenant_id, owner_id, province_code, city_code, tier, 1 as n from crm_customers where tenant_id = %L', t));
END $$;
--> statement-breakpoint
CREATE TRIGGER crm_customers_geo_ins AFTER INSERT ON crm_customers REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION report_customer_geo_trg();
--> statement-breakpoint
CREATE TRIGGER crm_customers_geo_upd AFTER UPDATE ON crm_customers REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION report_customer_geo_trg();
--> statement-breakpoint
CREATE TRIGGER crm_customers_geo_del AFTER DELETE ON crm_customers REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION report_customer_geo_trg();
--> statement-breakpoint
SELECT report_customer_geo_rebuild(id) FROM tenants;
