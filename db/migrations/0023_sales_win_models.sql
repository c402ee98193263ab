CREATE TABLE "sales_win_models" (
	"tenant_id" text PRIMARY KEY NOT NULL,
	"model" jsonb NOT NULL,
	"closed_deals" integer NOT NULL,
	"trained_at" timestamp with time zone NOT NULL
);
