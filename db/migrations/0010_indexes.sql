DROP INDEX "inbound_events_received_idx";--> statement-breakpoint
CREATE INDEX "crm_customers_tags_idx" ON "crm_customers" USING gin ("tags");--> statement-breakpoint
CREATE INDEX "crm_visits_check_in_idx" ON "crm_visits" USING btree ("tenant_id","check_in_at");--> statement-breakpoint
CREATE INDEX "inbound_events_received_idx" ON "inbound_events" USING brin ("received_at");