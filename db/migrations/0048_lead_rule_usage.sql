CREATE TABLE "crm_lead_rule_usage" (
	"tenant_id" text NOT NULL,
	"user_id" text NOT NULL,
	"day" date NOT NULL,
	"n" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "crm_lead_rule_usage_tenant_id_day_user_id_pk" PRIMARY KEY("tenant_id","day","user_id")
);
--> statement-breakpoint
-- The last two China days' rule assignments as they stand (the quota only reads today's).
INSERT INTO "crm_lead_rule_usage" ("tenant_id", "user_id", "day", "n")
SELECT "tenant_id", "owner_id", ("assigned_at" AT TIME ZONE 'Asia/Shanghai')::date, count(*)::int
FROM "crm_leads"
WHERE "assigned_by" = 'rule' AND "owner_id" IS NOT NULL AND "assigned_at" >= now() - interval '2 days'
GROUP BY 1, 2, 3;
