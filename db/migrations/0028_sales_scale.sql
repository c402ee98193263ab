CREATE INDEX "sales_instalments_open_due_idx" ON "sales_instalments" USING btree ("tenant_id","due_date","id") WHERE received_cents < amount_cents;--> statement-breakpoint
-- Deal name search (`q` on the opportunity list): a trigram index (pg_trgm is created by migrateDatabase,
-- PostgreSQL and PGlite alike); short or non-alphanumeric queries fall back to a scan, with the same results.
CREATE INDEX IF NOT EXISTS "sales_opps_name_trgm_idx" ON "sales_opportunities" USING gin ("name" gin_trgm_ops);
