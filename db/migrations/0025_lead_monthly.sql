CREATE TABLE "crm_lead_monthly" (
	"tenant_id" text NOT NULL,
	"month" date NOT NULL,
	"channel_id" text NOT NULL,
	"campaign_id" text DEFAULT '' NOT NULL,
	"leads" integer DEFAULT 0 NOT NULL,
	"contacted" integer DEFAULT 0 NOT NULL,
	"qualified" integer DEFAULT 0 NOT NULL,
	"converted" integer DEFAULT 0 NOT NULL,
	"invalid" integer DEFAULT 0 NOT NULL,
	"sla_breached" integer DEFAULT 0 NOT NULL,
	"spam" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "crm_lead_monthly_tenant_id_month_channel_id_campaign_id_pk" PRIMARY KEY("tenant_id","month","channel_id","campaign_id")
);
--> statement-breakpoint
INSERT INTO "crm_lead_monthly" ("tenant_id", "month", "channel_id", "campaign_id", "leads", "contacted", "qualified", "converted", "invalid", "sla_breached", "spam")
SELECT "tenant_id", date_trunc('month', "day")::date, "channel_id", "campaign_id", sum("leads"), sum("contacted"), sum("qualified"), sum("converted"), sum("invalid"), sum("sla_breached"), sum("spam")
FROM "crm_lead_daily"
GROUP BY 1, 2, 3, 4;
