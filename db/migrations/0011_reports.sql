CREATE TYPE "public"."report_target_kind" AS ENUM('contract_amount', 'payment_amount', 'new_customers', 'new_opportunities', 'visits', 'follow_ups');--> statement-breakpoint
CREATE TABLE "sales_targets" (
	"id" text PRIMARY KEY NOT NULL,
	"tenant_id" text NOT NULL,
	"subject_kind" text NOT NULL,
	"subject_id" text NOT NULL,
	"kind" "report_target_kind" NOT NULL,
	"month" text NOT NULL,
	"value" bigint NOT NULL,
	"set_by_id" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX "sales_targets_subject_uq" ON "sales_targets" USING btree ("tenant_id","subject_kind","subject_id","kind","month");--> statement-breakpoint
CREATE INDEX "sales_targets_month_idx" ON "sales_targets" USING btree ("tenant_id","month");