CREATE TABLE "crm_lead_weekly_channel" (
	"tenant_id" text NOT NULL,
	"start" date NOT NULL,
	"channel_id" text NOT NULL,
	"leads" integer DEFAULT 0 NOT NULL,
	"contacted" integer DEFAULT 0 NOT NULL,
	"qualified" integer DEFAULT 0 NOT NULL,
	"converted" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "crm_lead_weekly_channel_tenant_id_start_channel_id_pk" PRIMARY KEY("tenant_id","start","channel_id")
);
--> statement-breakpoint
CREATE INDEX "crm_lead_weekly_campaign_idx" ON "crm_lead_weekly" USING btree ("tenant_id","campaign_id","start");--> statement-breakpoint
INSERT INTO "crm_lead_weekly_channel" ("tenant_id", "start", "channel_id", "leads", "contacted", "qualified", "converted")
SELECT "tenant_id", "start", "channel_id", sum("leads"), sum("contacted"), sum("qualified"), sum("converted")
FROM "crm_lead_weekly" GROUP BY 1, 2, 3;
