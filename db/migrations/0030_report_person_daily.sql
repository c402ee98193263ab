CREATE TABLE "report_person_daily" (
	"tenant_id" text NOT NULL,
	"user_id" text NOT NULL,
	"day" date NOT NULL,
	"customers" integer DEFAULT 0 NOT NULL,
	"opportunities" integer DEFAULT 0 NOT NULL,
	"visits" integer DEFAULT 0 NOT NULL,
	"visits_flagged" integer DEFAULT 0 NOT NULL,
	"visits_timed" integer DEFAULT 0 NOT NULL,
	"visit_seconds" numeric DEFAULT '0' NOT NULL,
	"follow_ups" integer DEFAULT 0 NOT NULL,
	"contract_cents" bigint DEFAULT 0 NOT NULL,
	"payment_cents" bigint DEFAULT 0 NOT NULL,
	CONSTRAINT "report_person_daily_tenant_id_user_id_day_pk" PRIMARY KEY("tenant_id","user_id","day")
);
--> statement-breakpoint
CREATE INDEX "report_person_daily_day_idx" ON "report_person_daily" USING btree ("tenant_id","day");