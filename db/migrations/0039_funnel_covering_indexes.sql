DROP INDEX "sales_opps_owner_created_idx";--> statement-breakpoint
DROP INDEX "sales_stage_history_opp_idx";--> statement-breakpoint
CREATE INDEX "sales_opps_owner_created_idx" ON "sales_opportunities" USING btree ("tenant_id","owner_id","created_at","stage_set_id","status","top_open_order","amount_cents","id");--> statement-breakpoint
CREATE INDEX "sales_stage_history_opp_idx" ON "sales_stage_history" USING btree ("tenant_id","opportunity_id","entered_at","stage_id","left_at");