CREATE INDEX "crm_follow_ups_author_idx" ON "crm_follow_ups" USING btree ("tenant_id","author_id","created_at");--> statement-breakpoint
CREATE INDEX "sales_opps_lead_idx" ON "sales_opportunities" USING btree ("tenant_id","lead_id") WHERE lead_id is not null;--> statement-breakpoint
CREATE INDEX "sales_opps_created_idx" ON "sales_opportunities" USING btree ("tenant_id","created_at");