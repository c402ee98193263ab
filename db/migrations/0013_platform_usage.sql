CREATE TABLE "platform_usage" (
	"tenant_id" text NOT NULL,
	"platform" text NOT NULL,
	"month" text NOT NULL,
	"api_calls" integer DEFAULT 0 NOT NULL,
	"pushes" integer DEFAULT 0 NOT NULL,
	"warned_level" integer DEFAULT 0 NOT NULL,
	"paused_until" timestamp with time zone,
	"pause_reason" text,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "platform_usage_tenant_id_platform_month_pk" PRIMARY KEY("tenant_id","platform","month")
);
