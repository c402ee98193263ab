CREATE INDEX IF NOT EXISTS "sales_instalments_open_due_idx" ON "sales_instalments" USING btree ("tenant_id","due_date","id") WHERE received_cents < amount_cents;--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "sales_opps_amount_idx" ON "sales_opportunities" USING btree ("tenant_id","status","amount_cents" DESC NULLS FIRST,"id");--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "sales_opps_updated_idx" ON "sales_opportunities" USING btree ("tenant_id","status","updated_at" DESC NULLS FIRST,"id" DESC NULLS FIRST);--> statement-breakpoint
-- Deal name search (`q` on the opportunity list): a trigram index (pg_trgm is created by migrateDatabase,
-- PostgreSQL and PGlite alike); short or non-alphanumeric queries fall back to a scan, with the same results.
CREATE INDEX IF NOT EXISTS "sales_opps_name_trgm_idx" ON "sales_opportunities" USING gin ("name" gin_trgm_ops);
