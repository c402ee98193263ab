CREATE TABLE "crm_lead_owner_monthly" (
	"tenant_id" text NOT NULL,
	"owner_id" text NOT NULL,
	"month" date NOT NULL,
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
	CONSTRAINT "crm_lead_owner_monthly_pk" PRIMARY KEY("tenant_id","owner_id","month","channel_id","campaign_id")
);
--> statement-breakpoint
CREATE TABLE "crm_lead_owner_weekly" (
	"tenant_id" text NOT NULL,
	"owner_id" text NOT NULL,
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
	CONSTRAINT "crm_lead_owner_weekly_pk" PRIMARY KEY("tenant_id","owner_id","start","channel_id","campaign_id")
);
--> statement-breakpoint
CREATE TABLE "crm_lead_owner_weekly_channel" (
	"tenant_id" text NOT NULL,
	"owner_id" text NOT NULL,
	"start" date NOT NULL,
	"channel_id" text NOT NULL,
	"leads" integer DEFAULT 0 NOT NULL,
	"contacted" integer DEFAULT 0 NOT NULL,
	"qualified" integer DEFAULT 0 NOT NULL,
	"converted" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "crm_lead_owner_weekly_channel_pk" PRIMARY KEY("tenant_id","owner_id","start","channel_id")
);

--> statement-breakpoint
-- The owner rollups of the leads already there, cut in the zone of everyone's rollups ('' = the pool).
INSERT INTO "crm_lead_owner_weekly" ("tenant_id", "owner_id", "start", "channel_id", "campaign_id", "leads", "contacted", "qualified", "converted", "invalid", "sla_breached", "contact_b_0", "contact_b_1", "contact_b_2", "contact_b_3", "contact_b_4", "contact_b_5", "contact_b_6", "contact_b_7", "contact_b_8", "contact_b_9", "contact_b_10", "contact_b_11", "convert_b_0", "convert_b_1", "convert_b_2", "convert_b_3", "convert_b_4", "convert_b_5", "convert_b_6", "convert_b_7", "convert_b_8", "convert_b_9")
SELECT l."tenant_id", coalesce(l."owner_id", ''), greatest(date_trunc('week', (l."created_at" AT TIME ZONE coalesce(z."zone", 'Asia/Shanghai'))), date_trunc('month', (l."created_at" AT TIME ZONE coalesce(z."zone", 'Asia/Shanghai'))))::date,
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
FROM "crm_leads" l LEFT JOIN "crm_lead_rollup_zone" z ON z."tenant_id" = l."tenant_id"
WHERE l."merged_into_id" IS NULL
GROUP BY 1, 2, 3, 4, 5;
--> statement-breakpoint
INSERT INTO "crm_lead_owner_monthly" ("tenant_id", "owner_id", "month", "channel_id", "campaign_id", "leads", "contacted", "qualified", "converted", "invalid", "sla_breached", "contact_b_0", "contact_b_1", "contact_b_2", "contact_b_3", "contact_b_4", "contact_b_5", "contact_b_6", "contact_b_7", "contact_b_8", "contact_b_9", "contact_b_10", "contact_b_11", "convert_b_0", "convert_b_1", "convert_b_2", "convert_b_3", "convert_b_4", "convert_b_5", "convert_b_6", "convert_b_7", "convert_b_8", "convert_b_9")
SELECT "tenant_id", "owner_id", date_trunc('month', "start")::date, "channel_id", "campaign_id", sum("leads"), sum("contacted"), sum("qualified"), sum("converted"), sum("invalid"), sum("sla_breached"), sum("contact_b_0"), sum("contact_b_1"), sum("contact_b_2"), sum("contact_b_3"), sum("contact_b_4"), sum("contact_b_5"), sum("contact_b_6"), sum("contact_b_7"), sum("contact_b_8"), sum("contact_b_9"), sum("contact_b_10"), sum("contact_b_11"), sum("convert_b_0"), sum("convert_b_1"), sum("convert_b_2"), sum("convert_b_3"), sum("convert_b_4"), sum("convert_b_5"), sum("convert_b_6"), sum("convert_b_7"), sum("convert_b_8"), sum("convert_b_9")
FROM "crm_lead_owner_weekly" GROUP BY 1, 2, 3, 4, 5;
--> statement-breakpoint
INSERT INTO "crm_lead_owner_weekly_channel" ("tenant_id", "owner_id", "start", "channel_id", "leads", "contacted", "qualified", "converted")
SELECT "tenant_id", "owner_id", "start", "channel_id", sum("leads"), sum("contacted"), sum("qualified"), sum("converted")
FROM "crm_lead_owner_weekly" GROUP BY 1, 2, 3, 4;
