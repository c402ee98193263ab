CREATE TYPE "public"."report_digest_kind" AS ENUM('morning', 'weekly');--> statement-breakpoint
CREATE TABLE "report_digest_prefs" (
	"tenant_id" text NOT NULL,
	"user_id" text NOT NULL,
	"kind" "report_digest_kind" NOT NULL,
	"enabled" boolean DEFAULT true NOT NULL,
	"send_at" text,
	"last_period" text,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "report_digest_prefs_tenant_id_user_id_kind_pk" PRIMARY KEY("tenant_id","user_id","kind")
);
