-- Reports filter customers and follow-ups by tenant and creation time (a range, never a function of the
-- column, so these indexes serve every period filter).
CREATE INDEX IF NOT EXISTS "crm_customers_tenant_created_idx" ON "crm_customers" ("tenant_id", "created_at");
--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "crm_follow_ups_tenant_created_idx" ON "crm_follow_ups" ("tenant_id", "created_at");
