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
	CONSTRAINT "crm_lead_monthly_tenant_id_month_channel_id_campaign_id_pk" PRIMARY KEY("tenant_id","month","channel_id","campaign_id")
);--> statement-breakpoint
INSERT INTO "crm_lead_monthly" ("tenant_id", "month", "channel_id", "campaign_id", "leads", "contacted", "qualified", "converted", "invalid", "sla_breached", "spam")
SELECT "tenant_id", date_trunc('month', "day")::date, "channel_id", "campaign_id", sum("leads"), sum("contacted"), sum("qualified"), sum("converted"), sum("invalid"), sum("sla_breached"), sum("spam")
FROM "crm_lead_daily"
GROUP BY 1, 2, 3, 4;
--> statement-breakpoint
-- The buckets of the leads already there, by the same definitions as rollup.ts (time from creation, minutes
-- to first contact and days to conversion; each bucket's lower edge inclusive).
UPDATE "crm_lead_monthly" AS m SET "contact_b_0" = s.c0, "contact_b_1" = s.c1, "contact_b_2" = s.c2, "contact_b_3" = s.c3, "contact_b_4" = s.c4, "contact_b_5" = s.c5, "contact_b_6" = s.c6, "contact_b_7" = s.c7, "contact_b_8" = s.c8, "contact_b_9" = s.c9, "contact_b_10" = s.c10, "contact_b_11" = s.c11, "convert_b_0" = s.v0, "convert_b_1" = s.v1, "convert_b_2" = s.v2, "convert_b_3" = s.v3, "convert_b_4" = s.v4, "convert_b_5" = s.v5, "convert_b_6" = s.v6, "convert_b_7" = s.v7, "convert_b_8" = s.v8, "convert_b_9" = s.v9
FROM (
  SELECT tenant_id, date_trunc('month', (created_at AT TIME ZONE 'Asia/Shanghai'))::date AS month, channel_id,
    coalesce(campaign_id, '') AS campaign_id,
    count(*) filter (where first_contacted_at is not null and extract(epoch from first_contacted_at - created_at) / 60 < 5) as c0,
    count(*) filter (where first_contacted_at is not null and extract(epoch from first_contacted_at - created_at) / 60 >= 5 and extract(epoch from first_contacted_at - created_at) / 60 < 15) as c1,
    count(*) filter (where first_contacted_at is not null and extract(epoch from first_contacted_at - created_at) / 60 >= 15 and extract(epoch from first_contacted_at - created_at) / 60 < 30) as c2,
    count(*) filter (where first_contacted_at is not null and extract(epoch from first_contacted_at - created_at) / 60 >= 30 and extract(epoch from first_contacted_at - created_at) / 60 < 60) as c3,
    count(*) filter (where first_contacted_at is not null and extract(epoch from first_contacted_at - created_at) / 60 >= 60 and extract(epoch from first_contacted_at - created_at) / 60 < 120) as c4,
    count(*) filter (where first_contacted_at is not null and extract(epoch from first_contacted_at - created_at) / 60 >= 120 and extract(epoch from first_contacted_at - created_at) / 60 < 240) as c5,
    count(*) filter (where first_contacted_at is not null and extract(epoch from first_contacted_at - created_at) / 60 >= 240 and extract(epoch from first_contacted_at - created_at) / 60 < 480) as c6,
    count(*) filter (where first_contacted_at is not null and extract(epoch from first_contacted_at - created_at) / 60 >= 480 and extract(epoch from first_contacted_at - created_at) / 60 < 1440) as c7,
    count(*) filter (where first_contacted_at is not null and extract(epoch from first_contacted_at - created_at) / 60 >= 1440 and extract(epoch from first_contacted_at - created_at) / 60 < 2880) as c8,
    count(*) filter (where first_contacted_at is not null and extract(epoch from first_contacted_at - created_at) / 60 >= 2880 and extract(epoch from first_contacted_at - created_at) / 60 < 4320) as c9,
    count(*) filter (where first_contacted_at is not null and extract(epoch from first_contacted_at - created_at) / 60 >= 4320 and extract(epoch from first_contacted_at - created_at) / 60 < 10080) as c10,
    count(*) filter (where first_contacted_at is not null and extract(epoch from first_contacted_at - created_at) / 60 >= 10080) as c11,
    count(*) filter (where converted_at is not null and extract(epoch from converted_at - created_at) / 86400 < 1) as v0,
    count(*) filter (where converted_at is not null and extract(epoch from converted_at - created_at) / 86400 >= 1 and extract(epoch from converted_at - created_at) / 86400 < 2) as v1,
    count(*) filter (where converted_at is not null and extract(epoch from converted_at - created_at) / 86400 >= 2 and extract(epoch from converted_at - created_at) / 86400 < 3) as v2,
    count(*) filter (where converted_at is not null and extract(epoch from converted_at - created_at) / 86400 >= 3 and extract(epoch from converted_at - created_at) / 86400 < 5) as v3,
    count(*) filter (where converted_at is not null and extract(epoch from converted_at - created_at) / 86400 >= 5 and extract(epoch from converted_at - created_at) / 86400 < 7) as v4,
    count(*) filter (where converted_at is not null and extract(epoch from converted_at - created_at) / 86400 >= 7 and extract(epoch from converted_at - created_at) / 86400 < 14) as v5,
    count(*) filter (where converted_at is not null and extract(epoch from converted_at - created_at) / 86400 >= 14 and extract(epoch from converted_at - created_at) / 86400 < 30) as v6,
    count(*) filter (where converted_at is not null and extract(epoch from converted_at - created_at) / 86400 >= 30 and extract(epoch from converted_at - created_at) / 86400 < 60) as v7,
    count(*) filter (where converted_at is not null and extract(epoch from converted_at - created_at) / 86400 >= 60 and extract(epoch from converted_at - created_at) / 86400 < 90) as v8,
    count(*) filter (where converted_at is not null and extract(epoch from converted_at - created_at) / 86400 >= 90) as v9
  FROM crm_leads WHERE merged_into_id IS NULL GROUP BY 1, 2, 3, 4
) s
WHERE m.tenant_id = s.tenant_id AND m.month = s.month AND m.channel_id = s.channel_id AND m.campaign_id = s.campaign_id;
