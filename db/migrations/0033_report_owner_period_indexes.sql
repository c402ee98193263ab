CREATE INDEX "crm_visits_user_check_in_idx" ON "crm_visits" USING btree ("tenant_id","user_id","check_in_at");--> statement-breakpoint
CREATE INDEX "crm_leads_owner_created_idx" ON "crm_leads" USING btree ("tenant_id","owner_id","created_at");--> statement-breakpoint
CREATE INDEX "sales_opps_owner_created_idx" ON "sales_opportunities" USING btree ("tenant_id","owner_id","created_at");