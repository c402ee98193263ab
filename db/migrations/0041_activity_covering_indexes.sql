DROP INDEX "crm_follow_ups_author_idx";--> statement-breakpoint
DROP INDEX "crm_visits_user_check_in_idx";--> statement-breakpoint
CREATE INDEX "crm_follow_ups_author_idx" ON "crm_follow_ups" USING btree ("tenant_id","author_id","created_at","customer_id");--> statement-breakpoint
CREATE INDEX "crm_visits_user_check_in_idx" ON "crm_visits" USING btree ("tenant_id","user_id","check_in_at","customer_id");