CREATE TABLE "sales_forecast_daily" (
	"tenant_id" text NOT NULL,
	"owner_id" text NOT NULL,
	"close_date" date NOT NULL,
	"stage_id" text NOT NULL,
	"status" text NOT NULL,
	"deals" integer DEFAULT 0 NOT NULL,
	"amount_cents" bigint DEFAULT 0 NOT NULL,
	"weighted_cents" bigint DEFAULT 0 NOT NULL,
	CONSTRAINT "sales_forecast_daily_tenant_id_owner_id_close_date_stage_id_status_pk" PRIMARY KEY("tenant_id","owner_id","close_date","stage_id","status")
);
--> statement-breakpoint
CREATE INDEX "sales_forecast_daily_close_idx" ON "sales_forecast_daily" USING btree ("tenant_id","close_date");--> statement-breakpoint
CREATE INDEX "sales_opps_team_idx" ON "sales_opportunities" USING gin ("team_ids" jsonb_path_ops);