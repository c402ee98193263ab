CREATE TABLE "crm_lead_rollup_zone" (
	"tenant_id" text PRIMARY KEY NOT NULL,
	"zone" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "crm_lead_spam_daily" (
	"tenant_id" text NOT NULL,
	"day" date NOT NULL,
	"channel_id" text NOT NULL,
	"campaign_id" text DEFAULT '' NOT NULL,
	"spam" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "crm_lead_spam_daily_tenant_id_day_channel_id_campaign_id_pk" PRIMARY KEY("tenant_id","day","channel_id","campaign_id")
);
--> statement-breakpoint
CREATE TABLE "crm_lead_weekly" (
	"tenant_id" text NOT NULL,
	"start" date NOT NULL,
	"channel_id" text NOT NULL,
	"campaign_id" text DEFAULT '' NOT NULL,
	"leads" integer DEFAULT 0 NOT NULL,
	"contacted" integer DEFAULT 0 NOT NULL,
	"qualified" integer DEFAULT 0 NOT NULL,
	"converted" integer DEFAULT 0 NOT NULL,
	"invalid" integer DEFAULT 0 NOT NULL,
	"sla_breached" integer DEFAULT 0 NOT NULL,
	"contact_b_0" integer DEFAULT 0 NOT NULL,
	"contact_b_1" integer DEFAULT 0 NOT NULL,
	"contact_b_2" integer DEFAULT 0 NOT NULL,
	"contact_b_3" integer DEFAULT 0 NOT NULL,
	"contact_b_4" integer DEFAULT 0 NOT NULL,
	"contact_b_5" integer DEFAULT 0 NOT NULL,
	"contact_b_6" integer DEFAULT 0 NOT NULL,
	"contact_b_7" integer DEFAULT 0 NOT NULL,
	"contact_b_8" integer DEFAULT 0 NOT NULL,
	"contact_b_9" integer DEFAULT 0 NOT NULL,
	"contact_b_10" integer DEFAULT 0 NOT NULL,
	"contact_b_11" integer DEFAULT 0 NOT NULL,
	"convert_b_0" integer DEFAULT 0 NOT NULL,
	"convert_b_1" integer DEFAULT 0 NOT NULL,
	"convert_b_2" integer DEFAULT 0 NOT NULL,
	"convert_b_3" integer DEFAULT 0 NOT NULL,
	"convert_b_4" integer DEFAULT 0 NOT NULL,
	"convert_b_5" integer DEFAULT 0 NOT NULL,
	"convert_b_6" integer DEFAULT 0 NOT NULL,
	"convert_b_7" integer DEFAULT 0 NOT NULL,
	"convert_b_8" integer DEFAULT 0 NOT NULL,
	"convert_b_9" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "crm_lead_weekly_tenant_id_start_channel_id_campaign_id_pk" PRIMARY KEY("tenant_id","start","channel_id","campaign_id")
);
--> statement-breakpoint
DROP INDEX "crm_leads_owner_created_idx";--> statement-breakpoint
DROP INDEX "crm_leads_created_idx";--> statement-breakpoint
CREATE INDEX "crm_leads_owner_created_idx" ON "crm_leads" USING btree ("tenant_id","owner_id","created_at","channel_id","campaign_id","status","sla_state","first_contacted_at","converted_at","merged_into_id","id");--> statement-breakpoint
CREATE INDEX "crm_leads_created_idx" ON "crm_leads" USING btree ("tenant_id","created_at","channel_id","campaign_id","status","sla_state","first_contacted_at","converted_at","merged_into_id");--> statement-breakpoint
ALTER TABLE "crm_lead_monthly" DROP COLUMN "spam";

--> statement-breakpoint
-- Spam moves from the daily rollup (China days) to its own table.
INSERT INTO "crm_lead_spam_daily" ("tenant_id", "day", "channel_id", "campaign_id", "spam")
SELECT "tenant_id", "day", "channel_id", "campaign_id", sum("spam") FROM "crm_lead_daily" WHERE "spam" > 0 GROUP BY 1, 2, 3, 4;
--> statement-breakpoint
-- Every tenant with leads has its rollups cut in its own zone (China time when unset or unknown to the server).
INSERT INTO "crm_lead_rollup_zone" ("tenant_id", "zone")
SELECT t."id", CASE WHEN t."settings" ->> 'timeZone' IN (SELECT "name" FROM pg_timezone_names) THEN t."settings" ->> 'timeZone' ELSE 'Asia/Shanghai' END
FROM "tenants" t WHERE EXISTS (SELECT 1 FROM "crm_leads" l WHERE l."tenant_id" = t."id");
--> statement-breakpoint
DELETE FROM "crm_lead_monthly";
--> statement-breakpoint
INSERT INTO "crm_lead_weekly" ("tenant_id", "start", "channel_id", "campaign_id", "leads", "contacted", "qualified", "converted", "invalid", "sla_breached", "contact_b_0", "contact_b_1", "contact_b_2", "contact_b_3", "contact_b_4", "contact_b_5", "contact_b_6", "contact_b_7", "contact_b_8", "contact_b_9", "contact_b_10", "contact_b_11", "convert_b_0", "convert_b_1", "convert_b_2", "convert_b_3", "convert_b_4", "convert_b_5", "convert_b_6", "convert_b_7", "convert_b_8", "convert_b_9")
SELECT l."tenant_id", greatest(date_trunc('week', l."created_at" AT TIME ZONE z."zone"), date_trunc('month', l."created_at" AT TIME ZONE z."zone"))::date,
  l."channel_id", coalesce(l."campaign_id", ''),
  count(*),
  count(*) filter (where l.first_contacted_at is not null or l.status in ('contacted', 'qualified', 'converted')),
  count(*) filter (where l.status in ('qualified', 'converted')),
  count(*) filter (where l.status = 'converted'),
  count(*) filter (where l.status = 'invalid'),
  count(*) filter (where l.sla_state = 'breached'),
  count(*) filter (where width_bucket(extract(epoch from l.first_contacted_at - l.created_at) / 60, array[5,15,30,60,120,240,480,1440,2880,4320,10080]::float8[]) = 0),
  count(*) filter (where width_bucket(extract(epoch from l.first_contacted_at - l.created_at) / 60, array[5,15,30,60,120,240,480,1440,2880,4320,10080]::float8[]) = 1),
  count(*) filter (where width_bucket(extract(epoch from l.first_contacted_at - l.created_at) / 60, array[5,15,30,60,120,240,480,1440,2880,4320,10080]::float8[]) = 2),
  count(*) filter (where width_bucket(extract(epoch from l.first_contacted_at - l.created_at) / 60, array[5,15,30,60,120,240,480,1440,2880,4320,10080]::float8[]) = 3),
  count(*) filter (where width_bucket(extract(epoch from l.first_contacted_at - l.created_at) / 60, array[5,15,30,60,120,240,480,1440,2880,4320,10080]::float8[]) = 4),
  count(*) filter (where width_bucket(extract(epoch from l.first_contacted_at - l.created_at) / 60, array[5,15,30,60,120,240,480,1440,2880,4320,10080]::float8[]) = 5),
  count(*) filter (where width_bucket(extract(epoch from l.first_contacted_at - l.created_at) / 60, array[5,15,30,60,120,240,480,1440,2880,4320,10080]::float8[]) = 6),
  count(*) filter (where width_bucket(extract(epoch from l.first_contacted_at - l.created_at) / 60, array[5,15,30,60,120,240,480,1440,2880,4320,10080]::float8[]) = 7),
  count(*) filter (where width_bucket(extract(epoch from l.first_contacted_at - l.created_at) / 60, array[5,15,30,60,120,240,480,1440,2880,4320,10080]::float8[]) = 8),
  count(*) filter (where width_bucket(extract(epoch from l.first_contacted_at - l.created_at) / 60, array[5,15,30,60,120,240,480,1440,2880,4320,10080]::float8[]) = 9),
  count(*) filter (where width_bucket(extract(epoch from l.first_contacted_at - l.created_at) / 60, array[5,15,30,60,120,240,480,1440,2880,4320,10080]::float8[]) = 10),
  count(*) filter (where width_bucket(extract(epoch from l.first_contacted_at - l.created_at) / 60, array[5,15,30,60,120,240,480,1440,2880,4320,10080]::float8[]) = 11),
  count(*) filter (where width_bucket(extract(epoch from l.converted_at - l.created_at) / 86400, array[1,2,3,5,7,14,30,60,90]::float8[]) = 0),
  count(*) filter (where width_bucket(extract(epoch from l.converted_at - l.created_at) / 86400, array[1,2,3,5,7,14,30,60,90]::float8[]) = 1),
  count(*) filter (where width_bucket(extract(epoch from l.converted_at - l.created_at) / 86400, array[1,2,3,5,7,14,30,60,90]::float8[]) = 2),
  count(*) filter (where width_bucket(extract(epoch from l.converted_at - l.created_at) / 86400, array[1,2,3,5,7,14,30,60,90]::float8[]) = 3),
  count(*) filter (where width_bucket(extract(epoch from l.converted_at - l.created_at) / 86400, array[1,2,3,5,7,14,30,60,90]::float8[]) = 4),
  count(*) filter (where width_bucket(extract(epoch from l.converted_at - l.created_at) / 86400, array[1,2,3,5,7,14,30,60,90]::float8[]) = 5),
  count(*) filter (where width_bucket(extract(epoch from l.converted_at - l.created_at) / 86400, array[1,2,3,5,7,14,30,60,90]::float8[]) = 6),
  count(*) filter (where width_bucket(extract(epoch from l.converted_at - l.created_at) / 86400, array[1,2,3,5,7,14,30,60,90]::float8[]) = 7),
  count(*) filter (where width_bucket(extract(epoch from l.converted_at - l.created_at) / 86400, array[1,2,3,5,7,14,30,60,90]::float8[]) = 8),
  count(*) filter (where width_bucket(extract(epoch from l.converted_at - l.created_at) / 86400, array[1,2,3,5,7,14,30,60,90]::float8[]) = 9)
FROM "crm_leads" l JOIN "crm_lead_rollup_zone" z ON z."tenant_id" = l."tenant_id"
WHERE l."merged_into_id" IS NULL
GROUP BY 1, 2, 3, 4;
--> statement-breakpoint
INSERT INTO "crm_lead_monthly" ("tenant_id", "month", "channel_id", "campaign_id", "leads", "contacted", "qualified", "converted", "invalid", "sla_breached", "contact_b_0", "contact_b_1", "contact_b_2", "contact_b_3", "contact_b_4", "contact_b_5", "contact_b_6", "contact_b_7", "contact_b_8", "contact_b_9", "contact_b_10", "contact_b_11", "convert_b_0", "convert_b_1", "convert_b_2", "convert_b_3", "convert_b_4", "convert_b_5", "convert_b_6", "convert_b_7", "convert_b_8", "convert_b_9")
SELECT "tenant_id", date_trunc('month', "start")::date, "channel_id", "campaign_id", sum("leads"), sum("contacted"), sum("qualified"), sum("converted"), sum("invalid"), sum("sla_breached"), sum("contact_b_0"), sum("contact_b_1"), sum("contact_b_2"), sum("contact_b_3"), sum("contact_b_4"), sum("contact_b_5"), sum("contact_b_6"), sum("contact_b_7"), sum("contact_b_8"), sum("contact_b_9"), sum("contact_b_10"), sum("contact_b_11"), sum("convert_b_0"), sum("convert_b_1"), sum("convert_b_2"), sum("convert_b_3"), sum("convert_b_4"), sum("convert_b_5"), sum("convert_b_6"), sum("convert_b_7"), sum("convert_b_8"), sum("convert_b_9")
FROM "crm_lead_weekly" GROUP BY 1, 2, 3, 4;

--> statement-breakpoint
DROP TABLE "crm_lead_daily" CASCADE;
--> statement-breakpoint
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
